"""MLflow for the pipeline: one run per stage, nested under one parent run per pipeline
invocation, tagged with the stage, the runner (snakemake, dvc or manual), the git commit and a
pipeline-run id. ``reports/metrics/<stage>.json`` is the source of truth (the stage harness,
:mod:`zhpipe.stagerun`, writes it); MLflow is the browsable view.

One module a concern:

* :mod:`~zhpipe.tracking.store`: where the store is (and relocating a copied one), opening it;
* :mod:`~zhpipe.tracking.runs`: runner, pipeline id, the parent run;
* :mod:`~zhpipe.tracking.live`: the stage's live run, its params and epochs as they happen
  (:class:`~zhpipe.tracking.live.EpochLogger`, the callback handed to training loops);
* :mod:`~zhpipe.tracking.inputs`: the stage's data deps as MLflow datasets (DVC's hashes);
* :mod:`~zhpipe.tracking.record`: the finished stage's run, or its record queued;
* :mod:`~zhpipe.tracking.models`: logging and registering a stage's models;
* :mod:`~zhpipe.tracking.sync`: logging the queued records (``zhpipe tracking sync``, and the
  Snakemake process's :class:`~zhpipe.tracking.sync.Watcher` for the records of its stages that
  train nothing).

Nothing under compute (models, mining, corpora) imports this package (an import-linter contract
in ``make test``), and no stage lists it as a code dep: editing how runs are logged reruns no
stage.
"""

from zhpipe.tracking.inputs import dvc_hash, md5_file, stage_inputs
from zhpipe.tracking.live import EpochLogger, close_stage_run, log_epoch, note_params, open_stage_run
from zhpipe.tracking.record import ENV_VIA_RUNNER, log_record, record_stage, via_runner
from zhpipe.tracking.runs import (
    ENV_PARENT,
    ENV_PIPELINE,
    ENV_RUNNER,
    end_pipeline,
    git_commit,
    pipeline_run_id,
    runner,
    start_pipeline,
)
from zhpipe.tracking.store import (
    EXPERIMENT,
    EXPERIMENT_KIND,
    PENDING_DIR,
    TrackingParams,
    default_uri,
    ensure_experiment,
    mlflow_key,
    project_root,
    relocate_if_moved,
    relocate_local_store,
    settings,
    tracking_uri,
)
from zhpipe.tracking.sync import Watcher, sync_pending

__all__ = [
    "ENV_PARENT", "ENV_PIPELINE", "ENV_RUNNER", "ENV_VIA_RUNNER", "EXPERIMENT", "EXPERIMENT_KIND",
    "EpochLogger", "PENDING_DIR", "TrackingParams", "Watcher", "close_stage_run", "default_uri",
    "dvc_hash", "end_pipeline", "ensure_experiment", "git_commit", "log_epoch", "log_record",
    "md5_file", "mlflow_key", "note_params", "open_stage_run", "pipeline_run_id", "project_root",
    "record_stage", "relocate_if_moved", "relocate_local_store", "runner", "settings",
    "stage_inputs", "start_pipeline", "sync_pending", "tracking_uri", "via_runner",
]
