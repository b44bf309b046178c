#!/usr/bin/env bash
# Usage: [GPUS=8] tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]
if [ $# -lt 4 ]; then echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [args...]" >&2; exit 2; fi
source "$(dirname "$0")/_launch.sh"
srun_tool "$1" "$2" test.py "$3" "$4" --launcher=slurm "${@:5}"
