"""Batch shapes for the onnx engine: rows per batch (short texts) and padded tokens per batch (long texts).

Configurations alternate round by round on the same texts; prints the median texts/s of each, relative to
batch_size 32 (short texts, under a token budget of 8,192 that never binds them) and to the library's default
budget of 1,024 padded tokens per batch (long texts, encoder.DEFAULT_MAX_TOKENS), and also unsorted batches (the
cost of padding). Each configuration runs the encoder's public
pipeline (prepare -> embed_units with its batch_size and max_tokens -> finish).

    .venv/bin/python benchmarks/batch_shapes.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workloads

import minilm
from minilm import batching
from minilm.encoder import DEFAULT_MAX_TOKENS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--engine", default="onnx")
    args = parser.parse_args()
    model = minilm.load(engine=args.engine, allow_download=False)
    short, long = workloads.sts_sentences("test")[:1000], workloads.scifact_abstracts()[:64]
    configs = [("short", b, 8192) for b in (8, 16, 32, 64, 128)] + [
        ("long", 32, t) for t in sorted({DEFAULT_MAX_TOKENS, 1024, 2048, 4096, 8192, 16384})
    ]
    times: dict[tuple[str, int, int], list[float]] = {c: [] for c in configs}
    unsorted: list[float] = []
    units = model.tokenizer(short)
    for _ in range(args.rounds):
        for config in configs:
            work, batch_size, max_tokens = config
            start = time.perf_counter()
            prepared = model.prepare(short if work == "short" else long)
            model.finish(prepared, model.embed_units(prepared.units, batch_size, max_tokens))
            times[config].append(time.perf_counter() - start)
        start = time.perf_counter()  # unsorted: batches of 32 in input order, padded to each batch's longest
        for i in range(0, len(units), 32):
            model.engine.forward(*batching.pad(units[i : i + 32], model.tokenizer.pad_id))
        unsorted.append(time.perf_counter() - start)
    for config, t in times.items():
        work, batch_size, max_tokens = config
        n = len(short) if work == "short" else len(long)
        base = np.median(times[("short", 32, 8192)] if work == "short" else times[("long", 32, DEFAULT_MAX_TOKENS)])
        print(f"{work:5} batch_size {batch_size:4} max_tokens {max_tokens:6}: {n / np.median(t):8.1f} texts/s "
              f"({base / np.median(t):.2f}x batch_size 32, max_tokens 8192)")  # fmt: skip
    print(f"short, unsorted batches of 32 (engine only): {len(short) / np.median(unsorted):.1f} texts/s")


if __name__ == "__main__":
    main()
