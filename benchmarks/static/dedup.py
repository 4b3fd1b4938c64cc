"""Does the static prefilter find the near-duplicate pairs the model alone finds, and how much faster?

Corpus: AG News test titles plus both sentences of every MSRP test positive pair (planted paraphrases; MSRP
train is among the static fit's texts, so its test split is used here).
Model-only: every text through the onnx engine, exact pairs above the threshold. Prefilter: static pairs above
threshold - margin (with k: only among each text's k nearest static neighbours), their texts through the model,
kept at the model's threshold (minilm.static.prefilter). The prefilter must encode at least the texts of the pairs
it finds, so the model-only time over the time to encode just the texts of the model-only pairs bounds its speed-up.

    .venv/bin/python -m benchmarks.static.dedup --static results/static-model --threshold 0.8 \
        --runs 0.1 0.15 0.15:3 0.2:3
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np

import minilm
from benchmarks import harness, workloads
from minilm.index.neighbors import pairs_above
from minilm.static.prefilter import prefiltered_pairs


def corpus() -> list[str]:
    with (workloads.DATA / "ag_news" / "test.csv").open(encoding="utf-8", newline="") as f:
        titles = [row[1].replace("\\", " ").strip() for row in csv.reader(f) if len(row) == 3]
    with (workloads.DATA / "msrp" / "msr-para-test.tsv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    planted = [t for r in rows if len(r) == 5 and r[0] == "1" for t in r[3:5]]
    return list(dict.fromkeys([*titles, *planted]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--static", default="results/static-model")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--runs", nargs="*", default=["0.1", "0.15"], help="MARGIN or MARGIN:K (k neighbours)")
    args = parser.parse_args()
    texts = corpus()
    model = minilm.load(engine="onnx", allow_download=False)
    start = time.perf_counter()
    i, j, _ = pairs_above(np.asarray(model.encode(texts)), args.threshold, "exact")
    model_seconds = time.perf_counter() - start
    truth = set(zip(i.tolist(), j.tolist(), strict=True))
    in_pairs = sorted(set(i.tolist()) | set(j.tolist()))
    bound = harness.timed(lambda: model.encode([texts[k] for k in in_pairs]))
    static = minilm.load(args.static)
    print(harness.machine(), "(other jobs ran on the machine)")
    print(f"{len(texts)} texts; model-only: {len(truth)} pairs at cosine >= {args.threshold} in {model_seconds:.1f}s; "
          f"their {len(in_pairs)} texts ({100 * len(in_pairs) / len(texts):.1f}%) encode in {bound:.1f}s: "
          f"speed-up bound {model_seconds / bound:.1f}x")  # fmt: skip
    print("| margin | k neighbours | pairs found / model's | texts through the model | seconds | speed-up |")
    print("| --- | --- | --- | --- | --- | --- |")
    for run in args.runs:
        margin, _, k = run.partition(":")
        neighbors = int(k) if k else None
        start = time.perf_counter()
        pairs, encoded = prefiltered_pairs(model, static, texts, args.threshold, float(margin), "exact", neighbors)
        seconds = time.perf_counter() - start
        found = len(truth & {(a, b) for a, b, _ in pairs})
        print(
            f"| {margin} | {k or 'all'} | {found} / {len(truth)} ({100 * found / max(len(truth), 1):.1f}%) | "
            f"{encoded} | {seconds:.1f} | {model_seconds / seconds:.1f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
