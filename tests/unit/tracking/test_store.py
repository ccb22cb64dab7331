"""zhpipe.tracking: Where the store is, safe names, a copied checkout's store."""

import json

from tracking_helpers import _runs

from zhpipe import stagerun, tracking


def test_names_mlflow_refuses_are_logged_under_safe_names(store):
    """mine_words reports ``f1_by_length.5+``: MLflow refuses '+', so the run was never logged."""
    assert tracking.mlflow_key("pku.f1_by_length.5+") == "pku.f1_by_length.5plus"
    assert tracking.mlflow_key("files.a b:c/d-e_f") == "files.a b:c/d-e_f"  # allowed as is
    assert tracking.mlflow_key("f1（词）") == "f1___"
    stagerun.record("mine_words", {"lengths": {"5+": 1}}, {"f1_by_length": {"5+": 0.5}},
                          store / "reports/metrics/mine_words.json", root=store)
    assert not (store / tracking.PENDING_DIR).exists()  # logged, not queued
    (run,) = _runs(tracking.tracking_uri(store))
    assert run.data.metrics == {"f1_by_length.5plus": 0.5}
    assert run.data.params == {"lengths.5plus": "1"}


def test_a_copied_checkout_logs_into_its_own_artefacts(tmp_path, store, monkeypatch):
    """Issue 18: the experiment's artifact_location is absolute, so a copied or moved checkout
    wrote its artefacts into the original project (fails on 5824bcc)."""
    import shutil

    from mlflow.tracking import MlflowClient

    first = tmp_path / "first"
    first.mkdir()
    (first / "curve.json").write_text("1", encoding="utf-8")
    stagerun.record("mine_words", {"k": 1}, {"n": 1}, first / "m.json",
                          artifacts=[first / "curve.json"], root=first)
    copy = tmp_path / "copy"
    shutil.copytree(first, copy)
    monkeypatch.chdir(copy)
    stagerun.record("mine_words", {"k": 2}, {"n": 2}, copy / "m.json", root=copy)
    uri = tracking.tracking_uri(copy)
    assert uri == f"sqlite:///{copy / 'mlflow.db'}"
    exp = MlflowClient(uri).get_experiment_by_name(tracking.EXPERIMENT)
    assert exp.artifact_location == (copy / "mlartifacts").as_uri()
    runs = _runs(uri)
    assert len(runs) == 2
    for run in runs:  # the old run's artefacts, copied along, are found in the copy too
        assert run.info.artifact_uri.startswith((copy / "mlartifacts").as_uri() + "/")
        got = MlflowClient(uri).download_artifacts(run.info.run_id, "m.json", str(copy / "dl"))
        assert json.loads(open(got, encoding="utf-8").read())["n"] in (1, 2)
    # nothing of the copy's second run went into the first checkout
    assert len(list((first / "mlartifacts").iterdir())) == 1
    assert tracking.relocate_if_moved(copy) is False  # done once; the first is untouched
    assert tracking.relocate_if_moved(first) is False
