"""Batch cuts: batching.plan (cut where padding costs more than another engine call) vs fixed runs.

The fixed runs are what plan did before: the sorted texts cut every batch_size rows (fewer when the token budget
says so), whatever the lengths. Both run through Encoder.encode on the same texts, alternating round by round:
1,024 STS-B test sentences, 128 SciFact abstracts, and 50 requests of 20 sentences drawn at random (the
server's situation: few texts of mixed lengths per call). Prints the median texts/s of each and their ratio.

    benchmarks/.venv/bin/python benchmarks/batch_cuts.py [--engine onnx] [--rounds 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workloads

import minilm
from minilm import batching


def fixed_runs(lengths: Sequence[int], batch_size: int, max_tokens: int) -> Iterator[np.ndarray]:
    """The sorted rows cut every batch_size rows, or fewer when the longest row's width would pass max_tokens."""
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    start = 0
    while start < len(order):
        rows = max(1, min(batch_size, max_tokens // max(int(lengths[order[start]]), 1)))
        yield order[start : start + rows]
        start += rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="onnx")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    model = minilm.load(engine=args.engine, allow_download=False)
    sentences, abstracts = workloads.sts_sentences("test")[:1024], workloads.scifact_abstracts()[:128]
    rng = np.random.default_rng(0)
    requests = [[sentences[i] for i in rng.choice(len(sentences), 20, replace=False)] for _ in range(50)]
    model.encode(sentences[:64])  # warm-up

    def timed(texts_per_call: list[list[str]]) -> float:
        started = time.perf_counter()
        for texts in texts_per_call:
            model.encode(texts)
        return sum(len(t) for t in texts_per_call) / (time.perf_counter() - started)

    workloads_ = {"STS-B sentences/s": [sentences], "SciFact docs/s": [abstracts],
                  "20-sentence requests, sentences/s": requests}  # fmt: skip
    cuts: dict[str, Callable[..., Iterator[np.ndarray]]] = {"fixed": fixed_runs, "by cost": batching.plan}
    rates: dict[tuple[str, str], list[float]] = {(w, c): [] for w in workloads_ for c in cuts}
    try:
        for k in range(args.rounds):
            for name in cuts if k % 2 == 0 else reversed(list(cuts)):
                batching.plan = cuts[name]  # type: ignore[assignment]  # what Encoder.encode calls
                for work, texts_per_call in workloads_.items():
                    rates[(work, name)].append(timed(texts_per_call))
    finally:
        batching.plan = cuts["by cost"]  # type: ignore[assignment]
    print(f"engine {args.engine}, {args.rounds} alternating rounds, median")
    for work in workloads_:
        fixed, cost = (statistics.median(rates[(work, c)]) for c in cuts)
        print(f"  {work}: fixed {fixed:.1f}, by cost {cost:.1f} ({cost / fixed:.2f}x)")


if __name__ == "__main__":
    main()
