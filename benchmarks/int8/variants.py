"""Quality and speed of int8 recipes against the fp32 ONNX engine: the table of docs/int8.md.

Quality: cosine of each int8 vector to the fp32 vector (median, worst) over ../shared/golden and over STS-B
test sentences; STS-B test Spearman (cosine vs gold, x100) of fp32 and of each recipe. Speed: encode time on
STS-B sentences and on SciFact abstracts, engines alternating round by round, as a ratio to fp32 (median).
Calibration batches (smoothing, static) come from STS-B train sentences.

    .venv/bin/python -m benchmarks.int8.variants [--rounds 5] [--out results/int8_variants.md]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import onnx

import minilm
from benchmarks import harness, workloads
from minilm import batching
from minilm.engines.onnx import calibration, graph, quantize
from minilm.engines.onnx.engine import OnnxEngine
from minilm.engines.onnx.session import default_threads, open_session
from minilm.eval.metrics import spearman

RECIPES = [
    quantize.Recipe("per-tensor", per_channel=False),
    quantize.Recipe("per-channel", per_channel=True),
    quantize.Recipe("pc-ffn_down-fp32", keep_fp32=("*.ffn_down",)),
    quantize.Recipe("pc-last-layer-fp32", keep_fp32=("layer5.*",)),
    quantize.Recipe("pc-ffn_down+last-fp32", keep_fp32=("*.ffn_down", "layer5.*")),
    quantize.Recipe("pc-smooth0.5", smooth_alpha=0.5),
    quantize.Recipe("pc-smooth0.5-ffn_down-fp32", smooth_alpha=0.5, keep_fp32=("*.ffn_down",)),
    quantize.Recipe("pc-smooth0.8", smooth_alpha=0.8),
    quantize.Recipe("pc-smooth0.5-down0-fp32", smooth_alpha=0.5, keep_fp32=("layer0.ffn_down",)),
    quantize.Recipe("pc-smooth0.6-down0-fp32", smooth_alpha=0.6, keep_fp32=("layer0.ffn_down",)),
    quantize.Recipe("pc-smooth0.5-down01-fp32", smooth_alpha=0.5, keep_fp32=("layer0.ffn_down", "layer1.ffn_down")),
    quantize.Recipe("pc-smooth0.5-apart32", smooth_alpha=0.5, apart=32),
    quantize.Recipe("pc-smooth0.5-apart32-down-unsmoothed", smooth_alpha=0.5, apart=32, smooth_skip=("*.ffn_down",)),
    quantize.Recipe("fused-pc-smooth0.5-apart16", smooth_alpha=0.5, smooth_skip=("*.ffn_down",), apart=16, fused=True),
    quantize.RECIPE,
]


def calibration_batches(model: minilm.Encoder, n: int = 1024) -> list[tuple[np.ndarray, np.ndarray]]:
    sentences = workloads.sts_sentences("train")[:n]
    units = model.tokenizer(sentences)
    plan = batching.plan([len(u) for u in units], 64, 8192)
    return [batching.pad([units[i] for i in rows], model.tokenizer.pad_id) for rows in plan]


def static_model(
    fp32: onnx.ModelProto, names: list[str], calib: list[tuple[np.ndarray, np.ndarray]]
) -> onnx.ModelProto:
    """QDQ static quantization (activation scales fixed by MinMax calibration), per-channel s8 weights."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(calib)

        def get_next(self) -> dict[str, np.ndarray] | None:
            item = next(self.items, None)
            return None if item is None else {"input_ids": item[0], "lengths": item[1]}

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "static.onnx"
        quantize_static(fp32, out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        nodes_to_quantize=names)  # fmt: skip
        return onnx.load(str(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("results/int8_variants.md"))
    parser.add_argument("--only", nargs="*", help="recipe names to run (default: all)")
    args = parser.parse_args()

    base = minilm.load(engine="numpy", allow_download=False)
    from minilm.checkpoint.weights import load_weights

    weights, config = load_weights(base.folder.weights, base.config.bert), base.config.bert
    threads = default_threads()

    def encoder(model: onnx.ModelProto, name: str) -> minilm.Encoder:
        engine = OnnxEngine(open_session(model.SerializeToString(), threads), name, threads)
        return minilm.Encoder(name, base.folder, base.tokenizer, engine, base.sha256, base.source)

    fp32 = encoder(graph.build(weights, config, True), "fp32")  # the fp32 engine's layout
    calib = calibration_batches(base)
    golden, sts = workloads.golden_texts(), workloads.sts_sentences("test")
    rows = workloads.sts_rows("test")
    gold = np.array([s for _, _, s in rows])
    index = {s: i for i, s in enumerate(sts)}
    pairs = np.array([(index[a], index[b]) for a, b, _ in rows])

    def quality(model: minilm.Encoder) -> dict[str, float]:
        out: dict[str, float] = {}
        for label, texts in (("golden", golden), ("stsb", sts)):
            cos = np.sum(model.encode(texts) * reference[label], axis=1)
            out[f"{label}_median"], out[f"{label}_worst"] = float(np.median(cos)), float(cos.min())
        v = model.encode(sts)
        out["spearman"] = 100 * spearman(np.sum(v[pairs[:, 0]] * v[pairs[:, 1]], axis=1), gold)
        return out

    reference = {"golden": fp32.encode(golden), "stsb": fp32.encode(sts)}
    results: dict[str, dict[str, float]] = {"fp32": quality(fp32)}
    models: dict[str, minilm.Encoder] = {"fp32": fp32}
    recipes = [r for r in RECIPES if not args.only or r.name in args.only]
    names = quantize.weight_matmuls(config)
    for recipe in recipes:
        models[recipe.name] = encoder(quantize.build(weights, config, recipe, calib), recipe.name)
        results[recipe.name] = quality(models[recipe.name])
        print(recipe.name, {k: round(v, 4) for k, v in results[recipe.name].items()}, flush=True)
    if not args.only or "static-qdq" in args.only:
        models["static-qdq"] = encoder(static_model(graph.build(weights, config), names, calib), "static-qdq")
        results["static-qdq"] = quality(models["static-qdq"])
        print("static-qdq", {k: round(v, 4) for k, v in results["static-qdq"].items()}, flush=True)
    if not args.only or "engine" in args.only:  # the shipped recipe, calibrated on the package's own texts
        shipped = calibration.batches(base.tokenizer)
        name = f"engine: {quantize.RECIPE.name}, built-in calibration"
        models[name] = encoder(quantize.build(weights, config, quantize.RECIPE, shipped), name)
        results[name] = quality(models[name])

    short, long = sts[:1000], workloads.scifact_abstracts()[:48]
    runs = {(name, work): (lambda m=model, t=texts: m.encode(t, batch_size=32))
            for name, model in models.items() for work, texts in (("short", short), ("long", long))}  # fmt: skip
    times = harness.medians(harness.time_rounds(runs, args.rounds))  # every engine sees the same machine load
    lines = [
        harness.machine(),
        f"threads {threads}; {len(golden)} golden texts, {len(sts)} STS-B test sentences; speed: {len(short)} "
        f"STS-B sentences and {len(long)} SciFact abstracts, median of {args.rounds} alternating rounds",
        "",
        "| variant | golden cos median | golden worst | STS-B cos median | STS-B worst | STS-B Spearman | "
        "speed vs fp32 (STS-B) | speed vs fp32 (SciFact) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, q in results.items():
        ratio_s = times[("fp32", "short")] / times[(name, "short")]
        ratio_l = times[("fp32", "long")] / times[(name, "long")]
        lines.append(
            f"| {name} | {q['golden_median']:.4f} | {q['golden_worst']:.4f} | {q['stsb_median']:.4f} | "
            f"{q['stsb_worst']:.4f} | {q['spearman']:.2f} | {ratio_s:.2f}x | {ratio_l:.2f}x |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
