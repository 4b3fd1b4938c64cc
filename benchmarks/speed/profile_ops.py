"""Where an engine spends its time: the runtime's own per-node profile, summed by operator type.

ONNX Runtime engines: each engine's cached graph (as the engines open it: same threads, same optimization level)
with ORT profiling on. OpenVINO engines (openvino, openvino-int8): the engine as loaded, compiled with
PERF_COUNT on, summed by (node type, kernel), e.g. ("FullyConnected", "jit_gemm_I8") for an int8 GEMM. Both run
over length-sorted batches of STS-B test sentences and of SciFact abstracts, and print each operator type's
share of the node time, plus the share of the run that falls outside the nodes.

    .venv/bin/python -m benchmarks.speed.profile_ops [--engines onnx onnx-int8 openvino-int8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import onnxruntime as ort

import minilm
from benchmarks import harness, workloads
from minilm import batching
from minilm.engines.onnx.session import UNFUSED, session_options


def profile(model_path: str, threads: int, batches: list, repeats: int) -> tuple[dict[str, float], float]:  # type: ignore[type-arg]
    """(microseconds per op type, wall microseconds of the runs) for `repeats` passes over the batches."""
    options = session_options(threads)  # as the engines open it, with profiling on
    options.enable_profiling = True
    with tempfile.TemporaryDirectory() as tmp:
        options.profile_file_prefix = os.path.join(tmp, "ort")
        session = ort.InferenceSession(
            model_path, options, providers=["CPUExecutionProvider"], disabled_optimizers=UNFUSED
        )
        for ids, lengths in batches[:2]:  # warm-up
            session.run(["states"], {"input_ids": ids, "lengths": lengths})
        start = time.perf_counter()
        for _ in range(repeats):
            for ids, lengths in batches:
                session.run(["states"], {"input_ids": ids, "lengths": lengths})
        wall = (time.perf_counter() - start) * 1e6
        events = json.loads(Path(session.end_profiling()).read_text())
    by_op: dict[str, float] = defaultdict(float)
    runs = [e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"]
    skip = len(runs) - repeats * len(batches)  # the warm-up runs come first
    first = runs[skip]["ts"] if skip < len(runs) else 0
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and e["ts"] >= first:
            by_op[e["args"]["op_name"]] += e["dur"]
    return dict(by_op), wall


def profile_openvino(encoder: minilm.Encoder, batches: list, repeats: int) -> tuple[dict[str, float], float]:  # type: ignore[type-arg]
    """(microseconds per node type and kernel, wall microseconds) from OpenVINO's PERF_COUNT profile."""
    request = encoder.engine.runner.compiled.create_infer_request()  # type: ignore[attr-defined]
    for ids, lengths in batches[:2]:  # warm-up
        request.infer({"input_ids": ids, "lengths": lengths})
    by_op: dict[str, float] = defaultdict(float)
    wall = 0.0
    for _ in range(repeats):
        for ids, lengths in batches:
            start = time.perf_counter()
            request.infer({"input_ids": ids, "lengths": lengths})
            wall += (time.perf_counter() - start) * 1e6
            for node in request.profiling_info:
                by_op[f"{node.node_type} ({node.exec_type})"] += node.real_time.total_seconds() * 1e6
    return dict(by_op), wall


def with_perf_counts() -> None:
    """Every OpenVINO model compiled from now on keeps per-node timings (PERF_COUNT)."""
    import openvino as ov

    compile_model = ov.Core.compile_model

    def counting(self, model, device_name="CPU", config=None):  # type: ignore[no-untyped-def]
        return compile_model(self, model, device_name, {**(config or {}), "PERF_COUNT": True})

    ov.Core.compile_model = counting  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", nargs="+", default=["onnx", "onnx-int8"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    workloads_ = {"STS-B": workloads.sts_sentences("test")[:640], "SciFact": workloads.scifact_abstracts()[:64]}
    print(harness.machine())
    for engine_name in args.engines:
        if engine_name.startswith("openvino"):
            with_perf_counts()
        encoder = minilm.load(engine=engine_name, allow_download=False)
        engine = encoder.engine
        session = getattr(engine, "session", None)
        cache = Path(session._model_path) if session is not None and hasattr(session, "_model_path") else None
        if cache is None and not hasattr(engine, "runner"):
            raise SystemExit(f"{engine_name}: neither an ONNX Runtime nor an OpenVINO engine")
        for label, texts in workloads_.items():
            units = encoder.tokenizer(texts)
            plan = batching.plan([len(u) for u in units], args.batch_size, 8192)
            batches = [batching.pad([units[i] for i in rows], encoder.tokenizer.pad_id) for rows in plan]
            tokens = sum(len(u) for u in units) * args.repeats
            if cache is None:
                by_op, wall = profile_openvino(encoder, batches, args.repeats)
            else:
                by_op, wall = profile(str(cache), engine.threads or 1, batches, args.repeats)
            total = sum(by_op.values())
            print(f"\n## {engine_name}, {label}: {tokens / wall * 1e6:,.0f} tokens/s with profiling on; "
                  f"node time {total / wall:.0%} of the wall time")  # fmt: skip
            for op, us in sorted(by_op.items(), key=lambda kv: -kv[1]):
                if us / total >= 0.005:
                    print(f"  {op:32s} {us / total:6.1%}  {us / 1e3 / args.repeats:8.1f} ms per pass")


if __name__ == "__main__":
    main()
