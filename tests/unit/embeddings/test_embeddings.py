import numpy as np
import pytest

from zhpipe.embeddings.evaluate import AnalogySet, evaluate_analogies, read_analogies
from zhpipe.embeddings.io import load_npz, save_npz, save_text
from zhpipe.embeddings.pairs import cbow_examples, negatives, skipgram_pairs, subsample
from zhpipe.embeddings.vocab import EmbeddingError, Vocab, keep_probability, negative_distribution


def _slow_pairs(ids, sent, b):
    """Reference: loop over every centre and offset."""
    out = []
    for i in range(len(ids)):
        for j in range(max(0, i - b[i]), min(len(ids), i + b[i] + 1)):
            if j != i and sent[j] == sent[i]:
                out.append((ids[i], ids[j]))
    return sorted(out)


def test_skipgram_pairs_match_a_slow_reference():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20, 300).astype(np.int32)
    sent = np.repeat(np.arange(30), 10)
    c, x = skipgram_pairs(ids, sent, 4, np.random.default_rng(7))
    b = np.random.default_rng(7).integers(1, 5, size=len(ids))
    assert sorted(zip(c.tolist(), x.tolist(), strict=True)) == _slow_pairs(ids, sent, b)


def test_cbow_contexts_match_the_same_windows():
    ids = np.arange(10, dtype=np.int32)
    sent = np.array([0] * 6 + [1] * 4)
    ctx, centre = cbow_examples(ids, sent, 2, np.random.default_rng(3))
    b = np.random.default_rng(3).integers(1, 3, size=10)
    for row, c in zip(ctx, centre, strict=True):
        expect = {j for j in range(10) if j != c and abs(j - c) <= b[c] and sent[j] == sent[c]}
        assert set(row[row >= 0].tolist()) == expect


def test_subsampling_and_noise_distribution():
    counts = np.array([100000, 10, 1])  # frequencies ~1, 1e-4, 1e-5 against t = 1e-3
    p = keep_probability(counts, 1e-3)
    f = counts / counts.sum()
    assert p[0] == pytest.approx((np.sqrt(f[0] / 1e-3) + 1) * 1e-3 / f[0])
    assert p[1] == 1.0 and p[2] == 1.0
    assert keep_probability(counts, 0).tolist() == [1, 1, 1]
    dist = negative_distribution(np.array([16, 1]))
    assert dist[0] / dist[1] == pytest.approx(16**0.75)
    draws = negatives(200_000, 1, np.cumsum(dist), np.random.default_rng(0))
    assert (draws == 0).mean() == pytest.approx(dist[0], abs=0.01)
    ids, sent = subsample(np.array([0] * 1000, dtype=np.int32), np.array([0, 1000]), counts,
                          1e-3, np.random.default_rng(0))
    assert len(ids) == pytest.approx(1000 * p[0], rel=0.2)


def test_vocab_errors_and_encoding():
    with pytest.raises(EmbeddingError, match="no tokens"):
        Vocab.build([[], []], 1)
    with pytest.raises(EmbeddingError, match="min_count=5"):
        Vocab.build([["a", "b", "a"]], 5)
    v = Vocab.build([["a", "b", "a", "c"], ["a", "b"]], 2)
    assert v.words == ["a", "b"]
    ids, offsets = v.encode([["a", "c", "b"], ["b"]])
    assert ids.tolist() == [0, 1, 1] and offsets.tolist() == [0, 2, 3]


def test_analogy_evaluator_on_hand_made_vectors(tmp_path):
    words = ["王", "后", "男", "女", "猫"]
    # a gender axis, a royalty axis and a shared component; 猫 elsewhere
    vectors = np.array([[1, 1, 1, 0], [-1, 1, 1, 0], [1, 0, 1, 0], [-1, 0, 1, 0], [0, 0, 0, 1]],
                       float)
    f = tmp_path / "a.txt"
    f.write_text(": family\n男 女 王 后\n王 后 男 女\n男 女 王 缺\n坏 行\n", encoding="utf-8")
    aset = read_analogies(f)
    assert aset.malformed == 1 and len(aset.questions) == 3
    r = evaluate_analogies(words, vectors, aset)
    assert r["covered"] == 2 and r["coverage"] == pytest.approx(2 / 3)
    assert r["accuracy"] == 1.0 and r["accuracy_mul"] == 1.0
    assert r["sections"]["family"]["covered"] == 2
    assert evaluate_analogies(words, vectors, AnalogySet("e", []))["coverage"] == 0.0


def test_vectors_round_trip_through_gensim(tmp_path):
    from gensim.models import KeyedVectors

    words = ["北京", "上海", "a"]
    vec = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    save_text(tmp_path / "v.txt", words, vec)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"), binary=False)
    np.testing.assert_allclose(kv["上海"], vec[1], atol=1e-6)
    save_npz(tmp_path / "v.npz", words, vec, np.array([3, 2, 1]))
    w2, v2, c2 = load_npz(tmp_path / "v.npz")
    assert w2 == words and c2.tolist() == [3, 2, 1]
    np.testing.assert_array_equal(v2, vec)


def _topic_corpus(seed=0):
    rng = np.random.default_rng(seed)
    a = [f"甲{i}" for i in range(10)]
    b = [f"乙{i}" for i in range(10)]
    sents = [list(rng.choice(a if rng.random() < 0.5 else b, 12)) for _ in range(600)]
    return a, b, sents


@pytest.mark.parametrize("engine", ["keras", "keras-shared", "gensim"])
def test_planted_topics_are_recovered(engine):
    """Words of one topic end up closer to each other than to the other topic's words."""
    from zhpipe.embeddings.evaluate import unit_rows

    a, b, sents = _topic_corpus()
    v = Vocab.build(sents, 1)
    kw = dict(dim=16, window=3, negative=5, sample=0, epochs=3, alpha=0.025, min_alpha=0.001,
              seed=1)
    if engine.startswith("keras"):
        from zhpipe.embeddings.keras_w2v import train_keras

        ids, offsets = v.encode(sents)
        vec, stats = train_keras(ids, offsets, v.counts, batch_size=256,
                                 shared_negatives=16 if engine == "keras-shared" else 1, **kw)
    else:
        from zhpipe.embeddings.gensim_w2v import train_gensim

        vec, stats = train_gensim(sents, v.words, min_count=1, workers=1, **kw)
    assert stats["effective_words"] == 3 * 600 * 12
    u = unit_rows(vec)
    idx = {w: i for i, w in enumerate(v.words)}
    ia, ib = [idx[w] for w in a], [idx[w] for w in b]
    within = (u[ia] @ u[ia].T).mean() + (u[ib] @ u[ib].T).mean()
    across = 2 * (u[ia] @ u[ib].T).mean()
    assert within > across + 0.5


def test_shared_negatives_score_each_group_against_its_first_rows_noise():
    """With groups of g pairs, every pair is scored against its group's noise words: the same
    logits as the plain model given those noise words on every row."""
    import keras

    from zhpipe.embeddings.keras_w2v import SGNS

    rng = np.random.default_rng(0)
    plain, shared = SGNS(20, 6), SGNS(20, 6, shared_negatives=4)
    src = rng.integers(0, 20, 8)
    tgt = rng.integers(0, 20, (8, 4))
    plain([src, tgt]), shared([src, tgt])
    for layer in ("word_in", "word_out"):
        w = rng.normal(size=(21, 6)).astype("float32")
        getattr(plain, layer).embeddings.assign(w)
        getattr(shared, layer).embeddings.assign(w)
    same = tgt.copy()
    same[:, 1:] = np.repeat(tgt[::4, 1:], 4, axis=0)  # noise of each group's first row
    np.testing.assert_allclose(keras.ops.convert_to_numpy(shared([src, tgt])),
                               keras.ops.convert_to_numpy(plain([src, same])), rtol=1e-5)


def test_sgns_model_round_trips_through_keras_file(tmp_path):
    import keras

    from zhpipe.embeddings.keras_w2v import SGNS

    m = SGNS(10, 4, shared_negatives=2)
    x = [np.array([1, 2]), np.array([[3, 4, 5], [6, 7, 8]])]
    y = m(x)
    m.save(tmp_path / "m.keras")
    m2 = keras.saving.load_model(tmp_path / "m.keras")
    assert m2.shared_negatives == 2
    np.testing.assert_allclose(keras.ops.convert_to_numpy(m2(x)), keras.ops.convert_to_numpy(y))


def test_training_corpus_segments_extra_prose_and_user_files(tmp_path):
    from zhpipe.embeddings.training import training_corpus

    (tmp_path / "lex.tsv").write_text("北京 10\n欢迎 8\n你 5\n天气 4\n", encoding="utf-8")
    (tmp_path / "mined.txt").write_text("北京 欢迎 你\n\n", encoding="utf-8")
    lcsts = tmp_path / "lcsts"
    lcsts.mkdir()
    (lcsts / "train.tsv").write_text("北京天气\t欢迎你\n", encoding="utf-8")
    cmrc = tmp_path / "cmrc"
    cmrc.mkdir()
    (cmrc / "x.doc_query").write_text("1 ||| 北京 天气\n<qid_0> ||| XXXXX 欢迎\n", encoding="utf-8")
    user = tmp_path / "mine.txt"
    user.write_text("欢迎北京\n", encoding="utf-8")
    sents, src = training_corpus(tmp_path / "mined.txt", tmp_path / "lex.tsv",
                                 extra=[lcsts, cmrc], user_files=[user])
    assert sents == [["北京", "欢迎", "你"], ["北京", "天气"], ["欢迎", "你"], ["北京", "天气"],
                     ["欢迎", "北京"]]
    assert src["extra_sentences"] == 4 and src["tokens"] == 11


def test_gensim_vectors_are_the_same_in_every_process():
    """One worker: the same vectors in every process (whatever PYTHONHASHSEED is), so that a
    rerun of the pipeline reproduces the downstream numbers."""
    import os
    import subprocess
    import sys

    code = ("import numpy as np; from zhpipe.embeddings.gensim_w2v import train_gensim; "
            "s = [list('abcdefg'), list('gfedcba'), list('aceg')] * 30; "
            "v, _ = train_gensim(s, list('abcdefg'), dim=8, window=2, negative=3, sample=0, "
            "epochs=2, alpha=0.025, min_alpha=0.001, seed=3, min_count=1, workers=1); "
            "print(np.round(v, 6).tolist())")
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": h}).stdout
            for h in ("1", "2")]
    assert outs[0] == outs[1] and outs[0].startswith("[[")


def test_an_empty_vocabulary_round_trips_as_no_words(tmp_path):
    """cloze_vectors with source none writes no words; it came back as [""], one empty word."""
    save_npz(tmp_path / "v.npz", [], np.zeros((0, 4), np.float32), np.zeros(0, np.int64))
    words, vectors, counts = load_npz(tmp_path / "v.npz")
    assert words == [] and vectors.shape == (0, 4) and counts.shape == (0,)
