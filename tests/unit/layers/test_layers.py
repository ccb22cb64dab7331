"""Every custom layer of ``zhpipe.layers``, the keras-hub ``run_layer_test`` way: config round
trip, eager and symbolic call, one ``fit`` step, and save then load in a fresh Python process
that imports nothing of zhpipe but ``zhpipe.layers``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import zhpipe.layers as zl
from zhpipe.tagging.crf import bmes_constraints

RNG = np.random.default_rng(0)
B, T, H = 2, 5, 4


def _cases():
    f = lambda *s: RNG.normal(size=s).astype("float32")  # noqa: E731
    ids = np.array([[3, 1, 2, 0, 0], [1, 1, 1, 1, 2]], "int32")
    return {
        "CRF": (lambda: zl.CRF(4, bmes_constraints(list("BMES"))), [f(B, T, 4)]),
        "GatedConv1D": (lambda: zl.GatedConv1D(H, 3, 2, 0.1), [f(B, T, H)]),
        "PadMask": (lambda: zl.PadMask(), [f(B, T, H), ids]),
        "KeyPaddingMask": (lambda: zl.KeyPaddingMask(), [f(B, T + 1, H), ids]),
        "CopyPrior": (lambda: zl.CopyPrior(H), [f(B, T + 1, H), ids]),
        "PositionEmbedding": (lambda: zl.PositionEmbedding(T + 3), [f(B, T, H)]),
        "AlignTo": (lambda: zl.AlignTo(), [f(B, T + 2, H), ids]),
        # ids -> vectors -> logits: both directions in one call (see _call)
        "ReversibleEmbedding": (lambda: zl.ReversibleEmbedding(6, H), [ids]),
        "BlankQuery": (lambda: zl.BlankQuery(),
                       [f(B, T, H), f(B, T + 2, H), np.array([[1], [4]], "int32"),
                        np.array([[0], [6]], "int32"), np.array([[1.0], [0.0]], "float32")]),
        "GatedAttention": (lambda: zl.GatedAttention(), [f(B, T + 2, H), f(B, T, H), ids]),
        "AttentionSum": (lambda: zl.AttentionSum(),
                         [f(B, T, H), f(B, H), (RNG.random((B, T)) > 0.3).astype("float32")]),
        # [z, kl]; z is the mean outside training: deterministic, as the test needs
        "GaussianSample": (lambda: zl.GaussianSample(seed=3), [f(B, H), f(B, H)]),
    }


CASES = _cases()
POSITIONAL = (zl.PadMask, zl.KeyPaddingMask, zl.CopyPrior, zl.AlignTo)  # layer(a, b), not layer([a, b])
MULTI_OUTPUT = (zl.GaussianSample,)  # returns a list of outputs


def _model(layer, inputs):
    syms = [keras.Input(x.shape[1:], dtype=str(x.dtype)) for x in inputs]
    return keras.Model(syms, _call(layer, syms))


def _call(layer, inputs):
    if isinstance(layer, POSITIONAL):
        return layer(*inputs)
    if isinstance(layer, zl.ReversibleEmbedding):  # both directions, so that every weight trains
        return layer(layer(inputs[0]), reverse=True)
    return layer(inputs if len(inputs) > 1 else inputs[0])


def test_every_layer_of_the_package_has_a_case():
    assert set(CASES) == set(zl.__all__)


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_config_eager_symbolic_fit(name, tmp_path):
    make, inputs = CASES[name]
    layer = make()
    # config round trip, through Keras's own (de)serialisation of the registered name
    config = keras.saving.serialize_keras_object(layer)
    assert config["registered_name"] == f"zhpipe>{name}"
    clone = keras.saving.deserialize_keras_object(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    # eager call, then the same layer (same weights) in a functional model
    eager = np.asarray([keras.ops.convert_to_numpy(x) for x in _call(layer, inputs)]
                       if isinstance(layer, MULTI_OUTPUT)
                       else keras.ops.convert_to_numpy(_call(layer, inputs)))
    model = _model(layer, inputs)
    symbolic = np.asarray(model.predict_on_batch(inputs if len(inputs) > 1 else inputs[0]))
    np.testing.assert_allclose(eager, symbolic, rtol=1e-5, atol=1e-5)
    assert np.isfinite(eager).all()
    if isinstance(layer, MULTI_OUTPUT):  # no weights: what training changes is the sample
        z, kl = (keras.ops.convert_to_numpy(x) for x in layer(inputs, training=True))
        mean, log_var = inputs
        assert not np.allclose(z, mean) and np.all(kl >= -1e-6)
        np.testing.assert_allclose(kl, -0.5 * (1 + log_var - mean**2 - np.exp(log_var)),
                                   rtol=1e-5, atol=1e-5)
        return
    # one fit step: finite loss; trainable weights move
    before = [np.array(w) for w in model.trainable_weights]
    if isinstance(layer, zl.CRF):  # the identity in call: its weights live in its loss
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss=layer.loss)
        target = np.array([[0, 2, 3, -1, -1], [3, 0, 1, 2, 3]], "int32")
    else:
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        target = np.ones_like(eager)
    hist = model.fit(inputs if len(inputs) > 1 else inputs[0], target, epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])
    after = [np.array(w) for w in model.trainable_weights]
    assert all(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_every_layer_saves_and_loads_in_a_fresh_process(tmp_path):
    expected = {}
    for name, (make, inputs) in CASES.items():
        model = _model(make(), inputs)
        model.save(tmp_path / f"{name}.keras")
        np.savez(tmp_path / f"{name}.npz", *inputs)
        expected[name] = np.asarray(model.predict_on_batch(inputs if len(inputs) > 1
                                                           else inputs[0])).tolist()
    (tmp_path / "expected.json").write_text(json.dumps(expected))
    script = (
        "import json, sys, keras, numpy as np\n"
        "import zhpipe.layers\n"
        "d = sys.argv[1]; exp = json.load(open(d + '/expected.json'))\n"
        "for name, want in exp.items():\n"
        "    m = keras.saving.load_model(f'{d}/{name}.keras', compile=False)\n"
        "    z = np.load(f'{d}/{name}.npz'); xs = [z[f'arr_{i}'] for i in range(len(z.files))]\n"
        "    got = np.asarray(m.predict_on_batch(xs if len(xs) > 1 else xs[0]))\n"
        "    np.testing.assert_allclose(got, np.array(want), rtol=1e-5, atol=1e-5)\n"
        "    print('ok', name)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(proc.stdout.split()[1::2]) == sorted(CASES)


def test_the_copy_prior_favours_the_characters_of_the_input_only():
    layer = zl.CopyPrior(5)
    layer.build((1, 2, 5))
    layer.log_scale.assign(np.log(np.full(5, 4.0, "float32")))
    layer.shift.assign(np.full(5, -1.0, "float32"))
    out = keras.ops.convert_to_numpy(layer(np.zeros((1, 2, 5), "float32"),
                                           np.array([[3, 1, 3, 0]], "int32")))
    # ids 1 and 3 are in the input: (0 + 4 - 1) / 2; the others (padding 0 included): -1 / 2
    np.testing.assert_allclose(out[0, 0], [-0.5, 1.5, -0.5, 1.5, -0.5])
    np.testing.assert_allclose(out[0, 1], out[0, 0])


def test_the_reversible_embedding_scores_with_its_own_matrix():
    layer = zl.ReversibleEmbedding(5, 3)
    table = RNG.normal(size=(5, 3)).astype("float32")
    layer.embeddings.assign(table)
    layer.output_bias.assign(np.arange(5, dtype="float32"))
    ids = np.array([[4, 0, 2]], "int32")
    vectors = keras.ops.convert_to_numpy(layer(ids))
    np.testing.assert_allclose(vectors[0], table[[4, 0, 2]])
    logits = keras.ops.convert_to_numpy(layer(vectors, reverse=True))
    np.testing.assert_allclose(logits[0], table[[4, 0, 2]] @ table.T + np.arange(5), rtol=1e-5)


def test_align_to_keeps_the_first_rows():
    states = RNG.normal(size=(2, 6, 3)).astype("float32")
    out = keras.ops.convert_to_numpy(zl.AlignTo()(states, np.zeros((2, 4), "int32")))
    np.testing.assert_allclose(out, states[:, :4])
