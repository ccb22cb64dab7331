"""The train_seg and train_ner stages' library functions, in-process on tiny data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from zhpipe.corpus.text import CorpusError
from zhpipe.tagging.features import TRAIN_TAGS
from zhpipe.tagging.names import run_names
from zhpipe.tagging.params import NerParams, SegParams
from zhpipe.tagging.segmentation import run_segmenter
from zhpipe.tagging.tagger import Tagger

ROOT = Path(__file__).resolve().parents[3]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
TINY = dict(use_lexicon=True, dictionary="none", filters=8, char_dim=8, bigram_dim=4,
            dilations=[1], epochs=1, patience=1)
POS = ("江/nr 泽民/nr 在/p 北京/ns 欢迎/v 你/r 。/w\n", "我们/r 喜欢/v 上海/ns 。/w\n")


@pytest.fixture
def corpora(tmp_path):
    pd, sighan = tmp_path / "pd1998", tmp_path / "sighan"
    pd.mkdir()
    sighan.mkdir()
    for split, n in (("train", 20), ("dev", 6)):
        (pd / f"{split}.pos.txt").write_text("".join(POS) * n, encoding="utf-8")
        (pd / f"{split}.seg.txt").write_text("江 泽民 在 北京 欢迎 你 。\n我们 喜欢 上海 。\n" * n,
                                             encoding="utf-8")
    (sighan / "pku_training.seg.txt").write_text("我们 喜欢 中国 。\n" * 500, encoding="utf-8")
    (sighan / "pku_test.gold.txt").write_text("我们 喜欢 北京 。\n", encoding="utf-8")
    lexicon = tmp_path / "lexicon.tsv"
    lexicon.write_text("word\tcount\n北京\t5\n欢迎\t3\n", encoding="utf-8")
    return pd, sighan, lexicon


def test_segmenter_stage_trains_scores_and_writes_the_names_tags(corpora, tmp_path):
    pd, sighan, lexicon = corpora
    p = SegParams(**{**PARAMS["train_seg"], **TINY})
    m = run_segmenter(p, pd, sighan, lexicon, tmp_path / "seg")
    assert 0 <= m["pku"]["f1"] <= 100 and m["seg"]["train_sentences"] == 40
    # jackknifed: 2 folds, one line of tags per training sentence of the names tagger
    assert m["names_training_tags"]["folds"] == 2
    tags = (tmp_path / "seg" / TRAIN_TAGS).read_text(encoding="utf-8").splitlines()
    assert [len(t) for t in tags] == [len(x) for x in ["江泽民在北京欢迎你。", "我们喜欢上海。"] * 20]
    assert set("".join(tags)) <= set("BMES")
    assert Tagger.load(tmp_path / "seg", "seg").lexicon is not None


def test_segmenter_stage_trains_on_the_chosen_corpus(corpora, tmp_path):
    """`seg_train: pku`: the official training set trains; it never saw the 1998 sentences,
    so it tags the names tagger's sentences itself (no folds)."""
    pd, sighan, lexicon = corpora
    p = SegParams(**{**PARAMS["train_seg"], **TINY, "seg_train": "pku"})
    m = run_segmenter(p, pd, sighan, lexicon, tmp_path / "seg")
    # 500 sentences: block 9 of 50 is the dev split
    assert (m["seg"]["train_sentences"], m["seg"]["dev_sentences"]) == (450, 50)
    assert m["seg"]["train_corpus"] == "pku" and m["names_training_tags"]["folds"] == 0
    vocab = (tmp_path / "seg" / "seg.vocab.json").read_text(encoding="utf-8")
    assert "喜" in vocab and "泽" not in vocab


def test_names_stage_reads_the_segmenter_and_saves_it_alongside(corpora, tmp_path):
    pd, sighan, lexicon = corpora
    run_segmenter(SegParams(**{**PARAMS["train_seg"], **TINY}), pd, sighan, lexicon,
                  tmp_path / "seg")
    p = NerParams(**{**PARAMS["train_ner"], **TINY})
    m = run_names(p, pd, tmp_path / "seg", lexicon, tmp_path / "ner")
    assert m["ner"]["test_sentences"] == 6 and m["ner"]["segmenter_features"] is True
    ner = Tagger.load(tmp_path / "ner", "ner")
    assert ner.segmenter is not None and len(ner.tag(["我们喜欢北京。"])[0]) == 7
    # the segmenter's tags must match the names tagger's training sentences
    (tmp_path / "seg" / TRAIN_TAGS).write_text("BE\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="rerun the train_seg stage"):
        run_names(p, pd, tmp_path / "seg", lexicon, tmp_path / "ner2")
