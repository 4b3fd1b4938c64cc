#!/usr/bin/env bash
# The GPU benchmark from a copy of the repository (torch and sentence-transformers installed, no network needed;
# minilm itself is imported from src/):
#   bash benchmarks/gpu/gpu.sh [--smoke] [--sweep] [--out results/gpu.md]
set -euo pipefail
cd "$(dirname "$0")/../.."
export TOKENIZERS_PARALLELISM=true HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
exec "${PYTHON:-python3}" -m benchmarks.gpu.bench "$@"
