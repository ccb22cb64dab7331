# One rule per stage of dvc.yaml, the only place stages are declared (see src/zhpipe/dag.py).
# The command goes through params: a shell body is bound late in a loop (snakemake#2178), and the
# params.yaml values a stage reads go there too, so a changed value reruns exactly that stage.
import os
import subprocess
import time
from pathlib import Path

from snakemake.exceptions import WorkflowError

from zhpipe import cluster, runlock, snakemake_outputs, tracking
from zhpipe.dag import is_dir_out, load_stages, params_fingerprint, rule_threads

STAGES = load_stages(workflow.basedir)
STARTED = time.time()
WATCHER = []  # the MLflow watcher of a local run (onstart)
# update() outputs: kept through a failed run, and restored with their own timestamps.
snakemake_outputs.install()


rule all:
    default_target: True
    input:
        [o for st in STAGES for o in st.outs],


for st in STAGES:

    rule:
        name:
            st.rule_name
        input:
            st.deps,
        output:
            # update(): not deleted before the job; the stage swaps in new ones only when it
            # succeeds (zhpipe.fsutil), and a failed job's are restored as they were.
            [update(directory(o)) if is_dir_out(o) else update(o) for o in st.outs],
        threads: rule_threads(st, workflow.cores)
        resources:
            # what a cluster scheduler reserves (profiles/slurm: --mem, --time); local runs
            # limit memory only when given --resources mem_mb=N
            mem_mb=st.mem_mb,
            runtime=st.runtime,
        priority: st.priority
        params:
            cmd=st.cmd,
            values=params_fingerprint(st),
        shell:
            "ZHPIPE_THREADS={threads} {params.cmd}"


onstart:
    # Cluster jobs (profiles/slurm, profiles/cluster-generic) log to an MLflow server, never to
    # this machine's sqlite file: refused here, before any job is submitted (zhpipe.cluster).
    if workflow.non_local_exec:
        try:
            print(f"MLflow: {cluster.check_tracking(workflow.basedir, workflow.executor_plugin.name)}")
        except cluster.ClusterTrackingError as err:
            raise WorkflowError(str(err)) from None
    # One runner at a time: DVC's stages take the same lock (zhpipe.runlock). Held until exit.
    RUN_LOCK = runlock.acquire(workflow.basedir, "snakemake")
    os.environ[runlock.ENV] = "snakemake"  # its jobs: their runner holds the lock
    # Create the MLflow store and the parent run before parallel stages touch it (not for
    # `snakemake --touch`, which runs no stage).
    if not workflow.touch:
        tracking.start_pipeline("snakemake")
        if not workflow.non_local_exec:
            # The stages that train nothing queue their records and this process logs them as
            # they come (MLflow is imported here already; two seconds saved per stage).
            from zhpipe import serving

            os.environ[tracking.ENV_VIA_RUNNER] = "1"
            WATCHER.append(tracking.Watcher(Path(workflow.basedir), serving.specs).start())


def log_queued_runs():
    """Stop the watcher, then log what is still queued (a stage's last record, or runs queued
    while the server was slow or away)."""
    for watcher in WATCHER:
        watcher.stop()
    if (Path(workflow.basedir) / tracking.PENDING_DIR).is_dir():
        from zhpipe import serving

        logged, left = tracking.sync_pending(Path(workflow.basedir), serving.specs)
        if left:
            print(f"MLflow: {left} run(s) still queued (zhpipe tracking sync logs them later)")


onsuccess:
    # `snakemake --touch` records outputs that DVC built or pulled: dvc.lock already has them,
    # and a `dvc commit` would only hash every output again (the touch changed their times).
    if workflow.touch:
        return
    log_queued_runs()
    tracking.end_pipeline("FINISHED")
    # Record what Snakemake built in dvc.lock, so that `dvc status` agrees nothing is to do:
    # the stages of this run's DAG (all of them, or those a target such as data/seg needs; each
    # is up to date now), not stages outside it (maybe never built, maybe stale).
    BY_RULE = {st.rule_name: st.name for st in STAGES}
    done = sorted({BY_RULE[job.rule.name] for job in workflow.dag.jobs if job.rule.name in BY_RULE})
    if done and subprocess.run(["dvc", "commit", "--force", "--quiet", *done]).returncode != 0:
        print("warning: `dvc commit` failed; run it by hand so that `dvc status` is clean")


onerror:
    if not workflow.touch:
        log_queued_runs()  # the failed stage's record too
    tracking.end_pipeline("FAILED")
    # A failed cluster job's output is in a log file on the cluster: show its end here.
    for path, tail in cluster.failed_job_logs(workflow.basedir, STARTED):
        print(f"\n--- {path} (last lines) ---\n{tail}\n--- end of {path} ---")
