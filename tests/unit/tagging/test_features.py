"""The names tagger reading the segmenter's tags: jackknifed training features, save and load."""

import json

import numpy as np
import pytest

from zhpipe.tagging import tagger as tagger_mod
from zhpipe.tagging.data import NER_TAGS, SEG_TAGS, LexiconFlags, Vocab, encode_many, words_to_bmes
from zhpipe.tagging.tagger import Tagger, add_tag_features, cross_tags, train_tagger

TINY = dict(tokens_per_batch=256, learning_rate=0.01, seed=1, max_len=50, filters=16, char_dim=8,
            bigram_dim=4, dilations=(1,))


def test_cross_tags_tags_each_text_with_a_model_that_never_saw_it(monkeypatch):
    texts = [f"文{i}" for i in range(7)]
    tags = [["B", "E"]] * 7
    trained_on = []

    class Fake:
        def __init__(self, seen):
            self.seen = seen

        def tag(self, held):
            return [[f"by{len(trained_on) - 1}"] * len(t) for t in held]

    def fake_train(train_texts, train_tags, tagset, lexicon, score, **kw):
        trained_on.append(set(train_texts))
        return Fake(train_texts), {"best_dev": 0.9, "history": []}

    monkeypatch.setattr(tagger_mod, "train_tagger", fake_train)
    out, infos = cross_tags(texts, tags, SEG_TAGS, None, lambda t: 0.0, folds=3, epochs=1)
    assert len(trained_on) == 3 and len(infos) == 3 and infos[0] == {"best_dev": 0.9}
    for i, (text, got) in enumerate(zip(texts, out, strict=True)):
        fold = int(got[0][2:])
        assert fold == i % 3 and len(got) == len(text)
        assert text not in trained_on[fold]  # tagged by the model trained without it
        assert all(text in trained_on[k] for k in range(3) if k != fold)
    with pytest.raises(ValueError, match="at least 2"):
        cross_tags(texts, tags, SEG_TAGS, None, lambda t: 0.0, folds=1)


def test_tag_features_are_one_hot_and_lengths_are_checked():
    vocab = Vocab.build(["北京欢迎你"], min_bigram=1)
    feats = encode_many(["北京", "你"], vocab, None)
    width = feats[0]["lexicon"].shape[1]
    add_tag_features(feats, [["B", "E"], ["S"]], SEG_TAGS)
    assert feats[0]["lexicon"].shape == (2, width + 4)
    np.testing.assert_array_equal(feats[0]["lexicon"][:, width:], [[1, 0, 0, 0], [0, 0, 1, 0]])
    np.testing.assert_array_equal(feats[1]["lexicon"][:, width:], [[0, 0, 0, 1]])
    with pytest.raises(ValueError, match="3 tags for a text of 2 characters"):
        add_tag_features(encode_many(["北京"], vocab, None), [["B", "M", "E"]], SEG_TAGS)


def test_names_tagger_reads_the_segmenter_and_loads_it_back(tmp_path):
    rng = np.random.default_rng(0)
    people, words = ["张三", "李四"], ["来到", "北京", "我们", "喜欢"]
    sents = [list(rng.choice(people + words, 5)) for _ in range(150)]
    texts = ["".join(s) for s in sents]
    lex = LexiconFlags(["北京", "我们"])
    seg, _ = train_tagger(texts, [words_to_bmes(s) for s in sents], SEG_TAGS, lex,
                          lambda t: 0.0, epochs=2, patience=2, **TINY)
    bio = [[t for w in s for t in (["B-PER"] + ["I-PER"] * (len(w) - 1) if w in people
                                   else ["O"] * len(w))] for s in sents]
    jack = [words_to_bmes(s) for s in sents]  # stands in for jackknifed tags
    ner, info = train_tagger(texts, bio, NER_TAGS, lex, lambda t: 0.0, epochs=3, patience=3,
                             segmenter=seg, train_seg_tags=jack, **TINY)
    # the model reads the lexicon's flags and the segmenter's 4 tags
    assert ner.model.get_layer("lexicon").batch_shape[-1] == lex.width + len(SEG_TAGS)
    # and the segmenter's tags reach the output: other tags, other scores
    mine = ner.encode([texts[0]])
    np.testing.assert_array_equal(mine[0]["lexicon"][:, lex.width:],
                                  np.eye(4)[[SEG_TAGS.index(t) for t in seg.tag([texts[0]])[0]]])
    flat = ner.encode([texts[0]], [["S"] * len(texts[0])])
    assert not np.allclose(ner.emissions(mine)[0], ner.emissions(flat)[0])
    out = ner.tag([texts[0], "", "张三来到北京" * 20])  # a long line is split, tagged, rejoined
    assert [len(t) for t in out] == [len(texts[0]), 0, 120]
    ner.save(tmp_path, "ner")  # the segmenter is saved next to the tagger
    meta = json.loads((tmp_path / "ner.meta.json").read_text(encoding="utf-8"))
    assert meta["segmenter"] == "seg" and (tmp_path / "seg.keras").exists()
    again = Tagger.load(tmp_path, "ner")
    assert again.segmenter is not None and again.segmenter.tags == SEG_TAGS
    assert again.tag(texts[:5]) == ner.tag(texts[:5])
    with pytest.raises(ValueError):  # training tags of the wrong length are refused
        train_tagger(texts, bio, NER_TAGS, lex, lambda t: 0.0, epochs=1, patience=1,
                     segmenter=seg, train_seg_tags=[t[:-1] for t in jack], **TINY)


def test_seg_feature_and_averaging_params_are_checked():
    from pydantic import ValidationError

    from zhpipe.tagging.params import SegParams

    assert SegParams(ema=0.0).ema == 0.0
    for bad in ({"ema": 1.0}, {"ema": -0.1}, {"feature_folds": 1}):
        with pytest.raises(ValidationError):
            SegParams(**bad)
