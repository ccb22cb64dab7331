import json

import pytest

from zhpipe import stagerun, tracking
from zhpipe.callbacks import epoch_end, named


def _epoch(curve: str, row: dict) -> None:
    """One epoch reported as a training loop reports it: through the runner's callback."""
    epoch_end(named(curve, [tracking.EpochLogger()]), row)


def _runs(uri):
    from mlflow.tracking import MlflowClient

    c = MlflowClient(uri)
    exp = c.get_experiment_by_name(tracking.EXPERIMENT)
    return c.search_runs([exp.experiment_id])


def test_stage_run_is_logged_with_tags_params_metrics_under_parent(store, monkeypatch):
    uri = tracking.tracking_uri(store)
    assert uri == f"sqlite:///{store / 'mlflow.db'}"
    pid, parent = tracking.start_pipeline("snakemake", store)
    assert parent is not None
    stagerun.record("prepare@x", {"seed": 3, "nested": {"a": [1, 2]}},
                          {"sentences": 12, "files": {"a.txt": {"words": 5}}},
                          store / "reports/metrics/prepare/x.json", root=store)
    tracking.end_pipeline("FINISHED", store)
    assert json.loads((store / "reports/metrics/prepare/x.json").read_text())["sentences"] == 12
    runs = {r.info.run_name: r for r in _runs(uri)}
    stage = runs["prepare@x"]
    assert stage.data.tags["zhpipe.runner"] == "snakemake"
    assert stage.data.tags["zhpipe.pipeline_run_id"] == pid
    assert stage.data.tags["mlflow.parentRunId"] == parent
    assert stage.data.params == {"seed": "3", "nested.a.0": "1", "nested.a.1": "2"}
    assert stage.data.metrics == {"sentences": 12.0, "files.a.txt.words": 5.0}
    assert runs[f"pipeline {pid}"].info.status == "FINISHED"


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


def test_unreachable_server_queues_the_run_and_sync_logs_it(store, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    stagerun.record("download@y", {"k": 1}, {"bytes": 10},
                          store / "reports/metrics/download/y.json", root=store)
    assert json.loads((store / "reports/metrics/download/y.json").read_text()) == {"bytes": 10}
    queued = list((store / tracking.PENDING_DIR).glob("*.json"))
    assert len(queued) == 1
    assert tracking.sync_pending(store) == (0, 1)  # still down: nothing lost
    uri = f"sqlite:///{store / 'other.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert tracking.sync_pending(store) == (1, 0)
    assert not list((store / tracking.PENDING_DIR).glob("*.json"))
    (run,) = _runs(uri)
    assert run.info.run_name == "download@y" and run.data.metrics == {"bytes": 10.0}


def test_runner_detection(monkeypatch):
    monkeypatch.delenv(tracking.ENV_RUNNER, raising=False)
    monkeypatch.delenv("DVC_STAGE", raising=False)
    assert tracking.runner() == "manual"
    monkeypatch.setenv("DVC_STAGE", "prepare@x")
    assert tracking.runner() == "dvc"
    monkeypatch.setenv(tracking.ENV_RUNNER, "snakemake")
    assert tracking.runner() == "snakemake"


def test_dvc_stages_share_one_pipeline_id_however_dvc_was_started(monkeypatch):
    """`/venv/bin/python /venv/bin/dvc repro` (a console script through its interpreter) was not
    recognised: each stage got its own id and no parent run."""
    import psutil

    class Proc:
        def __init__(self, cmd, pid, parent=None):
            self.cmd, self.pid, self._parent = cmd, pid, parent

        def cmdline(self):
            return self.cmd

        def create_time(self):
            return 1000.0

        def parent(self):
            return self._parent

    monkeypatch.setenv("DVC_STAGE", "train_seg")
    monkeypatch.delenv(tracking.ENV_PIPELINE, raising=False)
    for cmd in (["/v/bin/python", "/v/bin/dvc", "repro"], ["dvc", "repro"],
                ["python3", "-m", "dvc", "repro"]):
        dvc = Proc(cmd, 42)
        shell = Proc(["/bin/sh", "-c", "python stages/train_seg.py"], 43, dvc)
        monkeypatch.setattr(psutil, "Process", lambda pid, shell=shell: shell)
        assert tracking.pipeline_run_id() == "dvc-42-1000", cmd


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


def test_an_unreadable_queued_file_is_named_and_set_aside(store, monkeypatch, caplog):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    stagerun.record("prepare@a", {"k": 1}, {"n": 1}, store / "a.json", root=store)
    bad = store / tracking.PENDING_DIR / "0-corrupt.json"
    bad.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'other.db'}")
    assert tracking.sync_pending(store) == (1, 0)  # the good one is logged all the same
    assert "0-corrupt.json" in caplog.text
    assert (store / tracking.PENDING_DIR / "unreadable" / "0-corrupt.json").exists()


def test_two_syncs_at_once_do_not_log_a_run_twice(store):
    import fcntl
    import os

    from zhpipe.errors import UserError

    folder = store / tracking.PENDING_DIR
    folder.mkdir(parents=True)
    fd = os.open(folder / ".sync.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a sync in progress
    try:
        with pytest.raises(UserError, match="another `zhpipe tracking sync`"):
            tracking.sync_pending(store)
    finally:
        os.close(fd)
    assert tracking.sync_pending(store) == (0, 0)


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


def test_a_run_queued_before_the_checkout_moved_is_logged_in_the_new_place(tmp_path, store,
                                                                             monkeypatch):
    """The queue held the default store's absolute URI and absolute paths of its copies."""
    import shutil

    from mlflow.tracking import MlflowClient

    def refuse(self, *a, **k):
        raise RuntimeError("refused")

    log_batch = MlflowClient.log_batch
    monkeypatch.setattr(MlflowClient, "log_batch", refuse)  # e.g. the database was locked
    first = tmp_path / "first"
    first.mkdir()
    (first / "curve.json").write_text("then", encoding="utf-8")
    stagerun.record("mine_words", {"k": 1}, {"n": 1}, first / "m.json",
                          artifacts=[first / "curve.json"], root=first)
    assert len(list((first / tracking.PENDING_DIR).glob("*.json"))) == 1
    monkeypatch.setattr(MlflowClient, "log_batch", log_batch)
    moved = tmp_path / "moved"
    shutil.move(first, moved)
    assert tracking.sync_pending(moved) == (1, 0)
    (run,) = _runs(tracking.tracking_uri(moved))  # the moved checkout's own store

    names = {a.path for a in MlflowClient(tracking.tracking_uri(moved)).list_artifacts(
        run.info.run_id)}
    assert names == {"m.json", "curve.json"}
    assert not first.exists()


_TRAINING = {"ner": {"f1": 0.9, "history": [{"epoch": 1, "loss": 9.5, "dev": 0.80},
                                            {"epoch": 2, "loss": 1.5, "dev": 0.90},
                                            {"epoch": 3, "loss": 0.5, "dev": 0.92,
                                             "phase": "fine"}]}}


def _history(uri, run_id, key):
    from mlflow.tracking import MlflowClient

    return [(m.step, m.value) for m in MlflowClient(uri).get_metric_history(run_id, key)]


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


def test_a_queued_training_run_syncs_its_curves_with_steps(store, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    stagerun.record("train_ner", {"k": 1}, _TRAINING, store / "reports/metrics/train_ner.json",
                          root=store)
    assert len(list((store / tracking.PENDING_DIR).glob("*.json"))) == 1
    uri = f"sqlite:///{store / 'later.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert tracking.sync_pending(store) == (1, 0)
    (run,) = _runs(uri)
    assert sorted(_history(uri, run.info.run_id, "ner.dev")) == [(1, 0.8), (2, 0.9), (3, 0.92)]


def _client(uri):
    from mlflow.tracking import MlflowClient

    return MlflowClient(uri)


def test_a_stage_run_is_live_while_the_stage_runs(store):
    """Created when the stage starts (RUNNING), params at once, each epoch as it ends; the end
    of the stage completes the same run without logging anything twice."""
    from zhpipe.params import Section

    class P(Section):
        k: int = 1
        lr: float = 0.01

    uri = tracking.tracking_uri(store)
    rid = tracking.open_stage_run("train_ner", store)
    run = _client(uri).get_run(rid)
    assert run.info.status == "RUNNING" and run.data.tags["zhpipe.stage"] == "train_ner"
    tracking.note_params(P())
    assert _client(uri).get_run(rid).data.params == {"k": "1", "lr": "0.01"}
    for row in _TRAINING["ner"]["history"][:2]:
        _epoch("ner", row)  # as the training loop calls its callbacks
    epoch_end([], {"epoch": 1, "loss": 99.0})  # e.g. a jackknife fold: handed no callback
    assert sorted(_history(uri, rid, "ner.loss")) == [(1, 9.5), (2, 1.5)]  # while it runs
    assert _client(uri).get_run(rid).info.status == "RUNNING"
    _epoch("ner", _TRAINING["ner"]["history"][2])
    stagerun.record("train_ner", P(), _TRAINING, store / "reports/metrics/train_ner.json",
                          root=store)
    (run,) = _runs(uri)
    assert run.info.run_id == rid and run.info.status == "FINISHED"
    assert sorted(_history(uri, rid, "ner.loss")) == [(1, 9.5), (2, 1.5), (3, 0.5)]  # once each
    assert run.data.metrics["ner.f1"] == 0.9 and run.data.params == {"k": "1", "lr": "0.01"}
    _epoch("ner", {"epoch": 4, "loss": 1.0})  # no live run any more: nothing happens


def test_a_stage_that_fails_closes_its_run_failed_with_the_error(store, monkeypatch):
    from zhpipe import stagerun
    from zhpipe.errors import UserError

    monkeypatch.setenv("DVC_ROOT", str(store))

    def work(_p, _run):
        raise UserError("params.yaml: train_ner.lr: not a number")

    with pytest.raises(SystemExit) as exc:
        stagerun.run("train_ner", work, metrics=store / "m.json")
    assert exc.value.code == 2
    (run,) = _runs(tracking.tracking_uri(store))
    assert run.info.status == "FAILED"
    assert run.data.tags["zhpipe.error"] == "params.yaml: train_ner.lr: not a number"


def test_a_run_queued_mid_stage_is_completed_by_sync(store, monkeypatch):
    """The server goes away after the stage started: the record names the live run, and the
    sync completes that run instead of making a second one."""
    uri = tracking.tracking_uri(store)
    rid = tracking.open_stage_run("train_ner", store)
    _epoch("ner", _TRAINING["ner"]["history"][0])

    def down(record, root, model_specs=None):
        raise ConnectionError("server went away")

    monkeypatch.setattr(tracking.record, "log_record", down)
    stagerun.record("train_ner", {"k": 1}, _TRAINING,
                          store / "reports/metrics/train_ner.json", root=store)
    (queued,) = (store / tracking.PENDING_DIR).glob("*.json")
    assert json.loads(queued.read_text())["live_run_id"] == rid
    monkeypatch.undo()
    assert tracking.sync_pending(store) == (1, 0)
    (run,) = _runs(uri)
    assert run.info.run_id == rid and run.info.status == "FINISHED"
    assert sorted(_history(uri, rid, "ner.loss")) == [(1, 9.5), (2, 1.5), (3, 0.5)]


def test_system_metrics_are_sampled_on_the_live_run(store):
    (store / "params.yaml").write_text("tracking:\n  system_metrics_interval_s: 0.2\n")
    import time

    rid = tracking.open_stage_run("train_seg", store)
    time.sleep(1.5)
    stagerun.record("train_seg", {}, {"f1": 1.0}, store / "reports/metrics/train_seg.json",
                          root=store)
    keys = set(_client(tracking.tracking_uri(store)).get_run(rid).data.metrics)
    assert "system/cpu_utilization_percentage" in keys and \
        "system/system_memory_usage_megabytes" in keys, keys


def test_inputs_are_logged_as_datasets_with_their_dvc_hash(store):
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    folder = store / "data/prepared/x"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("一\n")
    (folder / "sub/b.txt").write_text("二\n")
    (store / "raw.txt").write_text("三\n")
    (store / "params.yaml").write_text(yaml.safe_dump({"prepare": {"corpora": {"x": {}}}}))
    (store / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"prepare": {
        "foreach": "${prepare.corpora}",
        "do": {"cmd": "true", "deps": ["src/zhpipe/a.py", "stages/p.py",
                                       "data/prepared/${key}", "raw.txt", "missing.txt"]}}}}))
    assert tracking.stage_inputs("prepare@x", store) == ["data/prepared/${key}".replace(
        "${key}", "x"), "raw.txt", "missing.txt"]
    # the same hashes as DVC's own (dvc add)
    dvc = str(Path(sys.executable).with_name("dvc"))
    subprocess.run([dvc, "init", "--no-scm", "-q"], cwd=store, check=True)
    subprocess.run([dvc, "add", "-q", "data/prepared/x", "raw.txt"], cwd=store, check=True)
    want = {p: yaml.safe_load((store / f"{p}.dvc").read_text())["outs"][0]["md5"]
            for p in ("data/prepared/x", "raw.txt")}
    assert {p: tracking.dvc_hash(store / p) for p in want} == want
    stagerun.record("prepare@x", {}, {"n": 1}, store / "reports/metrics/prepare/x.json",
                          root=store)
    (run,) = _runs(tracking.tracking_uri(store))
    got = {d.dataset.name: d.dataset.digest for d in run.inputs.dataset_inputs}
    assert got == want  # the missing dep is left out
