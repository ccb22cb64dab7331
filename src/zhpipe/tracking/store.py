"""Where the MLflow store is, and opening it.

``$MLFLOW_TRACKING_URI`` if set, else ``tracking.uri`` in params.yaml, else an sqlite database
``mlflow.db`` at the project root (absolute path) with artefacts in ``mlartifacts/``. MLflow
stores artefact locations as absolute paths; when that store is used from a checkout that was
copied or moved with it, the paths are first pointed at this checkout's ``mlartifacts/``
(:func:`relocate_local_store`), so that a copy never writes into the original project. MLflow
itself is imported only when the store is opened (:func:`client`): a stage's ``--help`` or an
argument error never pays for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

import yaml
from pydantic import Field

from zhpipe.params import Section

log = logging.getLogger("zhpipe.tracking")

EXPERIMENT = "zhpipe"
EXPERIMENT_KIND = ("mlflow.experimentKind", "custom_model_development")
PENDING_DIR = Path(".zhpipe") / "pending"
MAX_PARAM = 500


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


def reachable(uri: str) -> bool:
    if not uri.startswith(("http://", "https://")):
        return True
    import requests

    try:
        requests.get(uri.rstrip("/") + "/health", timeout=5)
        return True
    except requests.RequestException:
        return False


def client(uri: str):
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def mlflow_key(name: str) -> str:
    """A metric or param name MLflow accepts (alphanumerics, ``_-. :/``): ``5+`` -> ``5plus``,
    any other character -> ``_``. Records queued before this existed sync with the same names."""
    return re.sub(r"[^\w\-. :/]", "_", name.replace("+", "plus"), flags=re.ASCII)


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
    exp = client(uri).get_experiment_by_name(EXPERIMENT)
    return exp is not None and relocate_local_store(uri, root, exp.artifact_location or "")


def ensure_experiment(uri: str, root: Path | None = None) -> str:
    """Create the store and the ``zhpipe`` experiment if needed; return the experiment id."""
    root = project_root() if root is None else root
    c = client(uri)
    exp = c.get_experiment_by_name(EXPERIMENT)
    if exp is not None:
        relocate_local_store(uri, root, exp.artifact_location or "")
        if exp.tags.get(EXPERIMENT_KIND[0]) != EXPERIMENT_KIND[1]:  # stores made before the tag
            c.set_experiment_tag(exp.experiment_id, *EXPERIMENT_KIND)
        return exp.experiment_id
    location = None
    if not uri.startswith(("http://", "https://", "databricks")):
        location = (root / "mlartifacts").resolve().as_uri()
    try:
        return c.create_experiment(EXPERIMENT, artifact_location=location,
                                   tags=dict([EXPERIMENT_KIND]))
    except Exception:  # created meanwhile by another process
        exp = c.get_experiment_by_name(EXPERIMENT)
        if exp is None:
            raise
        return exp.experiment_id
