import itertools

import keras
import numpy as np
import pytest

from zhpipe.layers import CRF
from zhpipe.tagging.crf import bio_constraints, bmes_constraints, viterbi_numpy


def _crf(k, seed=0, constraints=None):
    rng = np.random.default_rng(seed)
    crf = CRF(k, constraints)
    crf.build((None, None, k))
    crf.transitions.assign(rng.normal(size=(k, k)).astype("float32"))
    crf.start.assign(rng.normal(size=k).astype("float32"))
    crf.end.assign(rng.normal(size=k).astype("float32"))
    return crf


def _brute(x, n, trans, start, end):
    """All tag sequences of length n: log Z, the best sequence, and a scoring function."""
    k = x.shape[-1]

    def score(y):
        s = start[y[0]] + end[y[-1]] + sum(x[t, y[t]] for t in range(n))
        return s + sum(trans[y[t - 1], y[t]] for t in range(1, n))

    seqs = list(itertools.product(range(k), repeat=n))
    scores = np.array([score(y) for y in seqs])
    m = scores.max()
    return m + np.log(np.exp(scores - m).sum()), seqs[int(scores.argmax())], score


def test_log_partition_loss_and_viterbi_against_enumeration():
    k, t = 3, 5
    rng = np.random.default_rng(1)
    crf = _crf(k)
    x = rng.normal(size=(3, t, k)).astype("float32")
    lengths = np.array([5, 3, 1])
    mask = np.arange(t)[None, :] < lengths[:, None]
    y = rng.integers(0, k, size=(3, t))
    y_true = np.where(mask, y, -1)
    trans, start, end = crf.numpy_params()
    logz = keras.ops.convert_to_numpy(crf.log_partition(x, mask))
    decoded = keras.ops.convert_to_numpy(crf.decode(x, mask))
    numpy_decoded = viterbi_numpy(x, lengths, trans, start, end)
    nll = []
    for i in range(3):
        n = lengths[i]
        ref_logz, best, score = _brute(x[i], n, trans, start, end)
        assert logz[i] == pytest.approx(ref_logz, rel=1e-5)
        assert tuple(decoded[i, :n]) == best
        assert tuple(numpy_decoded[i]) == best
        nll.append(ref_logz - score(tuple(y[i, :n])))
    loss = keras.ops.convert_to_numpy(crf.loss(y_true, x))
    assert loss == pytest.approx(np.mean(nll), rel=1e-5)


def test_constraints_forbid_impossible_bmes_sequences():
    tags = ["B", "M", "E", "S"]
    crf = _crf(4, seed=3, constraints=bmes_constraints(tags))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 7, 4)).astype("float32") * 3
    mask = np.ones((20, 7), bool)
    decoded = keras.ops.convert_to_numpy(crf.decode(x, mask))
    ok_next = {"B": "ME", "M": "ME", "E": "BS", "S": "BS"}
    for row in decoded:
        seq = [tags[i] for i in row]
        assert seq[0] in "BS" and seq[-1] in "ES"
        assert all(b in ok_next[a] for a, b in zip(seq, seq[1:], strict=False))
    c = bio_constraints(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])
    assert (3, 2) in c["transitions"] and (1, 2) not in c["transitions"] and c["start"] == [2, 4]


def test_crf_layer_round_trip_and_one_fit_step(tmp_path):
    tags = ["B", "M", "E", "S"]
    inp = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(20, 8)(inp)
    h = keras.layers.Dense(4)(h)
    crf = CRF(4, bmes_constraints(tags), name="crf")
    out = crf(h)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss=crf.loss)
    x = np.random.default_rng(0).integers(1, 20, size=(8, 6))
    y = np.random.default_rng(1).integers(0, 4, size=(8, 6))
    y[:, 4:] = -1
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)
    lcrf = loaded.get_layer("crf")
    np.testing.assert_allclose(lcrf.numpy_params()[0], crf.numpy_params()[0])
    assert lcrf.get_config()["constraints"]["start"] == [1, 2]
