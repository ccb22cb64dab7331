"""The live run of a stage: created when the stage starts (RUNNING, with its tags, its params as
soon as the stage has loaded them, MLflow's CPU/memory sampler), each training epoch logged as it
ends (:class:`EpochLogger`, a Keras-style callback the harness hands the training loop), then
completed by :func:`zhpipe.tracking.record.record_stage`; a stage that fails closes it FAILED.

The run is opened on a background thread (:func:`open_stage_run`, ``wait=False``): importing
MLflow and opening the store take a second or two, which the stage's work need not wait for.
Every later call waits for that thread first. Without a server nothing is live, and the whole run
is logged (or queued) when the stage ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhpipe.callbacks import Callback
from zhpipe.params import flatten
from zhpipe.tracking.runs import ENV_PARENT, parent_for, pipeline_run_id, runner, tags
from zhpipe.tracking.store import (
    MAX_PARAM,
    client,
    ensure_experiment,
    log,
    mlflow_key,
    project_root,
    reachable,
    settings,
    tracking_uri,
)

OPEN_TIMEOUT_S = 120.0


@dataclass
class Live:
    stage: str
    uri: str
    run_id: str
    params: set[str] = field(default_factory=set)  # keys logged
    steps: set[tuple[str, int]] = field(default_factory=set)  # (metric, step) logged
    monitor: Any = None
    broken: bool = False


_LIVE: Live | None = None
_OPENING: threading.Thread | None = None
_LOCK = threading.Lock()  # the opening thread and note_params: params noted while it runs wait
_PENDING: list[Any] = []  # params sections noted before the run was open


def current() -> Live | None:
    """The open live run (after the opening thread, if any, has finished)."""
    global _OPENING
    if _OPENING is not None:
        _OPENING.join(OPEN_TIMEOUT_S)
        if _OPENING.is_alive():
            log.warning("MLflow: the store did not answer in %.0f s; the run is logged when "
                        "the stage ends", OPEN_TIMEOUT_S)
        _OPENING = None
    return _LIVE


def take() -> Live | None:
    """The live run, handed over (to the record that completes it): no longer open here."""
    global _LIVE
    live = current()
    _LIVE = None
    if live is not None:
        stop_monitor(live)
    return live


def _failed(exc: Exception) -> None:
    if _LIVE is not None and not _LIVE.broken:
        _LIVE.broken = True
        log.warning("MLflow: live logging of %s stopped (%s: %s); the stage goes on and its "
                    "run is completed when it ends, or queued", _LIVE.stage,
                    type(exc).__name__, exc)


def open_stage_run(stage: str, root: Path | None = None, wait: bool = True) -> str | None:
    """Create the stage's run now (RUNNING) so that its params and epochs show while it runs;
    start MLflow's system metrics sampler. Never raises. ``wait=False``: on a background
    thread; returns None at once."""
    global _OPENING
    root = project_root() if root is None else Path(root)
    close_stage_run("FAILED")  # a previous stage's run left open in this process
    _PENDING.clear()
    if wait:
        _open(stage, root)
        return _LIVE.run_id if _LIVE is not None else None
    _OPENING = threading.Thread(target=_open, args=(stage, root), name="mlflow-open",
                                daemon=True)
    _OPENING.start()
    return None


def _open(stage: str, root: Path) -> None:
    global _LIVE
    uri = tracking_uri(root)
    try:
        if not reachable(uri):
            raise ConnectionError(f"tracking server {uri} is unreachable")
        c = client(uri)
        exp_id = ensure_experiment(uri, root)
        run_tags = tags(stage, runner(), pipeline_run_id(), root)
        parent = parent_for(c, exp_id, {"parent_run_id": os.environ.get(ENV_PARENT),
                                        "tags": run_tags}, root)
        if parent:
            run_tags["mlflow.parentRunId"] = parent
        run = c.create_run(exp_id, run_name=stage, tags=run_tags)
        with _LOCK:
            _LIVE = Live(stage, uri, run.info.run_id)
            pending = list(_PENDING)
            _PENDING.clear()
        for params in pending:  # sections the stage loaded while the run was being made
            _log_params(_LIVE, params)
    except Exception as exc:
        log.warning("MLflow: no live run for %s (%s); it is logged when the stage ends",
                    stage, exc)
        return
    with contextlib.suppress(Exception):
        conf = settings(root)
        if conf.system_metrics:
            from mlflow.system_metrics.system_metrics_monitor import SystemMetricsMonitor

            logging.getLogger("mlflow.system_metrics").setLevel(logging.WARNING)
            _LIVE.monitor = SystemMetricsMonitor(
                _LIVE.run_id, sampling_interval=conf.system_metrics_interval_s,
                tracking_uri=uri)
            _LIVE.monitor.start()


def close_stage_run(status: str = "FAILED", error: str | None = None) -> None:
    """End the live run, if one is open, with ``status`` (a stage that failed or was stopped)."""
    live = take()
    if live is None:
        return
    with contextlib.suppress(Exception):
        c = client(live.uri)
        if error:
            c.set_tag(live.run_id, "zhpipe.error", error[:5000])
        c.set_terminated(live.run_id, status=status)


def stop_monitor(live: Live) -> None:
    if live.monitor is not None:
        with contextlib.suppress(Exception):
            live.monitor.finish()
        live.monitor = None


def note_params(params: Any) -> None:
    """Log a params section to the live run as soon as the stage has loaded it (while the run
    is still being opened, the opening thread logs it: the stage does not wait)."""
    with _LOCK:
        if _OPENING is not None and _OPENING.is_alive() and _LIVE is None:
            _PENDING.append(params)
            return
    live = current()
    if live is None or live.broken:
        return
    _log_params(live, params)


def _log_params(live: Live, params: Any) -> None:
    items = {mlflow_key(k): str(v)[:MAX_PARAM] for k, v in flatten(params).items()}
    new = {k: v for k, v in items.items() if k not in live.params}
    if not new:
        return
    try:
        from mlflow.entities import Param

        c = client(live.uri)
        keys = list(new)
        for i in range(0, len(keys), 100):
            c.log_batch(live.run_id, params=[Param(k, new[k]) for k in keys[i:i + 100]])
        live.params |= set(new)
    except Exception as exc:
        _failed(exc)


def log_epoch(step: int, logs: dict) -> None:
    """Log one epoch's numbers (keys already named by their curve: ``seg.loss``) at ``step``."""
    live = current()
    if live is None or live.broken:
        return
    from mlflow.entities import Metric

    ts = int(time.time() * 1000)
    metrics = [Metric(mlflow_key(k), float(v), ts, step) for k, v in logs.items()
               if isinstance(v, int | float) and not isinstance(v, bool) and v == v]
    try:
        client(live.uri).log_batch(live.run_id, metrics=metrics)
        live.steps |= {(m.key, step) for m in metrics}
    except Exception as exc:
        _failed(exc)


class EpochLogger(Callback):
    """The callback the harness hands every training loop: each epoch's numbers go to the live
    run as step metrics (step = the epoch counted from 1, as in the stage's curves)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        log_epoch(epoch + 1, logs or {})
