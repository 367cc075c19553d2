#!/bin/sh
# The benchmark environment of the numpy-vs-PyTorch training-step benchmark (tests/machines/test_neural_torch_step.py).
#
# PyTorch is never a dependency of powergen: it lives only in this separate virtual environment, outside the package
# and ignored by git (.venv-bench/ by default; pass another path as the first argument).  The environment gets
# torch 2.13.0 (CPU build), powergen itself in editable mode with its dev extras, pytest-benchmark and threadpoolctl.
# Idempotent: re-running it only checks that everything is installed.
#
# Usage:  sh scripts/bench_env.sh [VENV_DIR]
# Then:   VENV_DIR/bin/python -m pytest tests/machines/test_neural_torch_step.py -m benchmark \
#             -p no:cacheprovider -p no:xdist -q -s
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${1:-"$ROOT/.venv-bench"}
PY=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
# torch pinned: an unpinned "torch" would pull a CUDA build of several GB; 2.13.0 is the CPU wheel
"$VENV/bin/pip" install -q "torch==2.13.0"
"$VENV/bin/pip" install -q -e "$ROOT[dev]" pytest-benchmark threadpoolctl
"$VENV/bin/python" -c "import torch, numpy, threadpoolctl; print('bench env ready:', '$VENV', 'torch', torch.__version__, 'numpy', numpy.__version__)"
echo "run: $VENV/bin/python -m pytest tests/machines/test_neural_torch_step.py -m benchmark -p no:cacheprovider -p no:xdist -q -s"
