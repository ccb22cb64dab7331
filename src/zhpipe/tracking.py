"""Stage tracking: ``reports/metrics/<stage>.json`` first, then one MLflow run per stage.

The JSON file is the source of truth (small, committed, ``cache: false`` in DVC); MLflow is the
browsable view. Each stage run is tagged with the stage, the runner (snakemake, dvc or manual),
the git commit and a pipeline-run id, and is nested under one parent run per pipeline invocation.

Store: ``$MLFLOW_TRACKING_URI`` if set, else ``tracking.uri`` in params.yaml, else an sqlite
database ``mlflow.db`` at the project root (absolute path) with artefacts in ``mlartifacts/``.
MLflow stores artefact locations as absolute paths; when that store is used from a checkout that
was copied or moved with it, the paths are first pointed at this checkout's ``mlartifacts/``
(:func:`relocate_local_store`), so that a copy never writes into the original project.
Under Snakemake the store and the parent run are created in ``onstart``, before parallel stages
start (concurrent first use of a fresh sqlite store crashes MLflow).

If the tracking server cannot be reached, the stage still writes its outputs and metrics, warns,
and queues the run in ``.zhpipe/pending/``; ``zhpipe tracking sync`` logs the queued runs later.

Training curves: every ``history`` list in a stage's metrics (one dict per epoch, with an
``epoch`` key) is logged as MLflow step metrics (``<curve>.<field>``, step = epoch, so the run
page draws a curve) instead of one point per value, and written as
``reports/curves/<stage>/<curve>.json`` (one row per epoch) for ``dvc plots show`` / ``dvc plots
diff`` (declared in dvc.yaml). The experiment is tagged as model training
(``mlflow.experimentKind``), so that the UI opens on its runs table.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from zhpipe.fsutil import write_json
from zhpipe.params import flatten

log = logging.getLogger(__name__)

EXPERIMENT = "zhpipe"
ENV_RUNNER = "ZHPIPE_RUNNER"
ENV_PIPELINE = "ZHPIPE_PIPELINE_RUN_ID"
ENV_PARENT = "ZHPIPE_PARENT_RUN_ID"
PENDING_DIR = Path(".zhpipe") / "pending"
CURVES_DIR = Path("reports") / "curves"
EXPERIMENT_KIND = ("mlflow.experimentKind", "custom_model_development")
_MAX_PARAM = 500


def project_root() -> Path:
    return Path(os.environ.get("DVC_ROOT") or os.getcwd()).resolve()


def tracking_uri(root: Path | None = None) -> str:
    root = project_root() if root is None else Path(root).resolve()
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    params = root / "params.yaml"
    if params.exists():
        with contextlib.suppress(Exception):
            uri = (yaml.safe_load(params.read_text(encoding="utf-8")) or {}).get(
                "tracking", {}).get("uri")
            if uri:
                return str(uri)
    return default_uri(root)


def default_uri(root: Path) -> str:
    return f"sqlite:///{Path(root).resolve() / 'mlflow.db'}"


def runner() -> str:
    if os.environ.get(ENV_RUNNER):
        return os.environ[ENV_RUNNER]
    if os.environ.get("DVC_STAGE"):
        return "dvc"
    return "manual"


def git_commit(root: Path | None = None) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root or project_root(),
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def pipeline_run_id() -> str:
    """The id shared by all stages of one pipeline invocation.

    Snakemake sets it in ``onstart``. Under ``dvc repro`` the stages share the dvc process, so the
    id is derived from that process (pid and start time); otherwise each stage gets a new id.
    """
    if os.environ.get(ENV_PIPELINE):
        return os.environ[ENV_PIPELINE]
    if os.environ.get("DVC_STAGE"):
        with contextlib.suppress(Exception):
            import psutil

            proc = psutil.Process(os.getppid())
            while proc is not None:
                cmd = " ".join(proc.cmdline())
                if "dvc" in Path(proc.cmdline()[0]).name or " dvc " in f" {cmd} ":
                    return f"dvc-{proc.pid}-{int(proc.create_time())}"
                proc = proc.parent()
    return f"manual-{uuid.uuid4().hex[:12]}"


def _reachable(uri: str) -> bool:
    if not uri.startswith(("http://", "https://")):
        return True
    import requests

    try:
        requests.get(uri.rstrip("/") + "/health", timeout=5)
        return True
    except requests.RequestException:
        return False


def _client(uri: str):
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def relocate_local_store(uri: str, root: Path, artifact_location: str) -> bool:
    """Point the default store's artefact paths at ``root/mlartifacts`` if they name another one.

    Only the project's own store (``mlflow.db`` at ``root``, the default) is touched, and only
    paths that end in ``/mlartifacts``: the store and its artefacts were copied or moved together
    (``cp -r``, ``mv``, a clone of a workspace), and the old paths name the original project,
    which may be gone or, worse, still there to be written into. MLflow has no call to change an
    experiment's location, so the three columns that hold one are rewritten in one transaction."""
    root = Path(root).resolve()
    if uri != default_uri(root):
        return False
    here = (root / "mlartifacts").as_uri()
    old = artifact_location.rstrip("/")
    if old == here or not old.endswith("/mlartifacts"):
        return False
    import sqlite3

    with contextlib.closing(sqlite3.connect(root / "mlflow.db", timeout=30)) as db, db:
        n = len(old)
        db.execute("UPDATE experiments SET artifact_location = ? WHERE artifact_location = ?",
                   (here, artifact_location))
        for table, column in (("runs", "artifact_uri"), ("logged_models", "artifact_location")):
            with contextlib.suppress(sqlite3.OperationalError):  # a table older MLflows lack
                db.execute(f"UPDATE {table} SET {column} = ? || substr({column}, ?) "
                           f"WHERE substr({column}, 1, ?) = ? AND substr({column}, ?, 1) = '/'",
                           (here, n + 1, n, old, n + 1))
    log.warning("MLflow: %s held artefact paths under %s (the checkout it was copied or moved "
                "from); they now point at %s", root / "mlflow.db", old, here)
    return True


def relocate_if_moved(root: Path) -> bool:
    """:func:`relocate_local_store` for the project's default store, if it exists."""
    uri = tracking_uri(root)
    if uri != default_uri(root) or not (Path(root) / "mlflow.db").exists():
        return False
    exp = _client(uri).get_experiment_by_name(EXPERIMENT)
    return exp is not None and relocate_local_store(uri, root, exp.artifact_location or "")


def ensure_experiment(uri: str, root: Path | None = None) -> str:
    """Create the store and the ``zhpipe`` experiment if needed; return the experiment id."""
    root = project_root() if root is None else root
    client = _client(uri)
    exp = client.get_experiment_by_name(EXPERIMENT)
    if exp is not None:
        relocate_local_store(uri, root, exp.artifact_location or "")
        if exp.tags.get(EXPERIMENT_KIND[0]) != EXPERIMENT_KIND[1]:  # stores made before the tag
            client.set_experiment_tag(exp.experiment_id, *EXPERIMENT_KIND)
        return exp.experiment_id
    location = None
    if not uri.startswith(("http://", "https://", "databricks")):
        location = (root / "mlartifacts").resolve().as_uri()
    try:
        return client.create_experiment(EXPERIMENT, artifact_location=location,
                                        tags=dict([EXPERIMENT_KIND]))
    except Exception:  # created meanwhile by another process
        exp = client.get_experiment_by_name(EXPERIMENT)
        if exp is None:
            raise
        return exp.experiment_id


def start_pipeline(runner_name: str, root: Path | None = None) -> tuple[str, str | None]:
    """Create the store, the experiment and a parent run; export the ids to child stages."""
    root = project_root() if root is None else root
    pid = f"{runner_name}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    os.environ[ENV_RUNNER] = runner_name
    os.environ[ENV_PIPELINE] = pid
    uri = tracking_uri(root)
    parent = None
    try:
        if not _reachable(uri):
            raise ConnectionError(f"tracking server {uri} is unreachable")
        exp = ensure_experiment(uri, root)
        run = _client(uri).create_run(exp, run_name=f"pipeline {pid}", tags=_tags(
            "pipeline", runner_name, pid, root) | {"zhpipe.parent": "true"})
        parent = run.info.run_id
        os.environ[ENV_PARENT] = parent
    except Exception as exc:  # tracking must never stop the pipeline
        log.warning("MLflow: no parent run (%s); stage runs will be queued if needed", exc)
    return pid, parent


def end_pipeline(status: str = "FINISHED", root: Path | None = None) -> None:
    parent = os.environ.get(ENV_PARENT)
    if not parent:
        return
    try:
        _client(tracking_uri(root)).set_terminated(parent, status=status)
    except Exception as exc:
        log.warning("MLflow: could not close the parent run %s (%s)", parent, exc)


def _tags(stage: str, runner_name: str, pid: str, root: Path) -> dict[str, str]:
    commit = git_commit(root)  # one git call, two tags
    return {"zhpipe.stage": stage, "zhpipe.runner": runner_name, "zhpipe.pipeline_run_id": pid,
            "mlflow.source.git.commit": commit, "zhpipe.git_commit": commit}


def _backend_tags(metrics: dict) -> dict[str, str]:
    """A training stage's ``backend`` entry (zhpipe.backend.describe) as tags, to filter on."""
    b = metrics.get("backend")
    if not isinstance(b, dict):
        return {}
    return {f"zhpipe.{k}": str(b[k]) for k in ("backend", "device") if k in b}


def _is_history(value: Any) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(row, dict) and "epoch" in row for row in value))


def curves(metrics: dict, prefix: str = "") -> dict[str, list[dict]]:
    """The training curves in ``metrics``: each ``history`` list (rows with an ``epoch``) under
    the dotted path of its parent (``{"ner": {"history": [...]}}`` -> ``"ner"``), numeric
    fields only."""
    out: dict[str, list[dict]] = {}
    for key, value in metrics.items():
        path = f"{prefix}{key}"
        if key == "history" and _is_history(value):
            name = prefix[:-1] or "history"
            out[name] = [{k: v for k, v in row.items()
                          if isinstance(v, int | float) and not isinstance(v, bool)}
                         for row in value]
        elif isinstance(value, dict):
            out.update(curves(value, f"{path}."))
    return out


def _without_history(metrics: Any) -> Any:
    if isinstance(metrics, dict):
        return {k: _without_history(v) for k, v in metrics.items()
                if not (k == "history" and _is_history(v))}
    return metrics


def _steps(metrics: dict) -> dict[str, list[list[float]]]:
    """``{"<curve>.<field>": [[epoch, value], ...]}`` for MLflow step metrics."""
    out: dict[str, list[list[float]]] = {}
    for name, rows in curves(metrics).items():
        for row in rows:
            for field, value in row.items():
                if field != "epoch" and value == value:
                    out.setdefault(f"{name}.{field}", []).append([int(row["epoch"]),
                                                                  float(value)])
    return out


def write_curves(stage: str, metrics: dict, root: Path) -> list[Path]:
    """``reports/curves/<stage>/<curve>.json`` for each training curve (atomic writes)."""
    written = []
    for name, rows in curves(metrics).items():
        path = root / CURVES_DIR / stage.replace("@", "_") / f"{name}.json"
        write_json(path, rows)
        written.append(path)
    return written


def _numeric(metrics: dict) -> dict[str, float]:
    out = {}
    for k, v in flatten(_without_history(metrics)).items():
        if isinstance(v, bool):
            out[k] = float(v)
        elif isinstance(v, int | float) and v == v:
            out[k] = float(v)
    return out


def record_stage(stage: str, params: Any, metrics: dict, metrics_path: str | os.PathLike,
                 artifacts: list[str | os.PathLike] = (), root: Path | None = None) -> None:
    """Write ``metrics_path`` (atomically), then log the stage run to MLflow or queue it."""
    root = project_root() if root is None else Path(root)
    write_json(metrics_path, metrics, ascii=True)  # DVC reads it as metrics
    write_curves(stage, metrics, root)  # DVC reads them as plots
    uri = tracking_uri(root)
    record = {
        "stage": stage,
        # None: the project's own store, wherever the checkout is when the record is logged
        "tracking_uri": None if uri == default_uri(root) else uri,
        "tags": _tags(stage, runner(), pipeline_run_id(), root) | _backend_tags(metrics),
        "parent_run_id": os.environ.get(ENV_PARENT),
        "params": {k: str(v)[:_MAX_PARAM] for k, v in flatten(params).items()},
        "metrics": _numeric(metrics),
        "steps": _steps(metrics),
        "artifacts": [str(Path(a).resolve()) for a in [metrics_path, *artifacts]],
        "time": time.time(),
    }
    try:
        log_record(record, root)
    except Exception as exc:
        pending = root / PENDING_DIR
        pending.mkdir(parents=True, exist_ok=True)
        path = pending / f"{time.strftime('%Y%m%d-%H%M%S')}-{stage.replace('@', '_')}-" \
                         f"{uuid.uuid4().hex[:6]}.json"
        # the artefacts as they are now, not as they will be at sync time
        files = path.with_suffix(".files")
        kept = []
        for i, art in enumerate(record["artifacts"]):
            if Path(art).is_file() and Path(art).stat().st_size < 20_000_000:
                dest = files / str(i) / Path(art).name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(art, dest)
                kept.append(str(dest.relative_to(root)))  # the checkout may move before sync
        record["artifacts"] = kept
        write_json(path, record)
        log.warning("MLflow could not log the run (%s: %s); outputs and %s are written, the "
                    "run is queued in %s: run `zhpipe tracking sync` when the server is back",
                    type(exc).__name__, exc, metrics_path, path)


def _parent_for(client, exp_id: str, record: dict, root: Path) -> str | None:
    if record.get("parent_run_id"):
        return record["parent_run_id"]
    pid = record["tags"]["zhpipe.pipeline_run_id"]
    if not pid.startswith("dvc-"):
        return None
    runs = client.search_runs([exp_id], filter_string=(
        f"tags.`zhpipe.pipeline_run_id` = '{pid}' and tags.`zhpipe.parent` = 'true'"))
    if runs:
        return runs[0].info.run_id
    run = client.create_run(exp_id, run_name=f"pipeline {pid}",
                            tags=_tags("pipeline", "dvc", pid, root) | {"zhpipe.parent": "true"})
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def mlflow_key(name: str) -> str:
    """A metric or param name MLflow accepts (alphanumerics, ``_-. :/``): ``5+`` -> ``5plus``,
    any other character -> ``_``. Records queued before this existed sync with the same names."""
    return re.sub(r"[^\w\-. :/]", "_", name.replace("+", "plus"), flags=re.ASCII)


def log_record(record: dict, root: Path) -> str:
    """Log one stage record (as built by ``record_stage``) as an MLflow run; return its id."""
    uri = record["tracking_uri"] or tracking_uri(root)
    if not _reachable(uri):
        raise ConnectionError(f"tracking server {uri} is unreachable")
    client = _client(uri)
    exp_id = ensure_experiment(uri, root)
    tags = dict(record["tags"])
    parent = _parent_for(client, exp_id, record, root)
    if parent:
        tags["mlflow.parentRunId"] = parent
    run = client.create_run(exp_id, run_name=record["stage"], tags=tags,
                            start_time=int(record["time"] * 1000))
    rid = run.info.run_id
    try:
        from mlflow.entities import Metric, Param

        ts = int(record["time"] * 1000)
        params = [Param(mlflow_key(k), v) for k, v in record["params"].items()]
        metrics = [Metric(mlflow_key(k), v, ts, 0) for k, v in record["metrics"].items()]
        metrics += [Metric(mlflow_key(k), v, ts, int(step))  # curves: one point per epoch
                    for k, points in record.get("steps", {}).items() for step, v in points]
        for i in range(0, max(len(params), len(metrics)), 100):
            client.log_batch(rid, metrics=metrics[i:i + 100], params=params[i:i + 100])
        for art in record["artifacts"]:
            art = Path(root, art)  # a queued copy's path is relative to the checkout
            if art.is_file() and art.stat().st_size < 20_000_000:
                client.log_artifact(rid, str(art))
        client.set_terminated(rid)
    except Exception:
        # The caller queues the whole record; a half-logged run would sit next to the synced one.
        with contextlib.suppress(Exception):
            client.delete_run(rid)
        raise
    return rid


def sync_pending(root: Path | None = None) -> tuple[int, int]:
    """Log every queued run; return (logged, still pending).

    One sync at a time (a second one stops, naming the first): two would log a run twice. A
    queued file that cannot be read is moved to ``pending/unreadable/``, named in a warning, and
    the others are logged."""
    from zhpipe.errors import UserError
    from zhpipe.runlock import hold, release

    root = project_root() if root is None else Path(root)
    folder = root / PENDING_DIR
    lock = hold(folder / ".sync.lock", "zhpipe tracking sync", lambda info: UserError(
        f"{folder}: another `zhpipe tracking sync` ({info}) is logging these runs; wait for "
        "it to finish"))
    try:
        pending = sorted(folder.glob("*.json"))
        done = unreadable = 0
        for path in pending:
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                for key in ("stage", "tracking_uri", "tags", "params", "metrics", "artifacts"):
                    record[key]  # noqa: B018  (a record missing any of them is unreadable)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                bad = folder / "unreadable" / path.name
                bad.parent.mkdir(exist_ok=True)
                os.replace(path, bad)
                log.warning("%s: not a queued run (%s); moved to %s, the others are logged",
                            path, exc, bad)
                unreadable += 1
                continue
            if os.environ.get("MLFLOW_TRACKING_URI"):
                record["tracking_uri"] = os.environ["MLFLOW_TRACKING_URI"]
            try:
                log_record(record, root)
            except Exception as exc:
                log.warning("%s: still not logged (%s)", path, exc)
                continue
            path.unlink()
            shutil.rmtree(path.with_suffix(".files"), ignore_errors=True)
            done += 1
        return done, len(pending) - done - unreadable
    finally:
        release(lock)
