"""Keras-style training callbacks for the project's own training loops.

A training loop takes ``callbacks`` (a list) and calls ``on_epoch_end(epoch, logs)`` after each
epoch, ``epoch`` counted from 0 and ``logs`` the epoch's numbers (``loss``, ``dev``, a throughput
...), as ``keras.Model.fit`` does. Whatever watches training (the runner's MLflow and progress
callback, a test) is handed in from outside: model code never imports the tracker.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class Callback:
    """The hooks a training loop calls; each does nothing unless overridden."""

    def on_train_begin(self, logs: dict | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_train_end(self, logs: dict | None = None) -> None:
        pass


class Prefixed(Callback):
    """Forwards to ``callbacks`` with each key written ``<prefix>.<key>``: the name of the curve
    in the stage's metrics (``seg``, ``ner``, ``forms.5.train`` ...), so that ``seg.loss`` on the
    MLflow run is the same number as ``metrics["seg"]["history"][epoch]["loss"]``."""

    def __init__(self, prefix: str, callbacks: Iterable[Callback] = ()):
        self.prefix, self.callbacks = prefix, list(callbacks)

    def on_train_begin(self, logs=None):
        for cb in self.callbacks:
            cb.on_train_begin(self._named(logs))

    def on_epoch_end(self, epoch, logs=None):
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, self._named(logs))

    def on_train_end(self, logs=None):
        for cb in self.callbacks:
            cb.on_train_end(self._named(logs))

    def _named(self, logs: dict | None) -> dict:
        return {f"{self.prefix}.{k}": v for k, v in (logs or {}).items()}


def named(prefix: str, callbacks: Sequence[Callback] | None) -> list[Callback]:
    """``callbacks`` reporting under the curve ``prefix`` (none: an empty list)."""
    return [Prefixed(prefix, callbacks)] if callbacks else []


def epoch_end(callbacks: Iterable[Callback], row: dict) -> None:
    """Call ``on_epoch_end`` with one history row (``{"epoch": 1, "loss": ...}``, epochs counted
    from 1 as the stages' metrics count them): ``epoch`` = row's epoch - 1, logs = the row's
    numeric fields."""
    logs = {k: v for k, v in row.items() if k != "epoch" and isinstance(v, int | float)
            and not isinstance(v, bool)}
    for cb in callbacks:
        cb.on_epoch_end(int(row["epoch"]) - 1, logs)
