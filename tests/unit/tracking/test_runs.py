"""zhpipe.tracking: Runner, pipeline id, the parent run."""

import json

from tracking_helpers import _runs

from zhpipe import stagerun, tracking


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
