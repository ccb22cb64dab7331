"""A training stage's models logged as MLflow models and registered. What each model is (its
registered name, files, pyfunc wrapper, input example) is the serving face's to say
(:mod:`zhpipe.serving`): the caller hands :func:`log_models` its ``specs(stage, folder)``."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zhpipe.tracking.store import log, settings

#: ``specs(stage, folder)`` -> the models that ``stage`` logs from its output ``folder``; each
#: has a ``name`` and a ``log(scratch_folder) -> model uri`` method.
ModelSpecs = Callable[[str, str | os.PathLike], list[Any]]


def log_models(uri: str, rid: str, models: dict, root: Path, model_specs: ModelSpecs) -> None:
    """Log and register the models of ``models["stage"]`` into run ``rid``. A failure warns:
    the run and its numbers stand without them."""
    try:
        if not settings(root).log_models:
            return
        import mlflow

        specs = model_specs(models["stage"], models["folder"])
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        # mlflow.set_tracking_uri also sets $MLFLOW_TRACKING_URI (for child processes): put
        # both back afterwards, so that a caller in the same process (a test, a notebook)
        # does not go on writing to this store
        before = os.environ.get("MLFLOW_TRACKING_URI")
        mlflow.set_tracking_uri(uri)
        try:
            with tempfile.TemporaryDirectory() as tmp, mlflow.start_run(run_id=rid):
                for spec in specs:
                    t0 = time.perf_counter()
                    model_uri = spec.log(Path(tmp))
                    log.info("MLflow: model %s logged and registered (%s, %.1f s)", spec.name,
                             model_uri, time.perf_counter() - t0)
        finally:
            mlflow.set_tracking_uri(before)
            if before is None:
                os.environ.pop("MLFLOW_TRACKING_URI", None)
    except Exception as exc:
        log.warning("MLflow: the models of %s were not logged (%s: %s)", models.get("stage"),
                    type(exc).__name__, exc)
