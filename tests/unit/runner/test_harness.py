"""The stage harness (zhpipe.stagerun): --help touches nothing, the metrics file and the MLflow
run of a stage, and a stage that trains nothing under a local Snakemake run: its record queued
for the Snakemake process, MLflow never imported by the stage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zhpipe import stagerun, tracking
from zhpipe.errors import UserError

ROOT = Path(__file__).resolve().parents[3]


def _env(tmp: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DVC_", "ZHPIPE_", "MLFLOW_"))}
    return {**env, "PYTHONPATH": str(ROOT / "src"), **extra}


def test_help_and_a_bad_argument_touch_neither_the_lock_nor_the_store(tmp_path):
    for args in (["--help"], ["--no-such-flag"]):
        proc = subprocess.run([sys.executable, str(ROOT / "stages/download.py"), *args],
                              cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == (0 if args == ["--help"] else 2), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no mlflow.db, no .zhpipe/


SCRIPT = """
import sys
from pathlib import Path
from zhpipe import stagerun
from zhpipe.errors import UserError

def work(p, run):
    if sys.argv[1] == "fail":
        raise UserError("params.yaml: x: not a number")
    (run.out("out") / "a.txt").write_text("a")
    return {"n": 1}

try:
    stagerun.run("prepare@x", work, metrics="m.json", outs=["out"])
finally:
    print("mlflow imported:", "mlflow" in sys.modules)
"""


def test_a_stage_that_trains_nothing_queues_its_record_for_the_runner(tmp_path):
    env = _env(tmp_path, **{tracking.ENV_VIA_RUNNER: "1"})
    ok = subprocess.run([sys.executable, "-c", SCRIPT, "ok"], cwd=tmp_path, env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "mlflow imported: False" in ok.stdout
    assert (tmp_path / "out/a.txt").read_text() == "a"
    assert json.loads((tmp_path / "m.json").read_text()) == {"n": 1}
    bad = subprocess.run([sys.executable, "-c", SCRIPT, "fail"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "[prepare@x] error: params.yaml: x" in bad.stderr
    assert "mlflow imported: False" in bad.stdout
    assert not (tmp_path / "mlflow.db").exists()
    assert len(list((tmp_path / tracking.PENDING_DIR).glob("*.json"))) == 2

    # the runner's watcher logs both: one FINISHED with its metrics, one FAILED with the error
    watcher = tracking.Watcher(tmp_path, interval_s=0.1).start()
    deadline = time.time() + 60
    while list((tmp_path / tracking.PENDING_DIR).glob("*.json")) and time.time() < deadline:
        time.sleep(0.2)
    watcher.stop()
    from mlflow.tracking import MlflowClient

    c = MlflowClient(tracking.tracking_uri(tmp_path))
    runs = c.search_runs([c.get_experiment_by_name(tracking.EXPERIMENT).experiment_id])
    by_status = {r.info.status: r for r in runs}
    assert set(by_status) == {"FINISHED", "FAILED"}
    assert by_status["FINISHED"].data.metrics == {"n": 1.0}
    assert by_status["FAILED"].data.tags["zhpipe.error"] == "params.yaml: x: not a number"
    for r in runs:  # the run spans the stage: from its start to its record
        assert r.info.start_time < r.info.end_time


def test_a_stage_with_its_own_run_writes_metrics_and_logs(store):
    def work(p, run):
        return {"n": 2, "history": [{"epoch": 1, "loss": 1.0}]}

    stagerun.run("prepare@y", work, metrics=store / "m.json")
    assert json.loads((store / "m.json").read_text())["n"] == 2
    assert (store / "reports/curves/prepare_y/history.json").exists()
    from mlflow.tracking import MlflowClient

    c = MlflowClient(tracking.tracking_uri(store))
    (run,) = c.search_runs([c.get_experiment_by_name(tracking.EXPERIMENT).experiment_id])
    assert run.info.status == "FINISHED" and run.data.metrics["n"] == 2.0


def test_a_user_error_exits_2_with_one_line(store, capsys):
    def work(p, run):
        raise UserError("catalogue.yaml: no dataset 'x'")

    with pytest.raises(SystemExit) as exc:
        stagerun.run("download@x", work, metrics=store / "m.json")
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().endswith("[download@x] error: catalogue.yaml: no "
                                                     "dataset 'x'")
    assert not (store / "m.json").exists()
