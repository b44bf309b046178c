#!/usr/bin/env bash
# Usage: [GPUS=16] [GPUS_PER_NODE=8] tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py args...]
if [ $# -lt 3 ]; then echo "usage: $0 PARTITION JOB_NAME CONFIG [args...]" >&2; exit 2; fi
source "$(dirname "$0")/_launch.sh"
srun_tool "$1" "$2" train.py "$3" --launcher=slurm "${@:4}"
