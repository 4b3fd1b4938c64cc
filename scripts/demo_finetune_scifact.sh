#!/usr/bin/env bash
# Demonstration 1: fine-tune all-MiniLM-L6-v2 on SciFact train (query -> cited abstract), then STS-B and SciFact.
# Usage: bash scripts/demo_finetune_scifact.sh [WORKDIR]   (budget via EPOCHS, BATCH, SCIFACT=1 for nDCG@10)
# Needs the train extra: pip install torch==2.13.0 && pip install -e '.[train]'
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/minilm-demo-scifact}
EPOCHS=${EPOCHS:-3}
BATCH=${BATCH:-32}
mkdir -p "$WORK"
PY=.venv/bin/python
$PY scripts/training_data.py scifact-pairs "$WORK/scifact-train.jsonl"
STEPS=$($PY -c "import math,sys; print(math.ceil($EPOCHS * sum(1 for _ in open(sys.argv[1])) / $BATCH))" "$WORK/scifact-train.jsonl")
.venv/bin/minilm train "$WORK/scifact-train.jsonl" --output "$WORK/run" --batch-size "$BATCH" --steps "$STEPS" \
    --warmup-steps $((STEPS / 10)) --lr 2e-5 --max-seq-length 128 --checkpoint-every 10 \
    --eval-data ../shared/data/stsbenchmark/sts-dev.csv
EXTRA=()
[ "${SCIFACT:-0}" = 1 ] && EXTRA+=(--scifact)
$PY -m benchmarks.quality.eval_training "" "$WORK/run/final" "${EXTRA[@]}"
