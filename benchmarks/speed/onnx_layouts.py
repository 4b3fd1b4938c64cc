"""Which fp32 graph runs fastest here: plain operators at each ONNX Runtime optimization level vs ORT's fused
contrib operators (EmbedLayerNormalization, Attention, BiasGelu), thread spinning on or off, and pooling
inside the graph (added here, with_pooling) vs token states pooled above the engine. Alternating rounds, same
texts. Figures: docs/benchmarks.md, "ONNX engine choices".

    .venv/bin/python -m benchmarks.speed.onnx_layouts [--rounds 5]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import minilm
from benchmarks import harness, workloads
from minilm import batching
from minilm.checkpoint.weights import load_weights
from minilm.engines.onnx import graph
from minilm.engines.onnx.session import UNFUSED, default_threads, session_options
from minilm.pooling import pool

L = ort.GraphOptimizationLevel


def open_variant(graph_bytes: bytes, threads: int, level: ort.GraphOptimizationLevel = L.ORT_ENABLE_EXTENDED,
            spin: bool = False) -> ort.InferenceSession:  # fmt: skip
    """A session as the engine opens it (session.session_options), at another optimization level or spinning."""
    options = session_options(threads)
    options.graph_optimization_level = level
    if spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "1")
    return ort.InferenceSession(graph_bytes, options, providers=["CPUExecutionProvider"], disabled_optimizers=UNFUSED)


def with_pooling(model: onnx.ModelProto) -> onnx.ModelProto:
    """The graph plus a second output, pooled (B, H): the mean of each row's first `length` states."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    g = model.graph
    g.initializer.extend([numpy_helper.from_array(np.array(v, np.int64), n)
                          for n, v in (("p_zero", 0), ("p_one", 1), ("p_axis0", [0]), ("p_axis1", [1]),
                                       ("p_axis_last", [-1]))])  # fmt: skip

    def node(op: str, inputs: list[str], out: str, **attrs: object) -> str:
        g.node.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    t = node("Squeeze", [node("Shape", ["input_ids"], "p_shape", start=1, end=2)], "p_t")
    positions = node("Unsqueeze", [node("Range", ["p_zero", t, "p_one"], "p_range"), "p_axis0"], "p_positions")
    keep = node("Less", [positions, node("Unsqueeze", ["lengths", "p_axis1"], "p_lengths")], "p_keep")  # (B, T)
    weight = node("Unsqueeze", [node("Cast", [keep], "p_keep_f", to=TensorProto.FLOAT), "p_axis_last"], "p_w")
    summed = node("ReduceSum", [node("Mul", ["states", weight], "p_masked"), "p_axis1"], "p_sum", keepdims=0)
    count = node("Unsqueeze", [node("Cast", ["lengths"], "p_len_f", to=TensorProto.FLOAT), "p_axis1"], "p_count")
    node("Div", [summed, count], "pooled")  # (B, H)
    hidden = g.output[0].type.tensor_type.shape.dim[2].dim_value
    g.output.append(helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", hidden]))
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ort.set_default_logger_severity(3)  # overwriting the spinning entry is a warning
    base = minilm.load(engine="numpy", allow_download=False)
    weights, config, threads = load_weights(base.folder.weights, base.config.bert), base.config.bert, default_threads()
    plain_model = graph.build(weights, config)
    plain, fused = plain_model.SerializeToString(), graph.build(weights, config, fused=True).SerializeToString()
    pooled = with_pooling(plain_model).SerializeToString()
    sessions = {
        "plain, basic": open_variant(plain, threads, L.ORT_ENABLE_BASIC),
        "plain, extended": open_variant(plain, threads),
        "plain, all": open_variant(plain, threads, L.ORT_ENABLE_ALL),
        "plain, extended, spinning": open_variant(plain, threads, spin=True),
        "fused contrib ops, basic": open_variant(fused, threads, L.ORT_ENABLE_BASIC),
        "fused contrib ops, extended (engine)": open_variant(fused, threads),
        "plain + pooling in graph": open_variant(pooled, threads),
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

    runners = {name: runner(name, session) for name, session in sessions.items()}
    runs = {
        (name, label): (lambda r=run, b=batches: r(b))
        for name, run in runners.items()
        for label, batches in work.items()
    }
    times = harness.medians(harness.time_rounds(runs, args.rounds))
    ref = "plain, extended"
    print(harness.machine())
    print(f"threads {threads}; median of {args.rounds} alternating rounds; speed relative to '{ref}'\n")
    print("| graph | STS-B (1000 sentences) | SciFact (32 abstracts) |\n| --- | --- | --- |")
    for name in sessions:
        cells = [f"{times[(ref, k)] / times[(name, k)]:.2f}x ({times[(name, k)]:.2f} s)" for k in work]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
