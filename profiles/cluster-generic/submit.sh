#!/usr/bin/env bash
# submit.sh THREADS MEM_MB RUNTIME_MIN RULE JOBSCRIPT: submit one Snakemake job, print its id.
# Slurm here; for another scheduler keep the arguments and print only the job id, e.g. PBS:
#   qsub -l nodes=1:ppn=$1,mem=${2}mb,walltime=$(($3 / 60)):$(($3 % 60)):00 -N "$4" "$5"
set -euo pipefail
mkdir -p .snakemake/cluster_logs
exec sbatch --parsable --cpus-per-task="$1" --mem="$2" --time="$3" --job-name="zhpipe-$4" \
  --output=".snakemake/cluster_logs/$4-%j.log" ${CLUSTER_ACCOUNT:+--account="$CLUSTER_ACCOUNT"} \
  ${CLUSTER_PARTITION:+--partition="$CLUSTER_PARTITION"} "$5"
