"""Pipeline and stage runs: who ran them (runner), which pipeline invocation they belong to, and
the parent run that groups a pipeline's stage runs."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid
from pathlib import Path

from zhpipe.tracking.store import client, ensure_experiment, log, project_root, reachable, tracking_uri

ENV_RUNNER = "ZHPIPE_RUNNER"
ENV_PIPELINE = "ZHPIPE_PIPELINE_RUN_ID"
ENV_PARENT = "ZHPIPE_PARENT_RUN_ID"


def runner() -> str:
    if os.environ.get(ENV_RUNNER):
        return os.environ[ENV_RUNNER]
    if os.environ.get("DVC_STAGE"):
        return "dvc"
    return "manual"


def git_commit(root: Path | None = None) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root or project_root(),
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def pipeline_run_id() -> str:
    """The id shared by all stages of one pipeline invocation.

    Snakemake sets it in ``onstart``. Under ``dvc repro`` the stages share the dvc process, so the
    id is derived from that process (pid and start time); otherwise each stage gets a new id.
    """
    if os.environ.get(ENV_PIPELINE):
        return os.environ[ENV_PIPELINE]
    if os.environ.get("DVC_STAGE"):
        with contextlib.suppress(Exception):
            import psutil

            proc = psutil.Process(os.getppid())
            while proc is not None:
                # `dvc repro`, `python -m dvc repro` or `/venv/bin/python /venv/bin/dvc repro`
                # (a console script run through its interpreter: the name is the 2nd word)
                words = [Path(w).name for w in proc.cmdline()[:3]]
                if "dvc" in words or (words and words[0].startswith("dvc")):
                    return f"dvc-{proc.pid}-{int(proc.create_time())}"
                proc = proc.parent()
    return f"manual-{uuid.uuid4().hex[:12]}"


def tags(stage: str, runner_name: str, pid: str, root: Path) -> dict[str, str]:
    commit = git_commit(root)  # one git call, two tags
    return {"zhpipe.stage": stage, "zhpipe.runner": runner_name, "zhpipe.pipeline_run_id": pid,
            "mlflow.source.git.commit": commit, "zhpipe.git_commit": commit}


def backend_tags(metrics: dict) -> dict[str, str]:
    """A training stage's ``backend`` entry (zhpipe.backend.describe) as tags, to filter on."""
    b = metrics.get("backend")
    if not isinstance(b, dict):
        return {}
    return {f"zhpipe.{k}": str(b[k]) for k in ("backend", "device") if k in b}


def start_pipeline(runner_name: str, root: Path | None = None) -> tuple[str, str | None]:
    """Create the store, the experiment and a parent run; export the ids to child stages."""
    root = project_root() if root is None else root
    pid = f"{runner_name}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    os.environ[ENV_RUNNER] = runner_name
    os.environ[ENV_PIPELINE] = pid
    uri = tracking_uri(root)
    parent = None
    try:
        if not reachable(uri):
            raise ConnectionError(f"tracking server {uri} is unreachable")
        exp = ensure_experiment(uri, root)
        run = client(uri).create_run(exp, run_name=f"pipeline {pid}", tags=tags(
            "pipeline", runner_name, pid, root) | {"zhpipe.parent": "true"})
        parent = run.info.run_id
        os.environ[ENV_PARENT] = parent
    except Exception as exc:  # tracking must never stop the pipeline
        log.warning("MLflow: no parent run (%s); stage runs will be queued if needed", exc)
    return pid, parent


def end_pipeline(status: str = "FINISHED", root: Path | None = None) -> None:
    parent = os.environ.get(ENV_PARENT)
    if not parent:
        return
    try:
        client(tracking_uri(root)).set_terminated(parent, status=status)
    except Exception as exc:
        log.warning("MLflow: could not close the parent run %s (%s)", parent, exc)


def parent_for(c, exp_id: str, record: dict, root: Path) -> str | None:
    """The parent run of a stage run: the pipeline's (Snakemake exports it), or under ``dvc
    repro`` the one of that dvc process, found by its pipeline id or created."""
    if record.get("parent_run_id"):
        return record["parent_run_id"]
    pid = record["tags"]["zhpipe.pipeline_run_id"]
    if not pid.startswith("dvc-"):
        return None
    runs = c.search_runs([exp_id], filter_string=(
        f"tags.`zhpipe.pipeline_run_id` = '{pid}' and tags.`zhpipe.parent` = 'true'"))
    if runs:
        return runs[0].info.run_id
    run = c.create_run(exp_id, run_name=f"pipeline {pid}",
                       tags=tags("pipeline", "dvc", pid, root) | {"zhpipe.parent": "true"})
    c.set_terminated(run.info.run_id)
    return run.info.run_id
