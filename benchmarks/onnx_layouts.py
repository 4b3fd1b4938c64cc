"""Which fp32 graph runs fastest here: plain operators at each ONNX Runtime optimization level vs ORT's fused
contrib operators (EmbedLayerNormalization, Attention, SkipLayerNormalization, BiasGelu), thread spinning on or
off, and pooling inside the graph vs token states pooled above the engine. Alternating rounds, same texts.

    .venv/bin/python benchmarks/onnx_layouts.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workloads

import minilm
from minilm import batching
from minilm.checkpoint.weights import load_weights
from minilm.engines.onnx import graph
from minilm.engines.onnx.session import default_threads, open_session
from minilm.pooling import pool

L = ort.GraphOptimizationLevel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base = minilm.load(engine="numpy", allow_download=False)
    weights, config, threads = load_weights(base.folder.weights, base.config.bert), base.config.bert, default_threads()
    plain, fused = (
        graph.build(weights, config).SerializeToString(),
        graph.build(weights, config, True).SerializeToString(),
    )
    pooled = graph.build(weights, config, pooled=True).SerializeToString()
    sessions = {
        "plain, basic": open_session(plain, threads, level=L.ORT_ENABLE_BASIC),
        "plain, extended (engine)": open_session(plain, threads, level=L.ORT_ENABLE_EXTENDED),
        "plain, all": open_session(plain, threads, level=L.ORT_ENABLE_ALL),
        "plain, extended, spinning": open_session(plain, threads, spin=True),
        "fused contrib ops, basic": open_session(fused, threads, level=L.ORT_ENABLE_BASIC),
        "fused contrib ops, extended": open_session(fused, threads, level=L.ORT_ENABLE_EXTENDED),
        "plain + pooling in graph": open_session(pooled, threads),
    }
    work = {}
    for label, texts in (
        ("STS-B", workloads.sts_sentences("test")[:1000]),
        ("SciFact", workloads.scifact_abstracts()[:32]),
    ):
        units = base.tokenizer(texts)
        plan = batching.plan([len(u) for u in units], 32, 8192)
        work[label] = [batching.pad([units[i] for i in rows], base.tokenizer.pad_id) for rows in plan]

    def runner(name: str, session: ort.InferenceSession) -> Callable[[list[tuple[np.ndarray, np.ndarray]]], None]:
        def run(batches: list[tuple[np.ndarray, np.ndarray]]) -> None:
            for ids, lengths in batches:
                feeds = {"input_ids": ids, "lengths": lengths}
                if name.endswith("pooling in graph"):
                    session.run(["pooled"], feeds)
                else:
                    pool(session.run(["states"], feeds)[0], lengths, "mean")

        return run

    times = {name: {label: [] for label in work} for name in sessions}
    for _ in range(args.rounds):
        for name, session in sessions.items():
            for label, batches in work.items():
                start = time.perf_counter()
                runner(name, session)(batches)
                times[name][label].append(time.perf_counter() - start)
    ref = "plain, extended (engine)"
    print(f"threads {threads}; median of {args.rounds} alternating rounds; speed relative to '{ref}'\n")
    print("| graph | STS-B (1000 sentences) | SciFact (32 abstracts) |\n| --- | --- | --- |")
    for name, per in times.items():
        cells = [f"{np.median(times[ref][k]) / np.median(v):.2f}x ({np.median(v):.2f} s)" for k, v in per.items()]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
