"""Training and using the couplet models: :class:`Couplet` wraps a model with its vocabulary."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
from keras import ops

from zhpipe.callbacks import Callback, epoch_end
from zhpipe.couplet.data import (
    PAD,
    CharVocab,
    check_upper,
    constraints,
    length_buckets,
    pad_rows,
    render,
    shape_buckets,
)
from zhpipe.couplet.decode import candidates
from zhpipe.couplet.form import pair_form
from zhpipe.couplet.models import (
    Seq2SeqInference,
    TaggerInference,
    build_seq2seq,
    build_tagger,
    build_transformer,
    shift_right,
)
from zhpipe.earlystop import EarlyStopping
from zhpipe.progress import progress
from zhpipe.seq2seq.steps import log_softmax
from zhpipe.seq2seq.transformer import TransformerInference

log = logging.getLogger(__name__)
KINDS = ("tagger", "seq2seq", "transformer")


@keras.saving.register_keras_serializable(package="zhpipe")
class SmoothedCrossEntropy(keras.losses.Loss):
    """Cross-entropy from logits against targets smoothed by ``smoothing``: the target
    distribution puts ``1 - smoothing`` on the right id and spreads ``smoothing`` evenly over the
    vocabulary (Szegedy et al. 2016). With ~4,600 characters to choose from and many right
    answers to every upper line, it keeps the model from betting everything on one."""

    def __init__(self, smoothing: float = 0.1, reduction: str = "mean_with_sample_weight",
                 name: str = "smoothed_cross_entropy"):
        super().__init__(reduction=reduction, name=name)
        self.smoothing = smoothing

    def call(self, y_true, y_pred):
        logp = ops.log_softmax(y_pred, axis=-1)
        picked = ops.take_along_axis(logp, ops.expand_dims(ops.cast(y_true, "int32"), -1),
                                     axis=-1)[..., 0]
        return -(1.0 - self.smoothing) * picked - self.smoothing * ops.mean(logp, axis=-1)

    def get_config(self):
        return {**super().get_config(), "smoothing": self.smoothing}


class Couplet:
    """A trained couplet model: ``generate(["上联", ...])`` -> lower lines.

    ``form_weight``: beam candidates are ranked by their mean log-probability a character plus
    ``form_weight`` times their couplet form score (0-1, :mod:`zhpipe.couplet.form`); 0 keeps
    the model's own ranking."""

    def __init__(self, kind: str, model: keras.Model, vocab: CharVocab, max_len: int = 64,
                 distinct: bool = True, no_copy: bool = True, form_weight: float = 0.0):
        if kind not in KINDS:
            raise ValueError(f"unknown couplet model {kind!r} ({', '.join(KINDS)})")
        self.kind, self.model, self.vocab = kind, model, vocab
        self.max_len, self.distinct, self.no_copy = max_len, distinct, no_copy
        self.form_weight = form_weight
        self.decoder = {"seq2seq": Seq2SeqInference, "tagger": TaggerInference,
                        "transformer": TransformerInference}[kind](model)

    def generate(self, uppers: Sequence[str], beam: int = 5, batch_size: int = 256,
                 form_weight: float | None = None) -> list[str]:
        """One lower line per upper line (validated by :func:`check_upper`), same order;
        ``form_weight``: this call's, instead of the model's."""
        weight = self.form_weight if form_weight is None else form_weight
        uppers = [check_upper(u, self.max_len) for u in uppers]
        out: list[str | None] = [None] * len(uppers)
        for ids in length_buckets([len(u) for u in uppers], batch_size * max(len(u) for u in uppers)
                                  if uppers else 1):
            for chunk in (ids[i:i + batch_size] for i in range(0, len(ids), batch_size)):
                batch = [uppers[i] for i in chunk]
                x = np.stack([self.vocab.encode(u) for u in batch])
                cons = [constraints(u, self.vocab) for u in batch]
                forced = np.stack([c[0] for c in cons])
                same = np.stack([c[1] for c in cons])
                rows, scores = candidates(self.decoder.init, self.decoder.step, x, forced, same,
                                          self.vocab.free_ok, beam=beam, distinct=self.distinct,
                                          no_copy=self.no_copy)
                for i, u, cands, sc in zip(chunk, batch, rows, scores, strict=True):
                    out[i] = self._pick(u, cands, sc, weight)
        return out  # type: ignore[return-value]

    def _pick(self, upper: str, cands: np.ndarray, scores: np.ndarray, weight: float) -> str:
        """The best of one input's beams (best first; ``-inf``: a beam the rules left empty)."""
        kept = [(render(upper, row, self.vocab), s)
                for row, s in zip(cands, scores, strict=True) if np.isfinite(s)]
        if not kept:
            return render(upper, cands[0], self.vocab)
        if weight <= 0:
            return kept[0][0]
        ranked = [s / len(upper) + weight * pair_form(upper, line)["form"] for line, s in kept]
        return kept[int(np.argmax(ranked))][0]

    def save(self, folder: str | os.PathLike) -> None:
        from zhpipe.fsutil import write_json

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{self.kind}.tmp.keras"
        self.model.save(tmp)
        os.replace(tmp, folder / f"{self.kind}.keras")
        self.vocab.save(folder / "vocab.json")
        write_json(folder / f"{self.kind}.meta.json",
                   {"kind": self.kind, "max_len": self.max_len, "distinct": self.distinct,
                    "no_copy": self.no_copy, "form_weight": self.form_weight})

    @classmethod
    def load(cls, folder: str | os.PathLike, kind: str = "best") -> Couplet:
        """The ``kind`` model saved in ``folder``; ``best``: the one ``best.json`` names (the
        lowest dev loss of the models the stage trained), else the seq2seq model."""
        folder = Path(folder)
        if kind == "best":
            kind = best_kind(folder)
        path = folder / f"{kind}.keras"
        if not path.exists():
            raise FileNotFoundError(f"{path}: no trained {kind} model; run the train_couplet "
                                    "stage first (snakemake --cores all train_couplet)")
        model = keras.saving.load_model(path, compile=False)
        meta = json.loads((folder / f"{kind}.meta.json").read_text(encoding="utf-8"))
        return cls(kind, model, CharVocab.load(folder / "vocab.json"), meta["max_len"],
                   meta["distinct"], meta.get("no_copy", True), meta.get("form_weight", 0.0))


def best_kind(folder: str | os.PathLike) -> str:
    """The model kind ``folder/best.json`` names (written by the stage), else ``seq2seq``."""
    path = Path(folder) / "best.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))["kind"]
    return "seq2seq"


def _batch(kind: str, up, lo, ids: np.ndarray, length: int):
    """Model inputs, targets and weights (0 on padding) of one padded batch."""
    u, low = pad_rows(up, ids, length), pad_rows(lo, ids, length)
    x = u if kind == "tagger" else [u, shift_right(low)]
    return x, low, (low != PAD).astype(np.float32)


def train_couplet(kind: str, train: Sequence[tuple[str, str]], dev: Sequence[tuple[str, str]],
                  vocab: CharVocab, *, dim: int, dilations: Sequence[int], dropout: float,
                  heads: int, tokens_per_batch: int, learning_rate: float, epochs: int,
                  patience: int, seed: int, max_len: int = 64, distinct: bool = True,
                  no_copy: bool = True, max_seconds: float | None = None,
                  layers: int = 2, label_smoothing: float = 0.0, form_weight: float = 0.0,
                  callbacks: Sequence[Callback] = ()) -> tuple[Couplet, dict]:
    """Train with early stopping on the dev pairs' loss (plain cross-entropy per position,
    whatever the training loss); returns the best epoch's model.

    ``layers``: encoder and decoder blocks of the Transformer; ``label_smoothing``: of its
    training loss (the other two models train on plain cross-entropy). ``max_seconds``: start
    no pass that the last pass's time says would end after it."""
    keras.utils.set_random_seed(seed)
    if kind == "tagger":
        model = build_tagger(len(vocab), dim=dim, dilations=dilations, dropout=dropout)
    elif kind == "seq2seq":
        model = build_seq2seq(len(vocab), dim=dim, dilations=dilations, dropout=dropout,
                              heads=heads)
    elif kind == "transformer":
        model = build_transformer(len(vocab), dim=dim, layers=layers, heads=heads,
                                  dropout=dropout, max_len=max_len)
    else:
        raise ValueError(f"unknown couplet model {kind!r} ({', '.join(KINDS)})")
    smoothing = label_smoothing if kind == "transformer" else 0.0
    # the mean over real positions (padding carries weight 0)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=SmoothedCrossEntropy(smoothing))
    up = [vocab.encode(u) for u, _ in train]
    lo = [vocab.encode(low) for _, low in train]
    dev_up = [vocab.encode(u) for u, _ in dev]
    dev_lo = [vocab.encode(low) for _, low in dev]
    dev_batches = shape_buckets([len(x) for x in dev_up], tokens_per_batch)
    history, stopper = [], EarlyStopping(model, patience, higher_is_better=False)
    t_train, seen, shapes = 0.0, 0, set()
    t_start, stopped_by_time = time.perf_counter(), False
    for epoch in range(epochs):
        batches = shape_buckets([len(x) for x in up], tokens_per_batch, seed + epoch)
        shapes.update(n for n, _ in batches)
        t0 = time.perf_counter()
        losses, weights = [], []
        mark = len(batches) // 10  # steady state: the pass after its first 10% of batches
        for b, (n, ids) in enumerate(progress(batches, f"{kind} epoch {epoch + 1}/{epochs}",
                                              "batch")):
            if b == mark:
                t_mark, steady_pairs = time.perf_counter(), 0
            if b >= mark:
                steady_pairs += int((ids >= 0).sum())
            x, low, w = _batch(kind, up, lo, ids, n)
            losses.append(float(np.asarray(model.train_on_batch(x, low, sample_weight=w))))
            weights.append(w.sum())
        seconds = time.perf_counter() - t0
        steady = steady_pairs / max(time.perf_counter() - t_mark, 1e-9)
        t_train += seconds
        seen += len(up)
        dev_loss = _dev_loss(model, kind, dev_up, dev_lo, dev_batches)
        history.append({"epoch": epoch + 1, "loss": float(np.average(losses, weights=weights)),
                        "dev_loss": dev_loss, "seconds": round(seconds, 1),
                        "pairs_per_sec": round(len(up) / max(seconds, 1e-9))})
        epoch_end(callbacks, history[-1])
        log.info("%s epoch %d: loss %.4f, dev loss %.4f", kind, epoch + 1,
                 history[-1]["loss"], dev_loss)
        if stopper.update(dev_loss):
            break
        elapsed = time.perf_counter() - t_start
        if max_seconds is not None and elapsed + seconds > max_seconds:
            log.info("%s: time budget of %.0f s reached after %d passes", kind, max_seconds,
                     epoch + 1)
            stopped_by_time = True
            break
    stopper.restore()
    info = {"history": history, "best_dev_loss": round(stopper.best, 4),
            "epoch_seconds": [h["seconds"] for h in history],
            "batch_shapes": len(shapes),
            "steady_pairs_per_sec": round(steady),  # the last pass after its first 10%
            "train_seconds": round(t_train, 1),
            "train_pairs_per_sec": round(seen / t_train) if t_train else 0,
            "stopped_by_time": stopped_by_time,
            "params": int(model.count_params())}
    return Couplet(kind, model, vocab, max_len, distinct, no_copy, form_weight), info


def _dev_loss(model, kind, dev_up, dev_lo, batches) -> float:
    """Mean cross-entropy per real dev position (nats; never label-smoothed, so that the
    models compare)."""
    total, n = 0.0, 0.0
    for length, ids in batches:
        x, low, w = _batch(kind, dev_up, dev_lo, ids, length)
        logp = log_softmax(np.asarray(model.predict_on_batch(x), np.float64))
        picked = np.take_along_axis(logp, low[..., None].astype(np.int64), -1)[..., 0]
        total += float((-picked * w).sum())
        n += w.sum()
    return round(float(total / max(n, 1.0)), 4)
