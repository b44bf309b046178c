#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
# Multi-node as tools/dist_train.sh. Without a GPU, GPUS processes test on the CPU (gloo).
set -e
if [ $# -lt 3 ]; then echo "usage: $0 CONFIG CHECKPOINT GPUS [args...]" >&2; exit 2; fi
source "$(dirname "$0")/_launch.sh"
torchrun_tool test.py "$3" "$1" "$2" --launcher pytorch "${@:4}"
