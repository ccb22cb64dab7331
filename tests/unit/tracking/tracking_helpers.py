"""Helpers of the zhpipe.tracking tests."""

from zhpipe import tracking
from zhpipe.callbacks import epoch_end, named


def _epoch(curve: str, row: dict) -> None:
    """One epoch reported as a training loop reports it: through the runner's callback."""
    epoch_end(named(curve, [tracking.EpochLogger()]), row)


def _runs(uri):
    from mlflow.tracking import MlflowClient

    c = MlflowClient(uri)
    exp = c.get_experiment_by_name(tracking.EXPERIMENT)
    return c.search_runs([exp.experiment_id])


_TRAINING = {"ner": {"f1": 0.9, "history": [{"epoch": 1, "loss": 9.5, "dev": 0.80},
                                            {"epoch": 2, "loss": 1.5, "dev": 0.90},
                                            {"epoch": 3, "loss": 0.5, "dev": 0.92,
                                             "phase": "fine"}]}}


def _history(uri, run_id, key):
    from mlflow.tracking import MlflowClient

    return [(m.step, m.value) for m in MlflowClient(uri).get_metric_history(run_id, key)]


def _client(uri):
    from mlflow.tracking import MlflowClient

    return MlflowClient(uri)
