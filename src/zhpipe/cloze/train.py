"""Training the cloze reader: early stopping on the dev items, then an optional second phase
(a curriculum) on the in-domain stories."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import keras
import numpy as np

from zhpipe.callbacks import Callback, epoch_end
from zhpipe.cloze.data import ClozeItem
from zhpipe.cloze.encoding import answer_mask, batch_inputs
from zhpipe.cloze.model import attention_sum_loss, build_reader
from zhpipe.cloze.reader import Reader
from zhpipe.cloze.vocab import WordVocab
from zhpipe.earlystop import EarlyStopping
from zhpipe.progress import progress

log = logging.getLogger(__name__)


def _prepare(reader: Reader, items: Sequence[ClozeItem], tokens_per_batch: int
             ) -> tuple[list, int]:
    """Model inputs and answer masks per batch; items whose answer fell outside the passage's
    first ``max_doc`` tokens are dropped and counted."""
    dropped, prepared = 0, []
    for ids, encs in reader.batches(items, tokens_per_batch):
        x = batch_inputs(encs)
        y = np.stack([answer_mask(e, items[k].answer, x["doc"].shape[1])
                      for k, e in zip(ids, encs, strict=True)])
        keep = y.sum(1) > 0  # the answer was cut off with the passage's tail
        dropped += int((~keep).sum())
        if keep.any():
            prepared.append(({k: v[keep] for k, v in x.items()}, y[keep]))
    return prepared, dropped


def train_reader(train: Sequence[ClozeItem], dev: Sequence[ClozeItem], vocab: WordVocab, *,
                 dim: int, units: int, dropout: float, max_doc: int, tokens_per_batch: int,
                 encoder: str = "cnn", dilations: Sequence[int] = (1, 2, 4, 8, 1),
                 freeze_embeddings: bool = False, gated_attention: int = 0,
                 learning_rate: float, epochs: int,
                 patience: int, seed: int, init: np.ndarray | None = None,
                 lr_decay: str = "none", second: Sequence[ClozeItem] = (),
                 second_epochs: int = 0, second_learning_rate: float | None = None,
                 callbacks: Sequence[Callback] = ()) -> tuple[Reader, dict]:
    """Train with early stopping on the accuracy over ``dev`` (held-out items, never the
    evaluation set). ``lr_decay``: ``none`` (constant rate) or ``cosine`` (from
    ``learning_rate`` down to 0 over all ``epochs``). Then, a second phase (a curriculum):
    ``second_epochs`` more passes over the items ``second`` alone (the in-domain stories) at the
    constant ``second_learning_rate``, early stopping going on over both phases."""
    if lr_decay not in ("none", "cosine"):
        raise ValueError(f"lr_decay: {lr_decay!r} (none or cosine)")
    keras.utils.set_random_seed(seed)
    model = build_reader(len(vocab), dim=dim, units=units, dropout=dropout, encoder=encoder,
                         dilations=dilations, init=init, freeze=freeze_embeddings,
                         gated_attention=gated_attention)
    reader = Reader(model, vocab, max_doc)
    prepared, dropped = _prepare(reader, train, tokens_per_batch)
    rate = learning_rate  # cosine: over the steps really taken (all-dropped batches skipped)
    if lr_decay == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(learning_rate,
                                                      max(1, epochs * len(prepared)))
    model.compile(optimizer=keras.optimizers.Adam(rate, clipnorm=5.0), loss=attention_sum_loss)
    rng = np.random.default_rng(seed)
    history, stopper = [], EarlyStopping(model, patience)
    t_train, seen = 0.0, 0
    phases = [("all", prepared, epochs)]
    if second and second_epochs:
        phases.append(("second", _prepare(reader, second, tokens_per_batch)[0], second_epochs))
    for phase, batches, n_epochs in phases:
        if phase == "second":
            stopper.restore()  # the second phase starts from the first phase's best weights
            stopper.waited = 0
            model.compile(optimizer=keras.optimizers.Adam(second_learning_rate or learning_rate,
                                                          clipnorm=5.0),
                          loss=attention_sum_loss)
        for epoch in range(n_epochs):
            t0, seen_before = time.perf_counter(), seen
            losses = []
            for b in progress(rng.permutation(len(batches)),
                              f"reader {phase} epoch {epoch + 1}/{n_epochs}", "batch"):
                x, y = batches[b]
                losses.append(float(np.asarray(model.train_on_batch(x, y))))
                seen += len(y)
            epoch_seconds = time.perf_counter() - t0
            t_train += epoch_seconds
            pred = reader.answer(dev)
            acc = float(np.mean([p == it.answer for p, it in zip(pred, dev, strict=True)])) \
                if dev else 0.0
            # epoch: counted over both phases (the curve's x); phase_epoch: within the phase
            history.append({"phase": phase, "epoch": len(history) + 1,
                            "phase_epoch": epoch + 1, "loss": float(np.mean(losses)),
                            "dev_accuracy": round(100 * acc, 2),
                            "items_per_sec": round((seen - seen_before) /
                                                   max(epoch_seconds, 1e-9), 1)})
            epoch_end(callbacks, history[-1])
            log.info("reader %s epoch %d: loss %.4f, dev accuracy %.2f%%", phase, epoch + 1,
                     history[-1]["loss"], 100 * acc)
            if stopper.update(acc):
                break
    stopper.restore()
    return reader, {"history": history, "dev_accuracy": round(100 * stopper.best, 2),
                    "train_seconds": round(t_train, 1),
                    "train_items_per_sec": round(seen / t_train, 1) if t_train else 0,
                    "dropped_answer_truncated": dropped, "params": int(model.count_params())}

