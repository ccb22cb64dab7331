"""zhpipe.tracking.record: a finished stage's run (params, metrics, curves, artefacts); a
half-logged run queued whole."""

import json

from tracking_helpers import _TRAINING, _history, _runs

from zhpipe import stagerun, tracking


def test_a_run_that_fails_half_way_is_queued_whole_and_leaves_no_half_run(store, monkeypatch):
    from mlflow.tracking import MlflowClient

    def refuse(self, *a, **k):
        raise RuntimeError("refused")

    log_batch = MlflowClient.log_batch
    monkeypatch.setattr(MlflowClient, "log_batch", refuse)
    stagerun.record("prepare@z", {"k": 1}, {"n": 2},
                          store / "reports/metrics/prepare/z.json", root=store)
    assert len(list((store / tracking.PENDING_DIR).glob("*.json"))) == 1
    assert _runs(tracking.tracking_uri(store)) == []  # no FAILED, empty run left behind
    monkeypatch.setattr(MlflowClient, "log_batch", log_batch)  # the server takes it now
    assert tracking.sync_pending(store) == (1, 0)
    (run,) = _runs(tracking.tracking_uri(store))
    assert run.info.status == "FINISHED" and run.data.metrics == {"n": 2.0}


def test_training_curves_are_step_metrics_and_dvc_plot_files(store):
    stagerun.record("train_ner", {"k": 1}, _TRAINING, store / "reports/metrics/train_ner.json",
                          root=store)
    uri = tracking.tracking_uri(store)
    (run,) = _runs(uri)
    # the final numbers as single values, each curve as one metric with a point per epoch
    assert run.data.metrics == {"ner.f1": 0.9, "ner.loss": 0.5, "ner.dev": 0.92}
    assert sorted(_history(uri, run.info.run_id, "ner.loss")) == [(1, 9.5), (2, 1.5), (3, 0.5)]
    rows = json.loads((store / "reports/curves/train_ner/ner.json").read_text())
    assert rows == [{"epoch": 1, "loss": 9.5, "dev": 0.80}, {"epoch": 2, "loss": 1.5, "dev": 0.90},
                    {"epoch": 3, "loss": 0.5, "dev": 0.92}]  # numeric fields only
    from mlflow.tracking import MlflowClient

    exp = MlflowClient(uri).get_experiment_by_name(tracking.EXPERIMENT)
    assert exp.tags[tracking.EXPERIMENT_KIND[0]] == "custom_model_development"


def test_a_queued_run_keeps_its_artefacts_as_they_were(store, monkeypatch):
    """Issue 18: the queue read artefacts at sync time, so a file changed afterwards was what
    got uploaded."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    art = store / "curve.json"
    art.write_text("then", encoding="utf-8")
    stagerun.record("mine_words", {"k": 1}, {"n": 1}, store / "m.json", artifacts=[art],
                          root=store)
    art.write_text("changed afterwards", encoding="utf-8")
    uri = f"sqlite:///{store / 'other.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert tracking.sync_pending(store) == (1, 0)
    from mlflow.tracking import MlflowClient

    (run,) = _runs(uri)
    got = MlflowClient(uri).download_artifacts(run.info.run_id, "curve.json", str(store / "dl"))
    assert open(got, encoding="utf-8").read() == "then"
    assert not list((store / tracking.PENDING_DIR).glob("*.files"))
