#!/usr/bin/env bash
# Slurm job-array template for osmo batch: one shard of the manifest per array task.
# Usage: sbatch --array=0-$((N-1)) --cpus-per-task=16 scripts/slurm_batch.sh MANIFEST.json N
# Afterwards: osmo batch --merge-summaries MANIFEST-stem.shard-*-of-N.summary.json -o summary.json
#SBATCH --job-name=osmo-batch
#SBATCH --output=osmo-batch-%A_%a.out
#SBATCH --time=04:00:00
set -euo pipefail
manifest=${1:?manifest}
shards=${2:?number of shards}
osmo=${OSMO:-build/recon/cli/osmo}
threads=${SLURM_CPUS_PER_TASK:-1}
# One reconstruction at a time per task, all of the task's cores for it.
exec "$osmo" batch "$manifest" --shard "${SLURM_ARRAY_TASK_ID:?run under sbatch --array}/$shards" \
  --jobs 1 --threads "$threads"
