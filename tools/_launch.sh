# Sourced by the launch scripts (dist_*.sh, slurm_*.sh): the interpreter, ROOT (the repository
# root) and the two ways to start one process per GPU. PYTHON overrides the interpreter;
# otherwise the project's .venv when it exists, else `python`. The plugin must be installed
# in that interpreter (`pip install -e .`, as tools/setup_env.sh does).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python; fi
fi

# torchrun_tool TOOL NPROC ARGS...: tools/TOOL ARGS on NPROC processes per node (NNODES,
# NODE_RANK, MASTER_ADDR, PORT for several nodes); ARGS include --launcher pytorch.
torchrun_tool() {
    local tool=$1 nproc=$2
    shift 2
    exec "$PYTHON" -m torch.distributed.run \
        --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-127.0.0.1}" --nproc_per_node="$nproc" \
        --master_port="${PORT:-29500}" \
        "$ROOT/tools/$tool" "$@"
}

# srun_tool PARTITION JOB_NAME TOOL ARGS...: tools/TOOL ARGS on GPUS slurm tasks
# (GPUS_PER_NODE per node, CPUS_PER_TASK cores each, extra SRUN_ARGS); ARGS include
# --launcher slurm.
srun_tool() {
    local partition=$1 job_name=$2 tool=$3
    shift 3
    set -x
    srun -p "$partition" \
        --job-name="$job_name" \
        --gres=gpu:"${GPUS_PER_NODE:-4}" \
        --ntasks="${GPUS:-4}" \
        --ntasks-per-node="${GPUS_PER_NODE:-4}" \
        --cpus-per-task="${CPUS_PER_TASK:-5}" \
        --kill-on-bad-exit=1 \
        ${SRUN_ARGS:-} \
        "$PYTHON" -u "$ROOT/tools/$tool" "$@"
}
