"""The tiny pipeline beyond one machine, for real (issue 24): every stage a job of a Slurm cluster
(scale/slurm.sh, profiles/slurm), the runs on an MLflow server on PostgreSQL, the artefacts
pushed to a DVC remote over SSH and pulled into a fresh clone whose CRF segmenter then works
without retraining. Also: a cluster run pointed at the local sqlite store stops before anything
is submitted; a stage that fails on the cluster (here through profiles/cluster-generic) fails the
run with the stage's own error shown and no output kept; a remote that refuses the key is named.
Skipped, saying what to install, where Slurm, sshd or PostgreSQL is missing (.ci/run installs
them). Every command is bounded in time (Snakemake's executors can wait for ever)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import tiny_project

pytestmark = pytest.mark.services
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
#: What the CRF segmenter needs: the part of the tiny DAG run here as Slurm jobs (the whole DAG
#: ran on Slurm from a fresh clone on the real data; README "On a cluster"). Each Slurm job
#: starts Snakemake twice (job step, then the job), so its Slurm jobs cost this suite minutes.
STAGES = {"download@pd1998", "download@sighan2005", "prepare@pd1998", "prepare@sighan2005",
          "download@xwlb", "prepare@xwlb", "raw_text", "count_ngrams@0", "count_ngrams@1",
          "mine_words", "train_seg"}


def _run(cmd, cwd, env, ok=True, timeout=600):
    # timeout(1) too: a Snakemake executor whose status command fails waits for ever, and the
    # Slurm executor ignores SIGTERM then (hence -k)
    cmd = ["timeout", "-k", "10", str(timeout), *map(str, cmd)]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout + 30)
    out = proc.stdout + proc.stderr
    if ok and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-5000:]}")
    if not ok:
        assert proc.returncode != 0, out[-3000:]
    return out


def _jobs() -> list[str]:
    out = subprocess.run(["sacct", "-n", "-X", "-P", "-o", "JobID,State", "-S", "now-1days"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return out.split()


def test_the_pipeline_on_slurm_with_a_server_and_an_ssh_remote(tmp_path, http_server, slurm,
                                                               server, ssh_remote):
    from zhpipe.dag import load_stages

    node = subprocess.run(["scontrol", "show", "node", "localhost"], capture_output=True,
                          text=True, timeout=60).stdout
    memory = int(node.split("RealMemory=")[1].split()[0])
    biggest = max(load_stages(ROOT), key=lambda st: st.mem_mb)
    if biggest.mem_mb > memory:
        pytest.skip(f"{biggest.name} asks Slurm for {biggest.mem_mb} MB (dvc.yaml meta.mem_mb) "
                    f"and this machine's node has {memory} MB: its job would never start")
    proj, env, params = tiny_project(tmp_path, http_server)
    # 1. The local sqlite store on a cluster: refused before a job is submitted.
    before = _jobs()
    out = _run([BIN / "snakemake", "--profile", "profiles/slurm"], proj, env, ok=False)
    assert "cannot share it" in out and "MLFLOW_TRACKING_URI" in out, out[-3000:]
    assert _jobs() == before

    # 2. A stage that fails on the cluster (a params value out of range; the generic profile):
    #    the run fails, the stage's own error is shown from its job log, nothing half-written.
    env["MLFLOW_TRACKING_URI"] = server.uri
    bad = json.loads(json.dumps(params))
    bad["prepare"]["corpora"]["pd1998"]["dev_fraction"] = 2.0
    (proj / "params.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    out = _run([BIN / "snakemake", "--profile", "profiles/cluster-generic",
                "data/prepared/pd1998"], proj, env, ok=False)
    assert "[prepare@pd1998] error: params.yaml: prepare.corpora.pd1998.dev_fraction" in out
    assert "cluster_logs/prepare_pd1998-" in out, out[-4000:]
    assert not (proj / "data/prepared/pd1998").exists()
    assert (proj / "data/raw/pd1998").is_dir()  # the job before it ran on the cluster
    (proj / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True),
                                      encoding="utf-8")

    # 3. The segmenter's part of the DAG as Slurm jobs, logging to the server: one parent run,
    #    every stage's run under it, finished; Slurm's accounting has the jobs; DVC agrees
    #    those stages are up to date.
    _run([BIN / "snakemake", "--profile", "profiles/slurm", "data/seg"], proj, env, timeout=1200)
    from mlflow.tracking import MlflowClient

    client = MlflowClient(server.uri)
    exp = client.get_experiment_by_name("zhpipe")
    runs = client.search_runs([exp.experiment_id], max_results=1000,
                              filter_string="tags.`zhpipe.runner` = 'snakemake'")
    by_parent = {}
    for r in runs:
        by_parent.setdefault(r.data.tags.get("mlflow.parentRunId"), []).append(r)
    parents = {r.data.tags.get("zhpipe.parent") == "true" and r.info.status: r.info.run_id
               for r in runs}
    assert {"FINISHED", "FAILED"} <= set(parents)  # this run, and the failed one of step 2
    failed = {r.data.tags["zhpipe.stage"]: r.info.status for r in by_parent[parents["FAILED"]]}
    assert failed == {"download@pd1998": "FINISHED", "prepare@pd1998": "FAILED"}
    stage_runs = by_parent[parents["FINISHED"]]  # download@pd1998 was done in step 2
    assert {r.data.tags["zhpipe.stage"] for r in stage_runs} == STAGES - {"download@pd1998"}
    status = {r.data.tags["zhpipe.stage"]: r.info.status for r in stage_runs}
    pending = sorted(p.name for p in (proj / ".zhpipe/pending").glob("*"))
    assert set(status.values()) == {"FINISHED"}, (status, pending)
    completed = [j for j in _jobs() if j.endswith("|COMPLETED")]
    assert len(completed) >= len(STAGES)
    assert "Data and pipelines are up to date" in _run([BIN / "dvc", "status", "train_seg"],
                                                       proj, env)

    # 3b. A Slurm job that fails after a code edit keeps the last good outputs, timestamps and
    #     all (the job's Snakemake restores them; the processes above it used to delete them),
    #     and the stage is still to be rerun afterwards (its record is not written as finished).
    outs = [proj / "data/prepared/pd1998/train.seg.txt", proj / "reports/metrics/prepare/pd1998.json"]
    keep = {f: (f.read_bytes(), f.stat().st_mtime_ns) for f in outs}
    code = proj / "stages/prepare.py"
    source = code.read_text(encoding="utf-8")
    code.write_text(source + "\n# edited before a failed run\n", encoding="utf-8")
    (proj / "params.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    out = _run([BIN / "snakemake", "--profile", "profiles/slurm", "data/prepared/pd1998"], proj,
               env, ok=False)
    assert "[prepare@pd1998] error: params.yaml: prepare.corpora.pd1998.dev_fraction" in out
    assert "slurm_logs/rule_prepare_pd1998/" in out, out[-4000:]
    assert {f: (f.read_bytes(), f.stat().st_mtime_ns) for f in outs} == keep
    (proj / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True),
                                      encoding="utf-8")
    dry = _run([BIN / "snakemake", "-n", "--cores", "2", "data/prepared/pd1998"], proj, env)
    assert "prepare_pd1998" in dry and "Nothing to be done" not in dry  # the edit still counts
    code.write_text(source, encoding="utf-8")  # as it was: nothing to do (same checksum)
    dry = _run([BIN / "snakemake", "-n", "--cores", "2", "data/prepared/pd1998"], proj, env)
    assert "Nothing to be done" in dry, dry[-2000:]

    # 4. The DVC remote over SSH: a wrong key is refused with the remote named; then push,
    #    clone, pull, and the CRF segmenter works in the clone without retraining.
    url, key = ssh_remote
    _run([BIN / "dvc", "remote", "add", "-d", "team", url], proj, env)
    _run([BIN / "dvc", "remote", "modify", "team", "user", "root"], proj, env)
    wrong = tmp_path / "wrong_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(wrong)], check=True)
    _run([BIN / "dvc", "remote", "modify", "--local", "team", "keyfile", wrong], proj, env)
    out = _run([BIN / "zhpipe", "remote", "push"], proj, env, ok=False)
    assert "DVC remote 'team'" in out and "refused the credentials" in out, out
    _run([BIN / "dvc", "remote", "modify", "--local", "team", "keyfile", key], proj, env)
    assert "pushed" in _run([BIN / "zhpipe", "remote", "push"], proj, env)
    config = (proj / ".dvc" / "config").read_text()
    assert "keyfile" not in config and str(key) not in config  # the secret stays local
    _run(["git", "add", "-A"], proj, env)
    _run(["git", "commit", "-qm", "a pipeline run on the cluster"], proj, env)
    clone = tmp_path / "clone"
    _run(["git", "clone", "-q", proj, clone], tmp_path, env)
    _run([BIN / "dvc", "remote", "modify", "--local", "team", "keyfile", key], clone, env)
    out = _run([BIN / "zhpipe", "remote", "pull"], clone, env)
    assert "recorded for Snakemake" in out, out
    assert "Data and pipelines are up to date" in _run([BIN / "dvc", "status", "train_seg"],
                                                       clone, env)
    # no --touch step: what was pulled is up to date for Snakemake too
    assert "Nothing to be done" in _run([BIN / "snakemake", "-n", "data/seg"], clone, env)
    line = "江泽民在北京欢迎你。"
    proc = subprocess.run([BIN / "zhpipe", "segment", "--model", "crf"], cwd=clone, env=env,
                          input=line + "\n", capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "".join(proc.stdout.split()) == line
