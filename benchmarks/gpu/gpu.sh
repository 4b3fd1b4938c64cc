#!/usr/bin/env bash
# The GPU benchmark from a copy of the repository (torch and sentence-transformers installed, no network needed):
#   bash benchmarks/gpu.sh [--smoke] [--sweep] [--out results/gpu.md]
set -euo pipefail
cd "$(dirname "$0")/.."
export TOKENIZERS_PARALLELISM=true HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "${PYTHON:-python3}" benchmarks/gpu.py "$@"
