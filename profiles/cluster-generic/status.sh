#!/usr/bin/env bash
# status.sh JOBID: print exactly running, success or failed (what Snakemake's generic executor
# reads). Slurm's accounting here; an unknown answer counts as running, and a job the scheduler
# no longer knows of after 60 tries as failed, so that Snakemake never waits for ever.
set -uo pipefail
id=$1
state=$(sacct -n -X -P -j "$id" -o State 2>/dev/null | head -1 | cut -d' ' -f1)
case $state in
  COMPLETED) rm -f .snakemake/cluster_logs/*-"$id".log; echo success ;;  # failed ones stay
  FAILED|CANCELLED*|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL|BOOT_FAIL|DEADLINE|PREEMPTED) echo failed ;;
  "")
    # not in accounting yet (just submitted) or never: count the misses
    f=.snakemake/cluster_logs/.status-$id; n=$(( $(cat "$f" 2>/dev/null || echo 0) + 1 ))
    echo $n > "$f"; if [ $n -gt 60 ]; then echo failed; else echo running; fi ;;
  *) echo running ;;
esac
