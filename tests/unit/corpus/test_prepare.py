from pathlib import Path

import pytest
import yaml
from conftest import LCSTS_P3, PD1998

from zhpipe.corpus.options import PrepareParams
from zhpipe.corpus.segmented import dev_mask, parse_pd1998_line, prepare_pd1998, prepare_sighan2005
from zhpipe.corpus.tasks import prepare_couplet, prepare_lcsts
from zhpipe.corpus.text import (
    CorpusError,
    clean_raw,
    clean_segmented,
    normalise,
    read_lines,
    split_long,
)
from zhpipe.evaluation.segmentation import read_oov_marks, score_segmentation
from zhpipe.params import ParamsError, load_section, read_params

ROOT = Path(__file__).resolve().parents[3]


# ----------------------------------------------------------------------------- params
def test_unknown_key_and_wrong_type_name_the_key(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("prepare:\n  max_line_chars: 2000\n  corpora:\n    pd1998: {dev_fraction: 0.1}\n"
                 "  typo_key: 3\n")
    with pytest.raises(ParamsError, match=r"params.yaml: prepare.typo_key: Extra inputs"):
        load_section("prepare", PrepareParams, p)
    p.write_text("prepare:\n  max_line_chars: '2000'\n  corpora: {pd1998: {}}\n")
    with pytest.raises(ParamsError, match=r"prepare.max_line_chars: Input should be a valid "
                                          r"integer.*got '2000'"):
        load_section("prepare", PrepareParams, p)
    p.write_text("prepare:\n  corpora: {pd1998: {dev_fraction: lots}}\n")
    opts = load_section("prepare", PrepareParams, p)
    with pytest.raises(ParamsError, match=r"prepare.corpora.pd1998.dev_fraction: Input should be "
                                          r"a valid number"):
        opts.options("pd1998", str(p))
    with pytest.raises(CorpusError, match="no preparer for 'nope'"):
        opts.options("nope")


def test_missing_section_and_bad_yaml(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("report: {}\n")
    with pytest.raises(ParamsError, match="section 'prepare' is missing"):
        load_section("prepare", PrepareParams, p)
    p.write_text("prepare: [unclosed\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        read_params(p)


def test_profiles_cover_the_same_keys_and_quick_is_the_default():
    quick = yaml.safe_load((ROOT / "params.d/quick.yaml").read_text())
    full = yaml.safe_load((ROOT / "params.d/full.yaml").read_text())
    params = read_params(ROOT / "params.yaml")

    def flat(d, pre=""):
        out = {}
        for k, v in d.items():
            out.update(flat(v, f"{pre}{k}.") if isinstance(v, dict) and v else {f"{pre}{k}": v})
        return out

    assert set(flat(quick)) == set(flat(full))
    fp = flat(params)
    for key, value in flat(quick).items():
        assert fp[key] == value, f"params.yaml {key} is not the quick value"
    # one gensim thread: the quick profile's vectors, and the cloze numbers downstream, are
    # the same on every run (two threads race and moved CMRC accuracy by 2 points)
    assert quick["word2vec"]["workers"] == 1


# ----------------------------------------------------------------------------- text
def test_normalise_maps_width_one_to_one():
    s = "１２３ＡＢｃ．５％，　中文"
    out = normalise(s)
    assert out == "123ABc.5％， 中文"
    assert len(out) == len(s)
    assert clean_raw(" 北京　欢迎 你 ") == "北京欢迎你"
    assert clean_segmented("北京  欢迎\u3000你") == "北京 欢迎 你"


def test_read_lines_rejects_non_utf8_naming_file_and_line(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes("第一行\n".encode() + "第二行".encode("gbk") + b"\n")
    it = read_lines(p)
    assert next(it) == (1, "第一行")
    with pytest.raises(CorpusError, match=r"gbk.txt:2: not UTF-8"):
        next(it)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n  \n")
    with pytest.raises(CorpusError, match="empty"):
        list(read_lines(empty))
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbfabc\r\n")
    assert list(read_lines(bom)) == [(1, "abc")]


def test_split_long_never_breaks_words():
    line = " ".join(["北京"] * 30 + ["。"] + ["上海"] * 30)
    pieces = split_long(line, 40, segmented=True)
    assert " ".join(pieces) == line
    assert all(len(p.replace(" ", "")) <= 40 for p in pieces)
    assert all(w in ("北京", "上海", "。") for p in pieces for w in p.split(" "))
    raw = "天" * 95
    assert split_long(raw, 40, segmented=False) == ["天" * 40, "天" * 40, "天" * 15]
    assert split_long("短句", 40, segmented=False) == ["短句"]


# ----------------------------------------------------------------------------- prepare
def test_parse_pd1998_line():
    assert parse_pd1998_line("１２月/t  ３１日/t  ，/w  １／３/m", "x") == [
        ("12月", "t"), ("31日", "t"), ("，", "w"), ("1／3", "m")]
    with pytest.raises(CorpusError, match="x: token 'bad' is not word/TAG"):
        parse_pd1998_line("ok/v bad", "x")


def test_dev_mask_is_seeded_blockwise_and_sized():
    a = dev_mask(1000, 0.1, 7, 50)
    assert a.sum() == 100 and (dev_mask(1000, 0.1, 7, 50) == a).all()
    assert not (dev_mask(1000, 0.1, 8, 50) == a).all()
    blocks = a.reshape(20, 50)
    assert all(b.all() or not b.any() for b in blocks)


def test_prepare_pd1998_writes_train_dev_pos_and_raw(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "199801.txt").write_text(PD1998, encoding="utf-8")
    opts = PrepareParams(corpora={"pd1998": {}}).options("pd1998")
    opts = type(opts)(dev_fraction=0.5, seed=1, block_size=1)
    rows = prepare_pd1998(raw, tmp_path / "out", opts, 2000)
    train = (tmp_path / "out/train.seg.txt").read_text().splitlines()
    dev = (tmp_path / "out/dev.seg.txt").read_text().splitlines()
    assert len(train) + len(dev) == 5 and len(dev) == 2  # the empty line is dropped
    all_seg = set(train + dev)
    assert "12月 31日 ， 北京 下 了 雪 。" in all_seg
    assert "我们 在 1998年 有 3.5％ 的 增长 。" in all_seg
    raw_lines = (tmp_path / "out/raw.txt").read_text().splitlines()
    assert "中共中央总书记、国家主席江泽民" in raw_lines
    pos = (tmp_path / "out/train.pos.txt").read_text().splitlines()
    assert [w.rpartition("/")[0] for w in pos[0].split()] == train[0].split()
    words = {r["file"]: r["words"] for r in rows if r["words"] is not None}
    assert words["train.seg.txt"] + words["dev.seg.txt"] == 10 + 7 + 8 + 8 + 4


def test_prepare_sighan_checks_test_against_gold(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "pku_test_gold.utf8").write_text("北京  欢迎  你\r\n\r\n", encoding="utf-8")
    (raw / "pku_test.utf8").write_text("北京欢迎你\r\n\r\n", encoding="utf-8")
    rows = prepare_sighan2005(raw, tmp_path / "out", None, 2000)
    assert (tmp_path / "out/pku_test.gold.txt").read_text() == "北京 欢迎 你\n"
    assert {r["file"] for r in rows} == {"pku_test.raw.txt", "pku_test.gold.txt"}
    # the official training set, when fetched (train_seg.seg_train: pku), is normalised too
    (raw / "pku_training.utf8").write_text("１  张  纸  \r\n\r\n迈向  新  世纪\r\n",
                                           encoding="utf-8")
    prepare_sighan2005(raw, tmp_path / "out1", None, 2000)
    assert (tmp_path / "out1/pku_training.seg.txt").read_text() == "1 张 纸\n迈向 新 世纪\n"
    (raw / "pku_test.utf8").write_text("北京欢迎他\r\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="differs from the gold"):
        prepare_sighan2005(raw, tmp_path / "out2", None, 2000)


def test_official_oov_marks_use_the_unnormalised_word_list(tmp_path):
    """The bakeoff's scorer counts ASCII ``1月`` as OOV when the word list has ``１月``; our
    normalisation must not change that verdict, and the marks align with the gold words."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "pku_test_gold.utf8").write_text("1月  北京  欢迎  你\r\n\r\n１月  银杏树\r\n",
                                            encoding="utf-8")
    (raw / "pku_test.utf8").write_text("1月北京欢迎你\r\n\r\n１月银杏树\r\n", encoding="utf-8")
    (raw / "pku_training_words.utf8").write_text("１月\n北京\n欢迎\n你\n", encoding="utf-8")
    prepare_sighan2005(raw, tmp_path / "out", None, 2000)
    out = tmp_path / "out"
    assert (out / "pku_test.gold.txt").read_text() == "1月 北京 欢迎 你\n\n1月 银杏树\n"
    assert (out / "pku_test.oov.txt").read_text() == "1 0 0 0\n\n0 1\n"
    gold = [line.split() for line in (out / "pku_test.gold.txt").read_text().splitlines()]
    pred = [["1", "月", "北京", "欢迎", "你"], [], ["1月", "银杏", "树"]]
    s = score_segmentation(gold, pred, oov=read_oov_marks(out / "pku_test.oov.txt"))
    assert s.oov_rate == pytest.approx(2 / 6) and s.oov_recall == 0.0
    assert s.iv_recall == 1.0
    with pytest.raises(ValueError, match="3 OOV marks for 6 gold words"):
        score_segmentation(gold, pred, oov=[True, False, True])


def test_prepare_couplet_drops_unequal_training_pairs(tmp_path):
    raw = tmp_path / "raw"
    for split in ("train", "test"):
        (raw / split).mkdir(parents=True)
        (raw / split / "in.txt").write_text("晚 风 摇 \n天 地 \n", encoding="utf-8")
        out = "晨 露 润 \n人 \n" if split == "train" else "晨 露 润 \n人 和 \n"
        (raw / split / "out.txt").write_text(out, encoding="utf-8")
    rows = prepare_couplet(raw, tmp_path / "out", None, 2000)
    assert (tmp_path / "out/train.tsv").read_text() == "晚风摇\t晨露润\n"
    assert rows[0]["dropped"] == 1
    assert (tmp_path / "out/test.tsv").read_text() == "晚风摇\t晨露润\n天地\t人和\n"


def test_prepare_lcsts_part3_keeps_scores_at_least_min(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "PART_III.txt").write_text(LCSTS_P3, encoding="utf-8")
    opts = PrepareParams(corpora={"lcsts": {}}).options("lcsts")
    prepare_lcsts(raw, tmp_path / "out", opts, 2000)
    assert (tmp_path / "out/part3_test.tsv").read_text() == "北京下雪\t今天北京下了大雪。\n"


def test_parse_overrides_reads_yaml_values_and_names_a_bad_item():
    from zhpipe.overrides import parse_overrides
    from zhpipe.params import ParamsError

    assert parse_overrides(["epochs=3", "dilations=[1, 2]", "max_minutes=null"], "x") == {
        "epochs": 3, "dilations": [1, 2], "max_minutes": None}
    with pytest.raises(ParamsError, match=r"--set 'epochs': write KEY=VALUE \(a train_poem param"):
        parse_overrides(["epochs"], "train_poem")
