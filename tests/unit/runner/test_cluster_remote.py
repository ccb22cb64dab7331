"""zhpipe.cluster (a cluster run needs an MLflow server; failed job logs shown) and
zhpipe.remote (DVC remote errors that name the remote). The real Slurm cluster and SSH remote
are in tests/services/test_cluster.py."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zhpipe import cluster, remote

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("uri, local", [
    ("sqlite:////srv/p/mlflow.db", True), ("/srv/p/mlruns", True), ("file:///srv/mlruns", True),
    ("http://mlflow:5000", False), ("https://mlflow.example.org", False),
    ("postgresql://u:p@db/mlflow", False), ("databricks", False)])
def test_which_stores_a_cluster_cannot_share(uri, local):
    assert cluster.is_local_store(uri) is local


def test_a_cluster_run_on_the_local_store_is_refused_with_what_to_do(store, monkeypatch):
    with pytest.raises(cluster.ClusterTrackingError) as err:
        cluster.check_tracking(store, "slurm")
    msg = str(err.value)
    assert "executor slurm" in msg and str(store / "mlflow.db") in msg
    assert "MLFLOW_TRACKING_URI" in msg and "scale/mlflow-server.sh" in msg
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5055")
    assert cluster.check_tracking(store, "slurm") == "http://127.0.0.1:5055"


def test_the_logs_of_this_runs_failed_jobs_show_the_stage_s_own_lines(tmp_path):
    old = tmp_path / ".snakemake/slurm_logs/rule_a/1.log"
    old.parent.mkdir(parents=True)
    old.write_text("an earlier run\n")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    since = time.time() - 1
    new = tmp_path / ".snakemake/slurm_logs/rule_prepare_pd1998/7.log"
    new.parent.mkdir(parents=True)
    new.write_text("[Thu Nov 26 18:22:15 2026]\nrule prepare_pd1998:\n"
                   "[prepare@pd1998] INFO 1 thread(s)\n"
                   "[prepare@pd1998] error: prepare.corpora.pd1998.dev_fraction: less than 1\n"
                   + "".join(f"snakemake chatter {i}\n" for i in range(50)))
    crash = tmp_path / ".snakemake/cluster_logs/report-8.log"
    crash.parent.mkdir(parents=True)
    crash.write_text("chatter\nTraceback (most recent call last):\n  File \"x.py\", line 1\n"
                     "ZeroDivisionError: division by zero\nmore chatter\n")
    plain = tmp_path / ".snakemake/cluster_logs/other-9.log"
    plain.write_text("".join(f"line {i}\n" for i in range(10)))
    found = dict(cluster.failed_job_logs(tmp_path, since, lines=3))
    assert set(found) == {Path(".snakemake/slurm_logs/rule_prepare_pd1998/7.log"),
                          Path(".snakemake/cluster_logs/report-8.log"),
                          Path(".snakemake/cluster_logs/other-9.log")}
    assert found[Path(".snakemake/slurm_logs/rule_prepare_pd1998/7.log")] == (
        "[prepare@pd1998] INFO 1 thread(s)\n"
        "[prepare@pd1998] error: prepare.corpora.pd1998.dev_fraction: less than 1")
    assert found[Path(".snakemake/cluster_logs/report-8.log")].endswith(
        "ZeroDivisionError: division by zero")
    assert found[Path(".snakemake/cluster_logs/other-9.log")] == "line 7\nline 8\nline 9"


@pytest.fixture
def dvc_project(tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([BIN / "dvc", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path


def _zhpipe(cwd, *args):
    return subprocess.run([BIN / "zhpipe", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_remote_errors_name_the_remote(dvc_project):
    with pytest.raises(remote.RemoteError, match="no DVC remote is configured"):
        remote.check(dvc_project)
    subprocess.run([BIN / "dvc", "remote", "add", "team", "ssh://127.0.0.1:1/srv/store"],
                   cwd=dvc_project, check=True)
    with pytest.raises(remote.RemoteError, match=r"no default DVC remote.*\(team\)"):
        remote.check(dvc_project)
    with pytest.raises(remote.RemoteError, match="there is no DVC remote 'nope'"):
        remote.check(dvc_project, "nope")
    # nothing listens on port 1: not reachable, and the message names the remote and its URL
    proc = _zhpipe(dvc_project, "remote", "check", "--remote", "team")
    assert proc.returncode == 2
    assert "DVC remote 'team' (ssh://127.0.0.1:1/srv/store) cannot be reached" in proc.stderr


def test_push_and_pull_through_a_folder_remote(dvc_project, tmp_path_factory):
    store = tmp_path_factory.mktemp("remote")
    (dvc_project / "model.bin").write_bytes(os.urandom(5000))
    subprocess.run([BIN / "dvc", "add", "-q", "model.bin"], cwd=dvc_project, check=True)
    subprocess.run([BIN / "dvc", "remote", "add", "-d", "team", str(store)], cwd=dvc_project,
                   check=True)
    assert "credentials accepted" in _zhpipe(dvc_project, "remote", "check").stdout
    out = _zhpipe(dvc_project, "remote", "push")
    assert out.returncode == 0 and "1 file pushed" in out.stdout, out.stderr
    data = (dvc_project / "model.bin").read_bytes()
    (dvc_project / "model.bin").unlink()
    shutil.rmtree(dvc_project / ".dvc/cache")
    out = _zhpipe(dvc_project, "remote", "pull")
    assert out.returncode == 0 and "cache now 1 files" in out.stdout, out.stderr
    assert "no Snakefile here" in out.stdout
    assert (dvc_project / "model.bin").read_bytes() == data
