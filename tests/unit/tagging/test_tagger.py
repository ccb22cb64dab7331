import numpy as np

from zhpipe.tagging.data import (
    PAD,
    SEG_TAGS,
    UNK,
    LexiconFlags,
    Vocab,
    bmes_to_words,
    encode_many,
    words_to_bmes,
)
from zhpipe.tagging.tagger import Batches, Tagger, train_tagger


def test_tagger_trains_tags_long_lines_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    vocab = ["北京", "欢迎", "你", "我们", "喜欢", "中国"]
    sents = [list(rng.choice(vocab, 6)) for _ in range(200)]
    texts = ["".join(s) for s in sents]
    tags = [words_to_bmes(s) for s in sents]
    lex = LexiconFlags(["北京", "欢迎", "我们"])
    scores = []

    def score(tagger):
        pred = tagger.tag(texts[:20])
        s = np.mean([bmes_to_words(t, p) == w for t, p, w in zip(texts, pred, sents[:20],
                                                                 strict=False)])
        scores.append(s)
        return s

    tagger, info = train_tagger(texts, tags, SEG_TAGS, lex, score, epochs=6, patience=6,
                                tokens_per_batch=512, learning_rate=0.01, seed=1, max_len=50,
                                filters=16, char_dim=8, bigram_dim=4, dilations=(1,))
    assert info["best_dev"] > 0.8, info["history"]
    long = "".join(texts[:30])  # 30 x 12 characters, longer than max_len: split and rejoined
    out = tagger.tag([long, "", "北京"])
    assert len(out[0]) == len(long) and out[1] == [] and out[2] == ["B", "E"]
    assert tagger.tag(["", ""]) == [[], []] and tagger.tag([]) == []  # nothing to encode
    # texts of many lengths are decoded in padded batches: the same paths as one by one
    mixed = [texts[i][: 3 + i % 10] for i in range(40)]
    assert tagger.tag(mixed) == [tagger.tag([t])[0] for t in mixed]
    tagger.save(tmp_path, "seg")
    again = Tagger.load(tmp_path, "seg")
    assert again.tag([texts[0]]) == tagger.tag([texts[0]])
    # a field's words given at tagging time: flags for them, the loaded tagger unchanged
    more = again.with_words(["喜欢中国"])
    assert "喜欢中国" in more.lexicon.words[4] and "喜欢中国" not in again.lexicon.words[4]
    assert more.lexicon.words[2] >= {"北京", "欢迎", "我们"}
    assert (more.lexicon.flags("喜欢中国") != again.lexicon.flags("喜欢中国")).any()
    assert len(more.tag(["我们喜欢中国"])[0]) == 6
    # decoding constrained to keep a field's words whole, wherever they occur
    keep = again.keeping(["喜欢中国", "你我"])
    text = "我们喜欢中国你我北京"
    words = bmes_to_words(text, keep.tag([text])[0])
    assert "喜欢中国" in words and "你我" in words and "".join(words) == text
    assert again.tag([text]) == tagger.tag([text])  # the tagger it came from is unchanged


def test_unknown_id_dropout_hides_some_ids_and_never_padding_or_labels():
    texts = ["北京欢迎你", "我们喜欢中国北京", "你好"] * 20
    vocab = Vocab.build(texts, min_bigram=1)
    feats = encode_many(texts, vocab, None)
    labels = [np.arange(len(t), dtype=np.int32) % 4 for t in texts]
    plain = Batches(feats, labels, 64, seed=3)
    dropped = Batches(feats, labels, 64, seed=3, unk_rate=0.3)
    hidden = seen = 0
    for i in range(len(plain)):
        (x, y), (xd, yd) = plain[i], dropped[i]
        assert (y == yd).all()  # the tags never change
        for key in ("chars", "bigrams"):
            assert ((x[key] == PAD) == (xd[key] == PAD)).all()  # padding stays padding
            changed = x[key] != xd[key]
            assert (xd[key][changed] == UNK).all()  # a hidden id becomes the unknown id
            hidden += changed.sum()
            seen += (x[key] > UNK).sum()
    assert 0.2 < hidden / seen < 0.4


def test_segment_crf_and_ner_commands(tmp_path):
    import json
    import subprocess
    import sys

    from zhpipe.tagging.data import NER_TAGS

    rng = np.random.default_rng(1)
    words = ["北京", "欢迎", "你", "我们", "喜欢", "中国"]
    sents = [list(rng.choice(words, 5)) for _ in range(150)]
    texts = ["".join(s) for s in sents]
    seg, _ = train_tagger(texts, [words_to_bmes(s) for s in sents], SEG_TAGS, None,
                          lambda t: 0.0, epochs=4, patience=9, tokens_per_batch=512,
                          learning_rate=0.01, seed=1, filters=16, char_dim=8, bigram_dim=4,
                          dilations=(1,))
    seg.save(tmp_path, "seg")
    ner_tags = [[t for w in s for t in (["B-LOC", "I-LOC"] if w in ("北京", "中国") else
                                         ["O"] * len(w))] for s in sents]
    def accuracy(tagger):  # a constant score would keep the first epoch's weights
        pred = tagger.tag(texts[:30])
        return float(np.mean([p == t for p, t in zip(pred, ner_tags, strict=False)]))

    ner, _ = train_tagger(texts, ner_tags, NER_TAGS, None, accuracy, epochs=8, patience=99,
                          tokens_per_batch=128, learning_rate=0.01, seed=1, filters=16,
                          char_dim=8, bigram_dim=4, dilations=(1,))
    ner.save(tmp_path, "ner")
    run = [sys.executable, "-m", "zhpipe.cli"]
    out = subprocess.run(run + ["segment", "--model", "crf", "--crf-dir", str(tmp_path)],
                         input="北京欢迎你\n\n".encode(), capture_output=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.decode().split("\n")
    assert "".join(lines[0].split()) == "北京欢迎你" and lines[1] == ""
    out = subprocess.run(run + ["segment", "--model", "crf", "--crf-dir", str(tmp_path)],
                         input=b"\n\n", capture_output=True)  # empty lines only: stay empty
    assert out.returncode == 0 and out.stdout == b"\n\n", out.stderr
    out = subprocess.run(run + ["ner", "--crf-dir", str(tmp_path)],
                         input="我们喜欢北京\n".encode(), capture_output=True)
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout.decode().splitlines()[0])
    assert rec["text"] == "我们喜欢北京"
    assert {"type": "LOC", "start": 4, "end": 6, "text": "北京"} in rec["entities"]
    bad = subprocess.run(run + ["ner", "--crf-dir", str(tmp_path / "nope")], input=b"x\n",
                         capture_output=True)
    assert bad.returncode == 2 and b"not found; run the train_ner stage" in bad.stderr


def test_emissions_do_not_depend_on_the_other_texts_in_a_batch():
    # padded positions are zeroed after every layer, so a short text's last characters read
    # zeros past its end, whether it is decoded alone or padded next to a long text
    from zhpipe.tagging.tagger import build_model

    rng = np.random.default_rng(0)
    short = {"chars": rng.integers(2, 30, 5), "bigrams": rng.integers(2, 40, 5),
             "lexicon": rng.random((5, 6)).astype("float32")}
    long = {"chars": rng.integers(2, 30, 17), "bigrams": rng.integers(2, 40, 17),
            "lexicon": rng.random((17, 6)).astype("float32")}
    for encoder in ("cnn", "bilstm"):
        model = build_model(30, 40, SEG_TAGS, encoder=encoder, filters=8, char_dim=4,
                            bigram_dim=4, dilations=(1, 2, 4), lexicon_dim=6)
        tagger = Tagger(model, Vocab({}, {}), SEG_TAGS, None)
        alone = tagger.emissions([short])[0]
        together = tagger.emissions([short, long])[0]
        assert alone.shape == together.shape == (5, 4)
        np.testing.assert_allclose(alone, together, atol=1e-6, err_msg=encoder)


def test_weight_averaging_scores_and_keeps_the_averaged_weights():
    rng = np.random.default_rng(0)
    vocab = ["北京", "欢迎", "你", "我们", "喜欢", "中国"]
    sents = [list(rng.choice(vocab, 6)) for _ in range(120)]
    texts = ["".join(s) for s in sents]
    tags = [words_to_bmes(s) for s in sents]
    kw = dict(epochs=3, patience=3, tokens_per_batch=256, learning_rate=0.01, seed=1,
              max_len=50, filters=16, char_dim=8, bigram_dim=4, dilations=(1,))

    def run(ema):
        seen = []

        def score(tagger):
            seen.append([v.numpy() for v in tagger.model.trainable_variables])
            pred = tagger.tag(texts[:20])
            return float(np.mean([bmes_to_words(t, p) == w
                                  for t, p, w in zip(texts, pred, sents[:20], strict=False)]))

        tagger, info = train_tagger(texts, tags, SEG_TAGS, None, score, ema=ema, **kw)
        return tagger, info, seen

    plain, plain_info, _ = run(0.0)
    # an average that forgets at once is the raw weights: the swap in and back changes nothing
    same, same_info, _ = run(1e-9)
    np.testing.assert_allclose([h["loss"] for h in same_info["history"]],
                               [h["loss"] for h in plain_info["history"]], rtol=1e-4)
    avg, info, seen = run(0.9)
    best = max(range(len(info["history"])), key=lambda i: info["history"][i]["dev"])
    kept = [v.numpy() for v in avg.model.trainable_variables]
    for a, b in zip(kept, seen[best], strict=True):  # the returned model is the one scored
        np.testing.assert_array_equal(a, b)
    assert info["best_dev"] > 0.5, info["history"]
    # the averaged weights are not the raw ones the same seed reaches without averaging
    assert any(not np.allclose(a, b) for a, b in zip(
        kept, [v.numpy() for v in plain.model.trainable_variables], strict=True))


def test_pieces_cut_inside_a_word_keep_a_finite_loss():
    from zhpipe.tagging.data import mend_cut

    assert mend_cut(["M", "E", "B", "M"]) == ["B", "E", "B", "E"]
    assert mend_cut(["E"]) == ["S"] and mend_cut(["M"]) == ["S"] and mend_cut(["B"]) == ["S"]
    assert mend_cut(["I-PER", "I-PER", "O"]) == ["B-PER", "I-PER", "O"]
    assert mend_cut(["S", "B", "E"]) == ["S", "B", "E"] and mend_cut([]) == []
    # 26-character lines of 2-character words, split every 5 characters (no punctuation):
    # every piece but the first starts or ends inside a word; unmended, the CRF's hard
    # constraints would give such a piece a loss of about 1e4
    sents = [["北京", "欢迎", "我们", "喜欢", "中国"][i % 5:] + ["北京"] * 8 + ["欢迎"] * (i % 5)
             for i in range(40)]
    texts = ["".join(s) for s in sents]
    _, info = train_tagger(texts, [words_to_bmes(s) for s in sents], SEG_TAGS, None,
                           lambda t: 0.0, epochs=2, patience=2, tokens_per_batch=256,
                           learning_rate=0.01, seed=1, max_len=5, filters=8, char_dim=4,
                           bigram_dim=4, dilations=(1,))
    assert all(h["loss"] < 100 for h in info["history"]), info["history"]
