# Sourced by the launch scripts: picks the interpreter and sets ROOT (the repository root).
# PYTHON overrides; otherwise the project's .venv when it exists, else `python`. The plugin
# must be installed in that interpreter (`pip install -e .`, as tools/setup_env.sh does).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python; fi
fi
