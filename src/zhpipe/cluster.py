"""Checks for a run whose stages execute on a cluster (``snakemake --profile profiles/slurm``).

The Snakefile calls :func:`check_tracking` in ``onstart`` when Snakemake's executor is not local.
Cluster jobs run on other nodes (or other machines' processes at once): the MLflow store must be
a server they all reach. The default store, an sqlite file in the project, is refused there
before any job is submitted: several nodes writing one sqlite file over a network file system
corrupts it, and a node that cannot see the path logs nowhere. Parent and stage runs link up as
with a local run: the submitting process creates the parent run and passes its id (and the
tracking URI) to the jobs in the environment, which Slurm's ``sbatch`` exports by default.
"""

from __future__ import annotations

import re
from pathlib import Path

from zhpipe.errors import UserError

HOW = ("start one (scale/mlflow-server.sh up DIR starts one on PostgreSQL) and point the "
       "pipeline at it: export MLFLOW_TRACKING_URI=http://HOST:PORT, or set tracking.uri in "
       "params.yaml")


class ClusterTrackingError(UserError):
    """A cluster run would log to a store the cluster's nodes cannot share."""


def is_local_store(uri: str) -> bool:
    """Whether ``uri`` names a store on this machine's disk (sqlite, a folder, file:)."""
    return not uri.startswith(("http://", "https://", "databricks", "postgresql", "mysql",
                               "mssql"))


def check_tracking(root: str | Path, executor: str) -> str:
    """The tracking URI a cluster run will log to; raise if it is this machine's own store."""
    from zhpipe.tracking import tracking_uri

    uri = tracking_uri(Path(root))
    if is_local_store(uri):
        raise ClusterTrackingError(
            f"this run's stages execute on the cluster (executor {executor}), but MLflow would log "
            f"to {uri}, a store on this machine's disk: the cluster's jobs cannot share it. Use "
            f"an MLflow tracking server: {HOW}.")
    return uri


#: Where the cluster executors leave a job's output: the Slurm executor's own folder (a job's log
#: is deleted when it succeeds) and profiles/cluster-generic's (status.sh deletes a succeeded one).
JOB_LOG_DIRS = (Path(".snakemake") / "slurm_logs", Path(".snakemake") / "cluster_logs")


def failed_job_logs(root: str | Path, since: float, lines: int = 30) -> list[tuple[Path, str]]:
    """The logs of this run's failed cluster jobs (written after ``since``): the stage's own lines
    (``[stage] ...`` from :mod:`zhpipe.stagerun`, and any Python traceback), the last ``lines``
    of them, or the log's last lines where it has none. The Snakefile's ``onerror`` prints them,
    so that a stage's error shows where the run stops, not only as a path on the cluster."""
    root = Path(root)
    found = []
    for folder in JOB_LOG_DIRS:
        for log in sorted((root / folder).rglob("*.log")):
            if log.stat().st_mtime >= since:
                text = log.read_text(encoding="utf-8", errors="replace").splitlines()
                shown = stage_lines(text) or text
                found.append((log.relative_to(root), "\n".join(shown[-lines:])))
    return found


_STAGE_LINE = re.compile(r"^\[[^\]\s]+\] ")  # "[prepare@pd1998] error: ..." (not "[Thu Nov ...]")


def stage_lines(text: list[str]) -> list[str]:
    """The lines a stage wrote among a job log's Snakemake chatter: its ``[stage]`` lines and
    any traceback (up to the exception's own line)."""
    keep, in_traceback = [], False
    for line in text:
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
            keep.append(line)
        elif in_traceback:
            keep.append(line)
            in_traceback = line.startswith((" ", "\t"))
        elif _STAGE_LINE.match(line):
            keep.append(line)
    return keep
