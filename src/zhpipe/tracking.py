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

Live runs: ``zhpipe.stagerun`` opens the stage's run when the stage starts (RUNNING, with its
tags and, with ``tracking.system_metrics``, MLflow's CPU/memory sampler); each params section
the stage loads is logged at once (:func:`note_params`), each training epoch as it ends
(:func:`log_epoch`, under the curve named by :func:`curve`); :func:`record_stage` then logs the
rest into the same run and closes it (a stage that fails closes it FAILED). The run also gets
the stage's data inputs as MLflow datasets (name = the path, digest = its DVC hash; the deps of
dvc.yaml that are not code) and, with ``tracking.log_models``, its models as MLflow models,
registered under stable names (:mod:`zhpipe.serving`). Unreachable server: nothing is live, the
whole record (curves, models' folder) is queued as before; a server lost mid-stage: the record
names the live run, and ``zhpipe tracking sync`` completes that run.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from zhpipe.fsutil import write_json
from zhpipe.params import Section, flatten

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


class TrackingParams(Section):
    """The ``tracking`` section of params.yaml (not a stage input: changing it reruns nothing)."""

    uri: str | None = None
    log_models: bool = True
    system_metrics: bool = True
    system_metrics_interval_s: float = Field(default=10.0, gt=0)


def settings(root: Path | None = None) -> TrackingParams:
    """The tracking section of ``root``'s params.yaml (defaults where there is none)."""
    from zhpipe.params import read_params, validate

    path = (project_root() if root is None else Path(root)) / "params.yaml"
    data = read_params(path).get("tracking") if path.exists() else None
    return validate(TrackingParams, data or {}, "tracking", path)


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
                # `dvc repro`, `python -m dvc repro` or `/venv/bin/python /venv/bin/dvc repro`
                # (a console script run through its interpreter: the name is the 2nd word)
                words = [Path(w).name for w in proc.cmdline()[:3]]
                if "dvc" in words or (words and words[0].startswith("dvc")):
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
            for key, value in row.items():
                if key != "epoch" and value == value:
                    out.setdefault(f"{name}.{key}", []).append([int(row["epoch"]),
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


# ------------------------------------------------------------------ the live run of a stage
@dataclass
class _Live:
    stage: str
    uri: str
    run_id: str
    params: set[str] = field(default_factory=set)  # keys logged
    steps: set[tuple[str, int]] = field(default_factory=set)  # (metric, step) logged
    monitor: Any = None
    broken: bool = False


_LIVE: _Live | None = None
_CURVE: list[str] = []


def _live_failed(exc: Exception) -> None:
    if _LIVE is not None and not _LIVE.broken:
        _LIVE.broken = True
        log.warning("MLflow: live logging of %s stopped (%s: %s); the stage goes on and its "
                    "run is completed when it ends, or queued", _LIVE.stage,
                    type(exc).__name__, exc)


def open_stage_run(stage: str, root: Path | None = None) -> str | None:
    """Create the stage's run now (RUNNING) so that its params and epochs show while it runs;
    start MLflow's system metrics sampler. Never raises: without a server nothing is live and
    :func:`record_stage` logs (or queues) the whole run at the end."""
    global _LIVE
    root = project_root() if root is None else Path(root)
    close_stage_run("FAILED")  # a previous stage's run left open in this process
    uri = tracking_uri(root)
    try:
        if not _reachable(uri):
            raise ConnectionError(f"tracking server {uri} is unreachable")
        client = _client(uri)
        exp_id = ensure_experiment(uri, root)
        tags = _tags(stage, runner(), pipeline_run_id(), root)
        parent = _parent_for(client, exp_id, {"parent_run_id": os.environ.get(ENV_PARENT),
                                              "tags": tags}, root)
        if parent:
            tags["mlflow.parentRunId"] = parent
        run = client.create_run(exp_id, run_name=stage, tags=tags)
        _LIVE = _Live(stage, uri, run.info.run_id)
    except Exception as exc:
        log.warning("MLflow: no live run for %s (%s); it is logged when the stage ends",
                    stage, exc)
        return None
    with contextlib.suppress(Exception):
        conf = settings(root)
        if conf.system_metrics:
            from mlflow.system_metrics.system_metrics_monitor import SystemMetricsMonitor

            logging.getLogger("mlflow.system_metrics").setLevel(logging.WARNING)
            _LIVE.monitor = SystemMetricsMonitor(
                _LIVE.run_id, sampling_interval=conf.system_metrics_interval_s,
                tracking_uri=uri)
            _LIVE.monitor.start()
    return _LIVE.run_id


def close_stage_run(status: str = "FAILED", error: str | None = None) -> None:
    """End the live run, if one is open, with ``status`` (a stage that failed or was stopped)."""
    global _LIVE
    if _LIVE is None:
        return
    live, _LIVE = _LIVE, None
    _stop_monitor_of(live)
    with contextlib.suppress(Exception):
        client = _client(live.uri)
        if error:
            client.set_tag(live.run_id, "zhpipe.error", error[:5000])
        client.set_terminated(live.run_id, status=status)


def _stop_monitor_of(live: _Live) -> None:
    if live.monitor is not None:
        with contextlib.suppress(Exception):
            live.monitor.finish()
        live.monitor = None


def note_params(params: Any) -> None:
    """Log a params section to the live run as soon as the stage has loaded it."""
    if _LIVE is None or _LIVE.broken:
        return
    items = {mlflow_key(k): str(v)[:_MAX_PARAM] for k, v in flatten(params).items()}
    new = {k: v for k, v in items.items() if k not in _LIVE.params}
    if not new:
        return
    try:
        from mlflow.entities import Param

        client = _client(_LIVE.uri)
        keys = list(new)
        for i in range(0, len(keys), 100):
            client.log_batch(_LIVE.run_id, params=[Param(k, new[k]) for k in keys[i:i + 100]])
        _LIVE.params |= set(new)
    except Exception as exc:
        _live_failed(exc)


@contextlib.contextmanager
def curve(name: str | None):
    """Epochs logged inside (:func:`log_epoch`) belong to the training curve ``name`` (as in
    the stage's metrics: ``seg``, ``ner``, ``tagger``, ``forms.5.train`` ...). ``None``: a
    training that is not the stage's curve (a jackknife fold, an ensemble's other members)."""
    _CURVE.append(name)
    try:
        yield
    finally:
        _CURVE.pop()


def current_curve() -> str | None:
    """The curve that :func:`log_epoch` logs to now (None: none)."""
    return _CURVE[-1] if _CURVE else None


def log_epoch(row: dict) -> None:
    """Log one epoch's numbers (a history row with an ``epoch``) to the live run, now."""
    if _LIVE is None or _LIVE.broken or not _CURVE or _CURVE[-1] is None:
        return
    from mlflow.entities import Metric

    step, ts = int(row["epoch"]), int(time.time() * 1000)
    metrics = [Metric(mlflow_key(f"{_CURVE[-1]}.{k}"), float(v), ts, step)
               for k, v in row.items() if k != "epoch" and isinstance(v, int | float)
               and not isinstance(v, bool) and v == v]
    try:
        _client(_LIVE.uri).log_batch(_LIVE.run_id, metrics=metrics)
        _LIVE.steps |= {(m.key, step) for m in metrics}
    except Exception as exc:
        _live_failed(exc)


# -------------------------------------------------------------- the stage's inputs as datasets
def md5_file(path: Path) -> str:
    import hashlib

    h = hashlib.md5()  # noqa: S324  (DVC's content hash, not a security function)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dvc_hash(path: Path) -> str:
    """The hash DVC records for ``path`` in dvc.lock: the md5 of a file; for a folder, the md5
    of its sorted ``[{"md5", "relpath"}]`` list as JSON, with ``.dir`` appended."""
    import hashlib

    path = Path(path)
    if path.is_file():
        return md5_file(path)
    entries = [{"md5": md5_file(f), "relpath": f.relative_to(path).as_posix()}
               for f in sorted(path.rglob("*")) if f.is_file()]
    entries.sort(key=lambda e: e["relpath"])
    return hashlib.md5(json.dumps(entries, sort_keys=True).encode()).hexdigest() + ".dir"  # noqa: S324


_VAR = re.compile(r"\$\{([^}]+)\}")


def stage_inputs(stage: str, root: Path) -> list[str]:
    """The data deps of ``stage`` in dvc.yaml (code under src/ and stages/ left out), with a
    ``foreach`` stage's ``${key}`` / ``${item...}`` filled in."""
    if not (root / "dvc.yaml").is_file():
        return []
    try:
        doc = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8")) or {}
        base, _, key = stage.partition("@")
        spec = (doc.get("stages") or {}).get(base) or {}
        item: Any = key
        if "foreach" in spec:
            scope: dict = {}
            for f in (*(doc.get("vars") or []), "params.yaml"):
                if isinstance(f, str) and (root / f).is_file():
                    scope.update(yaml.safe_load((root / f).read_text(encoding="utf-8")) or {})
            cur: Any = scope
            for part in _VAR.fullmatch(str(spec["foreach"])).group(1).split("."):
                cur = cur[part]
            item = cur[key] if isinstance(cur, dict) else key
            spec = spec["do"]

        def fill(m: re.Match) -> str:
            name = m.group(1)
            if name in ("key", "item"):
                return key
            cur = item
            for part in name.split(".")[1:]:
                cur = cur[part]
            return str(cur)

        deps = [_VAR.sub(fill, str(d)) for d in spec.get("deps") or []]
    except Exception as exc:  # the run is still logged, without inputs
        log.warning("MLflow: the inputs of %s could not be read from dvc.yaml (%s)", stage, exc)
        return []
    return [d for d in deps if not d.startswith(("src/", "stages/"))]


def _inputs(stage: str, root: Path) -> list[dict]:
    out = []
    for dep in stage_inputs(stage, root):
        path = Path(os.path.expanduser(dep))
        path = path if path.is_absolute() else root / path
        if path.exists():
            out.append({"name": dep, "path": str(path.resolve()), "digest": dvc_hash(path)})
    return out


def record_stage(stage: str, params: Any, metrics: dict, metrics_path: str | os.PathLike,
                 artifacts: list[str | os.PathLike] = (), root: Path | None = None,
                 models: str | os.PathLike | None = None) -> None:
    """Write ``metrics_path`` (atomically), then log the stage run to MLflow or queue it.
    ``models``: the stage's output folder whose models :mod:`zhpipe.serving` logs."""
    global _LIVE
    root = project_root() if root is None else Path(root)
    write_json(metrics_path, metrics, ascii=True)  # DVC reads it as metrics
    write_curves(stage, metrics, root)  # DVC reads them as plots
    uri = tracking_uri(root)
    live, _LIVE = _LIVE, None
    if live is not None:
        _stop_monitor_of(live)
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
        "inputs": _inputs(stage, root),
        "models": None if models is None else {"stage": stage.partition("@")[0],
                                               "folder": str(Path(models).resolve())},
        "time": time.time(),
    }
    if live is not None and live.stage == stage:
        record.update(live_run_id=live.run_id, logged_params=sorted(live.params),
                      logged_steps=sorted([k, s] for k, s in live.steps))
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
    """Log one stage record (as built by ``record_stage``) as an MLflow run; return its id.
    A record that names a live run (``live_run_id``) completes that run: what was logged live
    is not logged again."""
    uri = record["tracking_uri"] or tracking_uri(root)
    if not _reachable(uri):
        raise ConnectionError(f"tracking server {uri} is unreachable")
    client = _client(uri)
    exp_id = ensure_experiment(uri, root)
    rid, done_params = None, set(record.get("logged_params") or [])
    if record.get("live_run_id"):
        with contextlib.suppress(Exception):  # gone (deleted, another store): a new run
            run = client.get_run(record["live_run_id"])
            if run.info.lifecycle_stage == "active":
                rid = run.info.run_id
                done_params |= set(run.data.params)
    new_run = rid is None
    if new_run:
        tags = dict(record["tags"])
        parent = _parent_for(client, exp_id, record, root)
        if parent:
            tags["mlflow.parentRunId"] = parent
        rid = client.create_run(exp_id, run_name=record["stage"], tags=tags,
                                start_time=int(record["time"] * 1000)).info.run_id
        done_steps: set[tuple[str, int]] = set()
    else:
        done_steps = {(k, int(st)) for k, st in record.get("logged_steps") or []}
        tags = {k: v for k, v in record["tags"].items() if k.startswith("zhpipe.")}
        for k, v in tags.items():  # the backend tags are known at the end only
            client.set_tag(rid, k, v)
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
            client.log_batch(rid, metrics=metrics[i:i + 100], params=params[i:i + 100])
        for art in record["artifacts"]:
            art = Path(root, art)  # a queued copy's path is relative to the checkout
            if art.is_file() and art.stat().st_size < 20_000_000:
                client.log_artifact(rid, str(art))
        _log_inputs(client, rid, record.get("inputs") or [])
    except Exception:
        # The caller queues the whole record; a half-logged new run would sit next to the
        # synced one (a live run is kept: the sync completes it).
        if new_run:
            with contextlib.suppress(Exception):
                client.delete_run(rid)
        raise
    if record.get("models"):
        _log_models(uri, rid, record["models"], root)
    client.set_terminated(rid)
    return rid


def _log_inputs(client, rid: str, inputs: list[dict]) -> None:
    if not inputs:
        return
    from mlflow.entities import Dataset, DatasetInput, InputTag

    # source type "local" with a {"uri": ...} source: what MLflow's own local datasets record
    datasets = [DatasetInput(Dataset(name=d["name"], digest=d["digest"], source_type="local",
                                     source=json.dumps({"uri": d["path"]})),
                             [InputTag("mlflow.data.context", "input")]) for d in inputs]
    client.log_inputs(rid, datasets=datasets)


def _log_models(uri: str, rid: str, models: dict, root: Path) -> None:
    """The stage's models as MLflow models, registered (zhpipe.serving). A failure warns: the
    run and its numbers stand without them."""
    try:
        if not settings(root).log_models:
            return
        import importlib
        import tempfile

        import mlflow

        # not an import statement: serving reaches every model's code, and what MLflow keeps
        # of a run is no stage output (tests/dag walks imports for the stages' code deps)
        serving = importlib.import_module("zhpipe.serving")

        specs = serving.specs(models["stage"], models["folder"])
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        mlflow.set_tracking_uri(uri)
        with tempfile.TemporaryDirectory() as tmp, mlflow.start_run(run_id=rid):
            for spec in specs:
                t0 = time.perf_counter()
                model_uri = serving.log_model(spec, Path(tmp))
                log.info("MLflow: model %s logged and registered (%s, %.1f s)", spec.name,
                         model_uri, time.perf_counter() - t0)
    except Exception as exc:
        log.warning("MLflow: the models of %s were not logged (%s: %s)", models.get("stage"),
                    type(exc).__name__, exc)


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
