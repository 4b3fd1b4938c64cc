"""How fast is the static model against the onnx and onnx-int8 engines (one run, alternating rounds): sentences/s
on 2,000 STS-B test sentences, docs/s on 300 SciFact abstracts, single-query p50 latency; model2vec's StaticModel
on the same folder and model2vec's own distill of the model (benchmarks/static/peers.py, 256 dimensions, float16)
beside them.

    .venv/bin/python -m benchmarks.static.speed --static results/static-model --rounds 3
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

import minilm
from benchmarks import harness, workloads
from benchmarks.static.peers import M2V_FOLDER, model2vec_distilled


def p50_ms(model: Any, queries: list[str]) -> float:
    times = []
    for q in queries:
        start = time.perf_counter()
        model.encode([q])
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--static", default="results/static-model")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--m2v", default=M2V_FOLDER, help="model2vec's distill (made there when missing)")
    args = parser.parse_args()
    from model2vec import StaticModel as Model2VecStatic

    short = workloads.sts_sentences("test")[:2000]
    long = workloads.scifact_abstracts()[:300]
    models: dict[str, Any] = {
        "static (minilm)": minilm.load(args.static),
        "static (model2vec StaticModel)": Model2VecStatic.from_pretrained(args.static),
        "model2vec distill (StaticModel)": Model2VecStatic.from_pretrained(str(model2vec_distilled(args.m2v))),
        "onnx": minilm.load(engine="onnx", allow_download=False),
        "onnx-int8": minilm.load(engine="onnx-int8", allow_download=False),
    }
    for m in models.values():
        m.encode(short[:64])
    runs = {(name, work): (lambda m=m, t=texts: m.encode(t))
            for name, m in models.items() for work, texts in (("short", short), ("long", long))}  # fmt: skip
    seconds = harness.medians(harness.time_rounds(runs, args.rounds))
    print(harness.machine(), "(other jobs ran on the machine)")
    print("| model | STS-B sentences/s | SciFact docs/s | single query p50 ms | x onnx short | x onnx long |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, m in models.items():
        s, d = len(short) / seconds[(name, "short")], len(long) / seconds[(name, "long")]
        s0, d0 = len(short) / seconds[("onnx", "short")], len(long) / seconds[("onnx", "long")]
        print(f"| {name} | {s:,.0f} | {d:,.1f} | {p50_ms(m, short[:200]):.3f} | {s / s0:.1f} | {d / d0:.1f} |")


if __name__ == "__main__":
    main()
