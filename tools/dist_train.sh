#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [train.py args...]
# Multi-node: NNODES=2 NODE_RANK=0|1 MASTER_ADDR=host PORT=29500 tools/dist_train.sh CONFIG 8
# Without a GPU, GPUS processes train on the CPU (gloo backend).
set -e
if [ $# -lt 2 ]; then echo "usage: $0 CONFIG GPUS [args...]" >&2; exit 2; fi
source "$(dirname "$0")/_launch.sh"
torchrun_tool train.py "$2" "$1" --launcher pytorch "${@:3}"
