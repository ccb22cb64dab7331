"""prepare@xwlb: (headline, text) pairs from the day files, cleaned and split by date."""

import json

import pytest
from conftest import xwlb_days

from zhpipe.corpus.options import PrepareParams
from zhpipe.corpus.text import CorpusError
from zhpipe.corpus.xwlb import clean_headline, prepare_xwlb, strip_html


def _raw(tmp_path, days=None):
    raw = tmp_path / "raw" / "days"
    raw.mkdir(parents=True)
    for name, data in (days or xwlb_days()).items():
        (raw / name.rsplit("/", 1)[1]).write_bytes(data)
    return tmp_path / "raw"


def _opts(**kw):
    return PrepareParams(corpora={"xwlb": kw}).options("xwlb")


def test_html_opening_prefix_and_series_tags_are_removed():
    assert strip_html("<p>央视网消息（新闻联播）：今天&nbsp;北京</p><p>下雪。</p>") == "今天北京下雪。"
    assert strip_html("<p>\u3000\u3000中国网络电视台消息(新闻联播)：上海</p>") == "上海"
    assert clean_headline("[视频]【新思想引领新征程】【新闻特写】李强 参加审议") == ("李强参加审议", 2)
    assert clean_headline("[视频]国内联播快讯") == ("国内联播快讯", 0)


def test_pairs_are_split_by_date_with_summaries_round_ups_and_repeats_dropped(tmp_path):
    rows = prepare_xwlb(_raw(tmp_path), tmp_path / "out", _opts(dev_months=2), 2000)
    out = tmp_path / "out"
    by = {r["file"]: r for r in rows}
    split = {}
    for name in ("train", "dev", "test"):
        pairs = [line.split("\t") for line in (out / f"{name}.tsv").read_text().splitlines()]
        dates = (out / f"{name}.dates.txt").read_text().splitlines()
        assert len(pairs) == len(dates) == by[f"{name}.tsv"]["sentences"] > 0
        split[name] = (pairs, dates)
    assert all(d < "2025-11-01" for d in split["train"][1])
    assert all("2025-11-01" <= d < "2026-01-01" for d in split["dev"][1])
    assert all(d >= "2026-01-01" for d in split["test"][1])
    heads = [h for pairs, _ in split.values() for h, _ in pairs]
    assert len(heads) == len(set(heads))  # one pair per distinct headline, the earliest
    assert not any("快讯" in h or "新闻联播" in h or "【" in h for h in heads)
    for h, t in split["train"][0]:
        assert t.startswith(h + "，") and "央视网" not in t and "<p>" not in t
    counts = by["train.tsv"]
    assert counts["summary"] == counts["round_up"] == 10 and counts["series_tags_removed"] > 0
    assert counts["items"] == 80
    assert counts["repeated_headline"] == 80 - 20 - len(heads) - counts["short_text"]
    # raw.txt: the full text of the training period's items, round-ups and repeats included,
    # each distinct text once, never a dev or test text nor a programme summary
    raw = (out / "raw.txt").read_text(encoding="utf-8").splitlines()
    assert len(raw) == len(set(raw)) == by["raw.txt"]["sentences"] > len(split["train"][0])
    texts = {t for pairs, _ in split.values() for _, t in pairs}
    assert {t for t in texts if t in raw} == {t for _, t in split["train"][0]}
    assert not any("央视网" in line or "<p>" in line for line in raw)


def test_a_broken_day_file_is_named(tmp_path):
    days = xwlb_days()
    days["assets/2025/20250704.json"] = b'{"videoList": [oops'
    with pytest.raises(CorpusError, match="20250704.json: not a UTF-8 JSON day file"):
        prepare_xwlb(_raw(tmp_path, days), tmp_path / "out", _opts(), 2000)
    days["assets/2025/20250704.json"] = json.dumps({"list": []}).encode()
    with pytest.raises(CorpusError, match="no 'videoList'"):
        prepare_xwlb(_raw(tmp_path / "b", days), tmp_path / "out", _opts(), 2000)
    assert not (tmp_path / "out" / "train.tsv").exists()
