"""The raw-text corpus made of parts (stage raw_text): budgets, slices spread over the source,
the manifest readers follow, and clear errors."""

import json

import pytest

from zhpipe.corpus.raw_text import RawTextParams, build, expand, sliced
from zhpipe.corpus.text import CorpusError


def _prepared(tmp_path):
    prep = tmp_path / "prepared"
    (prep / "pd1998").mkdir(parents=True)
    (prep / "pd1998" / "raw.txt").write_text("一九九八年。\n\n春节快乐。\n", encoding="utf-8")
    (prep / "xwlb").mkdir()
    (prep / "xwlb" / "raw.txt").write_text(
        "".join(f"第{i:03d}条新闻内容。\n" for i in range(100)), encoding="utf-8")
    (prep / "own" / "laws").mkdir(parents=True)
    (prep / "own" / "laws" / "raw.txt").write_text("限期改正。\n", encoding="utf-8")
    return prep


def test_parts_budgets_and_manifest(tmp_path):
    prep = _prepared(tmp_path)
    out = tmp_path / "raw_text"
    m = build(RawTextParams(parts={"pd1998": None, "xwlb": 100, "local:laws": None}), prep, out)
    rows = json.loads((out / "parts.json").read_text())
    assert [r["part"] for r in rows] == ["pd1998", "xwlb", "local:laws"]
    assert (out / "pd1998.txt").read_text(encoding="utf-8") == "一九九八年。\n春节快乐。\n"
    news = (out / "xwlb.txt").read_text(encoding="utf-8").splitlines()
    # every 10th line of 100 ten-character lines: 10 lines, spread from the first to the last
    assert len(news) == 10 and news[0] == "第009条新闻内容。" and news[-1] == "第099条新闻内容。"
    assert m["parts"]["xwlb"] == {"characters": 100, "lines": 10, "source_characters": 1000,
                                  "share": 0.1, "budget": 100}
    assert m["characters"] == 11 + 100 + 5
    assert m["mining"]["characters"] == m["characters"]  # no mining budgets: the same files
    assert not (out / "mining" / "xwlb.txt").exists()
    assert expand([out, "other.txt"]) == [str(out / "pd1998.txt"), str(out / "xwlb.txt"),
                                          str(out / "local-laws.txt"), "other.txt"]
    assert expand([out], skip=["pd1998", "local:laws"]) == [str(out / "xwlb.txt")]


def test_the_mining_corpus_has_its_own_budgets(tmp_path):
    prep = _prepared(tmp_path)
    out = tmp_path / "raw_text"
    m = build(RawTextParams(parts={"pd1998": None, "xwlb": None},
                            mining={"pd1998": None, "xwlb": 200}), prep, out)
    assert m["characters"] == 11 + 1000 and m["mining"]["characters"] == 11 + 200
    assert expand([out / "mining"]) == [str(out / "pd1998.txt"), str(out / "mining" / "xwlb.txt")]
    assert len((out / "mining" / "xwlb.txt").read_text(encoding="utf-8").splitlines()) == 20


def test_a_slice_never_passes_its_budget(tmp_path):
    path = tmp_path / "t.txt"
    lens = [5] * 12
    lens[5] = 50  # every 5.25th line: lines 5 (too long for the budget: skipped) and 10
    path.write_text("".join("字" * n + "\n" for n in lens), encoding="utf-8")
    assert list(sliced(path, 20, sum(lens))) == ["字" * 5]
    assert list(sliced(path, None, sum(lens))) == ["字" * n for n in lens]


def test_bad_parts_are_named(tmp_path):
    prep = _prepared(tmp_path)
    with pytest.raises(ValueError, match="unknown part 'wiki'"):
        RawTextParams(parts={"wiki": None})
    with pytest.raises(ValueError, match="budget is a number of characters"):
        RawTextParams(parts={"xwlb": 0})
    with pytest.raises(CorpusError, match=r"raw_text: part local:grid: .* not found; run "
                                          r"ingest@grid first"):
        build(RawTextParams(parts={"local:grid": None}), prep, tmp_path / "o")
    with pytest.raises(CorpusError, match="no parts.json"):
        expand([tmp_path])
