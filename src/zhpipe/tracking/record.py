"""A finished stage as an MLflow run: params, metrics, curves as step metrics, artefacts, data
inputs and models, completing the stage's live run; queued in ``.zhpipe/pending/`` when the store
cannot be reached (``zhpipe tracking sync`` logs it later, :mod:`zhpipe.tracking.sync`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zhpipe.curves import steps, without_history
from zhpipe.fsutil import write_json
from zhpipe.params import flatten
from zhpipe.tracking import live as live_run
from zhpipe.tracking.inputs import inputs, log_inputs
from zhpipe.tracking.models import ModelSpecs, log_models
from zhpipe.tracking.runs import ENV_PARENT, backend_tags, parent_for, pipeline_run_id, runner, tags
from zhpipe.tracking.store import (
    MAX_PARAM,
    PENDING_DIR,
    client,
    default_uri,
    ensure_experiment,
    log,
    mlflow_key,
    project_root,
    reachable,
    tracking_uri,
)


def numeric(metrics: dict) -> dict[str, float]:
    """The metrics' numbers (curves left out), flattened: ``{"pku.f1": 96.1}``."""
    out = {}
    for k, v in flatten(without_history(metrics)).items():
        if isinstance(v, bool):
            out[k] = float(v)
        elif isinstance(v, int | float) and v == v:
            out[k] = float(v)
    return out


#: Set by the Snakefile for a local run: a stage that trains nothing queues its record (in
#: ``.zhpipe/pending/``) instead of importing MLflow, and the Snakemake process, which has MLflow
#: imported already, logs it a moment later (``zhpipe.tracking.sync.Watcher``): about two
#: seconds of CPU saved per stage. Under ``dvc repro`` or by hand, every stage logs its own run.
ENV_VIA_RUNNER = "ZHPIPE_TRACKING_VIA_RUNNER"


def via_runner() -> bool:
    """Does a runner process log this stage's record (:data:`ENV_VIA_RUNNER`)?"""
    return os.environ.get(ENV_VIA_RUNNER) == "1"


def record_stage(stage: str, params: Any, metrics: dict,
                 artifacts: Sequence[str | os.PathLike] = (), root: Path | None = None,
                 models: str | os.PathLike | None = None,
                 model_specs: ModelSpecs | None = None, *, started: float | None = None,
                 status: str = "FINISHED", error: str | None = None,
                 defer: bool = False) -> None:
    """Log the stage run to MLflow (completing its live run) or queue it. ``models``: the stage's
    output folder, whose models ``model_specs(stage, folder)`` names (the serving face's).
    ``started``: when the stage started (the run's start time; default: now); ``status`` and
    ``error``: a stage that failed. ``defer``: queue it for the runner to log (no MLflow here)."""
    root = project_root() if root is None else Path(root)
    uri = tracking_uri(root)
    live = live_run.take()
    record = {
        "stage": stage,
        # None: the project's own store, wherever the checkout is when the record is logged
        "tracking_uri": None if uri == default_uri(root) else uri,
        "tags": tags(stage, runner(), pipeline_run_id(), root) | backend_tags(metrics),
        "parent_run_id": os.environ.get(ENV_PARENT),
        "params": {k: str(v)[:MAX_PARAM] for k, v in flatten(params).items()} if params else {},
        "metrics": numeric(metrics),
        "steps": steps(metrics),
        "artifacts": [str(Path(a).resolve()) for a in artifacts],
        "inputs": inputs(stage, root),
        "models": None if models is None else {"stage": stage.partition("@")[0],
                                               "folder": str(Path(models).resolve())},
        "time": time.time(),
        "start_time": started,
        "status": status,
        "error": error,
    }
    if live is not None and live.stage == stage:
        record.update(live_run_id=live.run_id, logged_params=sorted(live.params),
                      logged_steps=sorted([k, s] for k, s in live.steps))
    if defer:
        queue(record, root)
        return
    try:
        log_record(record, root, model_specs)
    except Exception as exc:
        path = queue(record, root)
        log.warning("MLflow could not log the run (%s: %s); the outputs and metrics are "
                    "written, the run is queued in %s: run `zhpipe tracking sync` when the "
                    "server is back", type(exc).__name__, exc, path)


def queue(record: dict, root: Path) -> Path:
    """Write ``record`` to the pending folder, with copies of its artefacts as they are now
    (not as they will be at sync time); return its path."""
    pending = root / PENDING_DIR
    pending.mkdir(parents=True, exist_ok=True)
    path = pending / f"{time.strftime('%Y%m%d-%H%M%S')}-{record['stage'].replace('@', '_')}-" \
                     f"{uuid.uuid4().hex[:6]}.json"
    files = path.with_suffix(".files")
    kept = []
    for i, art in enumerate(record["artifacts"]):
        if Path(art).is_file() and Path(art).stat().st_size < 20_000_000:
            dest = files / str(i) / Path(art).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(art, dest)
            kept.append(str(dest.relative_to(root)))  # the checkout may move before sync
    write_json(path, {**record, "artifacts": kept})
    return path


def log_record(record: dict, root: Path, model_specs: ModelSpecs | None = None) -> str:
    """Log one stage record (as built by :func:`record_stage`) as an MLflow run; return its
    id. A record that names a live run (``live_run_id``) completes that run: what was logged
    live is not logged again."""
    uri = record["tracking_uri"] or tracking_uri(root)
    if not reachable(uri):
        raise ConnectionError(f"tracking server {uri} is unreachable")
    c = client(uri)
    exp_id = ensure_experiment(uri, root)
    rid, done_params = None, set(record.get("logged_params") or [])
    if record.get("live_run_id"):
        with contextlib.suppress(Exception):  # gone (deleted, another store): a new run
            run = c.get_run(record["live_run_id"])
            if run.info.lifecycle_stage == "active":
                rid = run.info.run_id
                done_params |= set(run.data.params)
    new_run = rid is None
    if new_run:
        run_tags = dict(record["tags"])
        parent = parent_for(c, exp_id, record, root)
        if parent:
            run_tags["mlflow.parentRunId"] = parent
        start = record.get("start_time") or record["time"]
        rid = c.create_run(exp_id, run_name=record["stage"], tags=run_tags,
                           start_time=int(start * 1000)).info.run_id
        done_steps: set[tuple[str, int]] = set()
    else:
        done_steps = {(k, int(st)) for k, st in record.get("logged_steps") or []}
        for k, v in record["tags"].items():  # the backend tags are known at the end only
            if k.startswith("zhpipe."):
                c.set_tag(rid, k, v)
    try:
        from mlflow.entities import Metric, Param

        ts = int(record["time"] * 1000)
        params = [Param(mlflow_key(k), v) for k, v in record["params"].items()
                  if mlflow_key(k) not in done_params]
        metrics = [Metric(mlflow_key(k), v, ts, 0) for k, v in record["metrics"].items()]
        metrics += [Metric(mlflow_key(k), v, ts, int(step))  # curves: one point per epoch
                    for k, points in record.get("steps", {}).items() for step, v in points
                    if (mlflow_key(k), int(step)) not in done_steps]
        for i in range(0, max(len(params), len(metrics)), 100):
            c.log_batch(rid, metrics=metrics[i:i + 100], params=params[i:i + 100])
        for art in record["artifacts"]:
            art = Path(root, art)  # a queued copy's path is relative to the checkout
            if art.is_file() and art.stat().st_size < 20_000_000:
                c.log_artifact(rid, str(art))
        log_inputs(c, rid, record.get("inputs") or [])
    except Exception:
        # The caller queues the whole record; a half-logged new run would sit next to the
        # synced one (a live run is kept: the sync completes it).
        if new_run:
            with contextlib.suppress(Exception):
                c.delete_run(rid)
        raise
    if record.get("models") and model_specs is not None:
        log_models(uri, rid, record["models"], root, model_specs)
    if record.get("error"):
        c.set_tag(rid, "zhpipe.error", record["error"][:5000])
    c.set_terminated(rid, status=record.get("status") or "FINISHED",
                     end_time=int(record["time"] * 1000))
    return rid


