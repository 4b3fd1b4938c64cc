"""The int8 engine's variants on this CPU: quality to fp32 and to the golden vectors, and speed vs fp32.

Each variant is quantize.RECIPE with another weight encoding (full-range s8 for VNNI CPUs, 7-bit s8 via
reduce_range, u8), calibrated on the package's built-in texts as the engine is. Quality: cosine of each int8
vector to the fp32 vector (median, worst) on ../shared/golden and on the 2,551 STS-B test sentences, and to the
golden reference vectors. Speed: 1,000 STS-B sentences, engines alternating, median of --rounds.

    nice -n 10 .venv/bin/python -m benchmarks.int8.cpu [--rounds 3] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform

import numpy as np

import minilm
from benchmarks import harness, workloads
from minilm.checkpoint.weights import load_weights
from minilm.engines.onnx import calibration, cpu, graph, quantize
from minilm.engines.onnx.engine import OnnxEngine
from minilm.engines.onnx.session import default_threads, open_session

VARIANTS = {r.name: r for r in quantize.VARIANTS.values()}
VARIANTS["u8-weights"] = dataclasses.replace(quantize.RECIPE, name="u8-weights", unsigned_weights=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="variant names (default: all)")
    args = parser.parse_args()
    print(f"{harness.machine()} ({platform.machine()}); int8 path detected: {cpu.int8_path()}", flush=True)

    base = minilm.load(engine="numpy", allow_download=False)
    weights, config = load_weights(base.folder.weights, base.config.bert), base.config.bert
    threads = default_threads()

    def encoder(onnx_model, name: str) -> minilm.Encoder:  # type: ignore[no-untyped-def]
        engine = OnnxEngine(open_session(onnx_model.SerializeToString(), threads), name, threads)
        return minilm.Encoder(name, base.folder, base.tokenizer, engine, base.sha256, base.source)

    golden, sts = workloads.golden_texts(), workloads.sts_sentences("test")
    golden_ref = np.load(workloads.GOLDEN / "all-MiniLM-L6-v2.npz")["embeddings"]
    fp32 = encoder(graph.build(weights, config, True), "fp32")
    ref = {"golden": fp32.encode(golden), "stsb": fp32.encode(sts)}
    calib = calibration.batches(base.tokenizer)
    models = {"fp32": fp32}
    for name, recipe in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        models[name] = m = encoder(quantize.build(weights, config, recipe, calib), name)
        g = m.encode(golden)
        row = {
            "golden_median": np.median(np.sum(g * ref["golden"], axis=1)),
            "golden_worst": np.sum(g * ref["golden"], axis=1).min(),
            "to_golden_ref_median": np.median(np.sum(g * golden_ref, axis=1)),
            "to_golden_ref_worst": np.sum(g * golden_ref, axis=1).min(),
        }
        s = np.sum(m.encode(sts) * ref["stsb"], axis=1)
        row |= {"stsb_median": np.median(s), "stsb_worst": s.min()}
        print(name, json.dumps({k: round(float(v), 5) for k, v in row.items()}), flush=True)

    short = sts[:1000]
    runs = {name: (lambda m=m: m.encode(short, batch_size=32)) for name, m in models.items()}
    times = harness.medians(harness.time_rounds(runs, args.rounds))
    print(f"median of {args.rounds} alternating rounds")
    for name, t in times.items():
        print(f"{name}: {t:.2f} s for {len(short)} STS-B sentences, {times['fp32'] / t:.2f}x fp32 "
              f"(threads {threads})")  # fmt: skip


if __name__ == "__main__":
    main()
