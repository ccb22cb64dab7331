"""The headline model (Keras, run under TensorFlow and JAX): the NumPy decoder is the training
graph, it learns a task a lead baseline cannot do, and it loads in a fresh process."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from zhpipe.headlines.model import TitlerInference, build_titler, shift_right
from zhpipe.headlines.rouge import rouge
from zhpipe.headlines.train import TitleError, Titler, train_titler
from zhpipe.seq2seq.vocab import BOS, Vocab

ALPHA = list("天地人和春夏秋冬山水风云日月星辰")


def _pairs(rng, n):
    """Headline: the text's 5th to 8th characters (a lead baseline gets nothing of it)."""
    out = []
    for _ in range(n):
        t = "".join(rng.choice(ALPHA, 12))
        out.append((t[4:8], t))
    return out


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    train, dev, test = _pairs(rng, 400), _pairs(rng, 30), _pairs(rng, 30)
    vocab = Vocab.build((s for p in train for s in p), 1)
    model, info = train_titler(train, dev, vocab, max_text_chars=10, max_title_chars=6, dim=32,
                               enc_layers=1, dec_layers=1, heads=2, dropout=0.0,
                               copy_prior=True, batch_size=32, learning_rate=0.01, epochs=7,
                               patience=2, seed=1)
    return model, info, test


def _random_prior_and_ids(m, rng, pad_row: int, pad_from: int, tgt_len: int):
    """Prior weights off their zeros, ids with one padded row, and the graph's log-probs."""
    for w in m.get_layer("prior").weights:
        w.assign(rng.normal(size=w.shape).astype("float32"))
    src = rng.integers(4, 30, (3, 9)).astype("int32")
    src[pad_row, pad_from:] = 0  # padding: never attended, never a prior
    tgt = rng.integers(4, 30, (3, tgt_len)).astype("int32")
    full = keras.ops.convert_to_numpy(keras.ops.log_softmax(
        m([src, shift_right(tgt, BOS)], training=False), axis=-1))
    return src, tgt, full


def _assert_steps_match(dec, src, tgt, full):
    """The step-by-step decoder, fed the reference ids, gives the graph's log-probs."""
    state, prev = dec.init(src), np.full(src.shape[0], BOS)
    for t in range(tgt.shape[1]):
        logp, state = dec.step(prev, t, state)
        np.testing.assert_allclose(logp, full[:, t], atol=2e-5)
        prev = tgt[:, t]


@pytest.mark.parametrize("layers", [1, 2])
def test_the_numpy_decoder_is_the_training_graph(layers):
    m = build_titler(30, dim=16, heads=2, enc_layers=layers, dec_layers=layers)
    src, tgt, full = _random_prior_and_ids(m, np.random.default_rng(layers), 1, 5, 6)
    _assert_steps_match(TitlerInference(m), src, tgt, full)


def test_it_learns_what_no_lead_baseline_can(trained):
    model, info, test = trained
    refs = [h for h, _ in test]
    texts = [t for _, t in test]
    got = rouge(model.generate(texts, beam=3), refs)
    lead = rouge([t[:4] for t in texts], refs)
    assert info["history"][-1]["dev_loss"] < info["history"][0]["dev_loss"]
    assert got["rougeL"] >= 80 and lead["rougeL"] < 40
    assert model.truncated(texts) == list(range(len(texts)))  # 12 characters, reads 10
    with pytest.raises(TitleError, match="text 2 is empty"):
        model.generate(["天地", "  "])


def test_the_saved_model_gives_the_same_headlines_in_a_fresh_process(trained, tmp_path):
    model, _, test = trained
    texts = [t for _, t in test[:8]]
    model.save(tmp_path)
    assert Titler.load(tmp_path).generate(texts, 2) == model.generate(texts, 2)
    code = ("import json, sys; from zhpipe.headlines.train import Titler; "
            "print(json.dumps(Titler.load(sys.argv[1]).generate(json.loads(sys.argv[2]), 2)))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path), json.dumps(texts)],
                         capture_output=True, text=True, check=True, timeout=300)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == model.generate(texts, 2)
    with pytest.raises(FileNotFoundError, match="train_title"):
        Titler.load(tmp_path / "nothing")


def test_cli_title_reads_a_file_or_stdin_and_names_bad_lines(trained, tmp_path, capsys,
                                                               monkeypatch):
    import io

    from zhpipe.cli import main

    model, _, test = trained
    model.save(tmp_path / "m")
    texts = [t for _, t in test[:3]]
    f = tmp_path / "in.txt"
    f.write_text(f"{texts[0][:9]}\n\n{texts[1]}\n{texts[2][:8]}\n", encoding="utf-8")
    assert main(["title", str(f), "--models", str(tmp_path / "m"), "--beam", "2"]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 4 and lines[1] == ""  # line for line with the input
    assert lines[0] == model.generate([texts[0][:9]], 2)[0] and lines[2]
    assert f"{f} line 2: empty" in err
    assert f"{f} line 3: 12 characters; the model reads the first 10" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(texts[0][:9] + "\n"))
    assert main(["title", "--models", str(tmp_path / "m"), "--max-len", "2"]) == 0
    assert len(capsys.readouterr().out.strip()) <= 2
    f.write_bytes("天地\n".encode() + "春夏".encode("gbk") + b"\n")
    assert main(["title", str(f), "--models", str(tmp_path / "m")]) == 2
    assert f"{f}:2: not UTF-8" in capsys.readouterr().err
    f.write_text("天地\n", encoding="utf-8")
    assert main(["title", str(f), "--models", str(tmp_path / "none")]) == 2
    assert "train_title" in capsys.readouterr().err


def test_the_registered_model_answers_in_a_fresh_process(trained, store):
    import os

    from zhpipe import serving, stagerun, tracking

    model, _, test = trained
    folder = store / "data" / "title"
    model.save(folder)
    stagerun.record("train_title", {"k": 1}, {"rougeL": 1.0},
                    store / "reports/metrics/train_title.json", root=store, models=folder,
                    model_specs=serving.specs)
    texts = [t for _, t in test[:3]]
    code = ("import json, sys, mlflow; mlflow.set_tracking_uri(sys.argv[1]); "
            "m = mlflow.pyfunc.load_model('models:/zhpipe-titler/1'); "
            "print(json.dumps(m.predict(json.loads(sys.argv[2])), ensure_ascii=False))")
    out = subprocess.run([sys.executable, "-c", code, tracking.tracking_uri(store),
                          json.dumps(texts)], capture_output=True, text=True, check=True,
                         timeout=300, cwd="/", env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == model.generate(texts, 5)


def test_the_transformer_halves_are_the_training_graph_and_survive_saving(tmp_path):
    from zhpipe.seq2seq.transformer import TransformerInference, build_transformer

    m = build_transformer(30, dim=16, enc_layers=2, dec_layers=1, heads=2, max_text=12,
                          max_title=8)
    src, tgt, full = _random_prior_and_ids(m, np.random.default_rng(5), 2, 4, 5)
    m.save(tmp_path / "t.keras")
    loaded = keras.saving.load_model(tmp_path / "t.keras", compile=False)
    _assert_steps_match(TransformerInference(loaded), src, tgt, full)
