#!/usr/bin/env bash
# Demonstration 2: a 3-layer student (layers 0, 2, 4 of all-MiniLM-L6-v2) distilled from the 6-layer teacher.
# Usage: bash scripts/demo_distill.sh [WORKDIR]   (budget via SENTENCES (0: all), EPOCHS, BATCH; SCIFACT=1)
# Needs the train extra: pip install torch==2.13.0 && pip install -e '.[train]'
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/minilm-demo-distill}
SENTENCES=${SENTENCES:-0}
EPOCHS=${EPOCHS:-1}
BATCH=${BATCH:-64}
mkdir -p "$WORK"
PY=.venv/bin/python
EXTRA=()
[ "${SCIFACT:-0}" = 1 ] && EXTRA+=(--scifact)
.venv/bin/minilm prune --layers 0,2,4 -o "$WORK/student-L3"
$PY -m benchmarks.quality.eval_training "$WORK/student-L3" "${EXTRA[@]}"          # the pruned student, before
$PY scripts/training_data.py sentences "$WORK/sentences.jsonl" "$SENTENCES"
.venv/bin/minilm distill "$WORK/sentences.jsonl" --student "$WORK/student-L3" --output "$WORK/run" \
    --batch-size "$BATCH" --epochs "$EPOCHS" --lr 1e-4 --warmup-steps 50 --checkpoint-every 100 \
    --eval-data ../shared/data/stsbenchmark/sts-dev.csv
$PY -m benchmarks.quality.eval_training "$WORK/run/final" "" "${EXTRA[@]}" --speed   # after, and speed vs the teacher
