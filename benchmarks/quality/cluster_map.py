"""Time the cluster map's projections (PCA, PCA->t-SNE) on AG News title vectors, and how well each keeps
the four news categories apart in 2D (silhouette of the true labels on the projected points; higher is
clearer). This is the measurement behind minilm.plot.projection.TSNE_MAX_POINTS.

    python -m benchmarks.quality.cluster_map --sizes 1000 2000 5000
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import silhouette_score

import minilm
from benchmarks import harness, workloads
from minilm.plot.projection import project

DATA = workloads.DATA / "ag_news" / "test.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    with args.data.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[: max(args.sizes)]
    labels = np.array([int(r[0]) for r in rows])
    vectors = minilm.load().encode([r[1] for r in rows], batch_size=64)
    print(f"# {harness.machine()}")
    print("points  projection  seconds  silhouette(categories)")
    for n in args.sizes:
        for method in ("pca", "tsne"):
            start = time.perf_counter()
            xy = project(vectors[:n], method)
            seconds = time.perf_counter() - start
            score = silhouette_score(xy, labels[:n], sample_size=min(n, 5000), random_state=0)
            print(f"{n:6d}  {method:10s}  {seconds:7.1f}  {score:6.3f}", flush=True)


if __name__ == "__main__":
    main()
