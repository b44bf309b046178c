#!/usr/bin/env bash
# Creates (or reuses) the project's virtual environment in .venv with the pinned stack.
#
# Idempotent: a stamp keyed on the requirements files and this script makes a second call
# return in about a second. Order matters: torch first, then mmcv 2.1.0
# built from source against it (--no-build-isolation), then the OpenMMLab packages.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
STAMP="$VENV/.transavs-setup-stamp"

key=$(cat requirements/*.txt tools/setup_env.sh setup.py 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$key" ] && [ -x "$VENV/bin/python" ]; then
    exit 0
fi

# The live page's browser test needs Chromium (Debian's package): installed here when run as
# root; anyone else installs it by hand (sudo apt-get install chromium), or the test is skipped.
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "[setup] installing chromium (apt-get) for the live page's browser test"
        apt_chromium() {
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                chromium >/dev/null
        }
        apt_chromium || { apt-get update -q >/dev/null && apt_chromium; } || \
            echo "[setup] could not install chromium: the browser test will be skipped"
    else
        echo "[setup] chromium not found: the live page's browser test will be skipped" \
            "(Debian / Ubuntu: sudo apt-get install chromium)"
    fi
fi

echo "[setup] building the environment in $VENV (first time: downloads torch, builds mmcv ~12 min)"
start=$(date +%s)
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
# pip, without the machine-level "Location ... is ignored" noise of unused local indexes.
pip_install() {
    "$VENV/bin/python" -m pip install -q "$@" 2> >(grep -v 'is ignored: it is neither' >&2)
}

pip_install -r requirements/build.txt
# numpy is pinned with torch so that later steps do not swap it under mmcv.
pip_install -r requirements/torch.txt "$(grep -E '^numpy==' requirements/runtime.txt)"
# mmcv needs torch importable at build time, hence no build isolation; its ops compile for
# the CPU (and CUDA when a GPU toolkit and device are there). pip caches the built wheel.
if ! "$VENV/bin/python" -c "import mmcv, mmcv.ops" >/dev/null 2>&1; then
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
        pip_install --no-build-isolation --no-deps -r requirements/mmcv.txt
fi
# The deploy extra (ONNX export and ONNX Runtime) too: the suite tests it.
pip_install -r requirements/runtime.txt -r requirements/tests.txt -r requirements/deploy.txt
# The project itself, editable, without touching the pinned dependencies.
pip_install --no-deps --no-build-isolation -e .

"$VENV/bin/python" -c "import torch, mmcv, mmcv.ops, mmseg, mmpretrain, mmengine; \
print('[setup] torch', torch.__version__, '| mmcv', mmcv.__version__, '| mmseg', mmseg.__version__, \
'| mmpretrain', mmpretrain.__version__, '| mmengine', mmengine.__version__)"
echo "$key" > "$STAMP"
echo "[setup] done in $(( $(date +%s) - start )) s"
