"""Quality and speed of OpenVINO int8 variants (NNCF) against the fp32 `onnx` engine: docs/int8.md's table.

Quality (deterministic, valid on a loaded machine): cosine of each variant's vector to the fp32 vector, median
and worst, over ../shared/golden (297 texts), the 2,551 unique STS-B test sentences and held-out texts no test
or calibration uses (SICK test sentences, MSRP test sentences); STS-B test Spearman (x100; fp32 82.03).
Speed (--speed): engines alternating round by round in this process (onnx, onnx-int8, the variant): STS-B
test sentences/s and SciFact abstracts/s (batch 32), single-query p50, and an int8 ceiling (ONNX Runtime's
MatMulInteger on the model's four weight-MatMul shapes, as sentences/s at 21.2 MFLOP per token). --cold adds
cold start (load + first encode, cached model) and peak RSS of a fresh process per engine.

    .venv/bin/python -m benchmarks.int8.openvino_int8 [--only NAME ...] [--speed] [--rounds 3] [--cold]

Prints a Markdown table; `lscpu`'s model name heads it (figures from a shared or loaded machine are indicative).
"""

from __future__ import annotations

import argparse
import csv
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

import minilm
from benchmarks import harness, workloads
from minilm.engines.onnx.session import default_threads
from minilm.engines.openvino import calibration
from minilm.engines.openvino import quantize as q
from minilm.engines.openvino.engine import OpenVinoEngine
from minilm.engines.openvino.runtime import Runner, compile_model

R = q.Recipe
AD = ("*.attn_out", "*.ffn_down")  # the two MatMul kinds whose static int8 costs the most (docs/int8.md)
# name -> (recipe, calibration set); calibration sets are defined in calibration_texts()
VARIANTS: dict[str, tuple[q.Recipe, str]] = {
    "defaults": (R("defaults"), "builtin"),
    "defaults-stsb600": (R("defaults-stsb600"), "stsb600"),
    "minmax": (R("minmax", ranges="minmax"), "builtin"),
    "apart32": (R("apart32", apart=32), "builtin"),
    "apart32-minmax": (R("apart32-minmax", apart=32, ranges="minmax"), "builtin"),
    "apart32-minmax-stsb600": (R("apart32-minmax-stsb600", apart=32, ranges="minmax"), "stsb600"),
    "apart32-minmax-mix": (R("apart32-minmax-mix", apart=32, ranges="minmax"), "mix"),
    "apart32-minmax-nofbc": (
        R("apart32-minmax-nofbc", apart=32, ranges="minmax", fast_bias_correction=False),
        "builtin",
    ),
    "apart32-minmax-sq0.5": (R("apart32-minmax-sq0.5", apart=32, ranges="minmax", smooth_alpha=0.5), "builtin"),
    "apart32-minmax-nosq": (R("apart32-minmax-nosq", apart=32, ranges="minmax", smooth_alpha=-1), "builtin"),
    "apart32-minmax-attn-fp32": (
        R("apart32-minmax-attn-fp32", apart=32, ranges="minmax", keep_fp32=("attention",)),
        "builtin",
    ),
    "apart32-minmax-down-fp32": (
        R("apart32-minmax-down-fp32", apart=32, ranges="minmax", keep_fp32=("*.ffn_down",)),
        "builtin",
    ),
    "apart32-minmax-mix-down-attn-fp32": (
        R("apart32-minmax-mix-down-attn-fp32", apart=32, ranges="minmax", keep_fp32=("*.ffn_down", "attention")),
        "mix",
    ),
    "defaults-mix": (R("defaults-mix"), "mix"),
    "attnout-fp32": (R("attnout-fp32", keep_fp32=("*.attn_out",)), "builtin"),
    "attnout-fp32-mix": (R("attnout-fp32-mix", keep_fp32=("*.attn_out",)), "mix"),
    "apart32-attnout-fp32": (R("apart32-attnout-fp32", apart=32, keep_fp32=("*.attn_out",)), "builtin"),
    "apart32-minmax-attnout-fp32": (
        R("apart32-minmax-attnout-fp32", apart=32, ranges="minmax", keep_fp32=("*.attn_out",)),
        "builtin",
    ),
    "attnout-down-int8w-dyn32": (
        R("attnout-down-int8w-dyn32", keep_fp32=("*.attn_out", "*.ffn_down"), compress_kept=True, dynamic_group=32),
        "builtin",
    ),
    "attnout-down-fp32-mix": (R("attnout-down-fp32-mix", keep_fp32=AD), "mix"),
    "attnout-down-fp32-stsb600": (R("attnout-down-fp32-stsb600", keep_fp32=AD), "stsb600"),
    "attnout-down-fp32-minmax": (R("attnout-down-fp32-minmax", keep_fp32=AD, ranges="minmax"), "builtin"),
    "attnout-down-fp32-sq0.5": (R("attnout-down-fp32-sq0.5", keep_fp32=AD, smooth_alpha=0.5), "builtin"),
    "attnout-down-fp32-nosq": (R("attnout-down-fp32-nosq", keep_fp32=AD, smooth_alpha=-1), "builtin"),
    "attnout-down-fp32-nofbc": (R("attnout-down-fp32-nofbc", keep_fp32=AD, fast_bias_correction=False), "builtin"),
    "attnout-down-fp32-sq0.5-nofbc": (
        R("attnout-down-fp32-sq0.5-nofbc", keep_fp32=AD, smooth_alpha=0.5, fast_bias_correction=False),
        "builtin",
    ),
    "attnout-down-fp32-sq0.3": (R("attnout-down-fp32-sq0.3", keep_fp32=AD, smooth_alpha=0.3), "builtin"),
    "attnout-down-fp32-sq0.5-mix": (R("attnout-down-fp32-sq0.5-mix", keep_fp32=AD, smooth_alpha=0.5), "mix"),
    "attnout-fp32-sq0.5": (R("attnout-fp32-sq0.5", keep_fp32=("*.attn_out",), smooth_alpha=0.5), "builtin"),
    "apart32-attnout-fp32-sq0.5": (
        R("apart32-attnout-fp32-sq0.5", apart=32, keep_fp32=("*.attn_out",), smooth_alpha=0.5),
        "builtin",
    ),
    "down-fp32-sq0.5": (R("down-fp32-sq0.5", keep_fp32=("*.ffn_down",), smooth_alpha=0.5), "builtin"),
    "attnout-down-fp32": (R("attnout-down-fp32", keep_fp32=("*.attn_out", "*.ffn_down")), "builtin"),
    "apart64-minmax": (R("apart64-minmax", apart=64, ranges="minmax"), "builtin"),
    "weights-int8-sym-dyn32": (R("weights-int8-sym-dyn32", static=False, dynamic_group=32), "builtin"),
    "weights-int8-sym-dyn64": (R("weights-int8-sym-dyn64", static=False, dynamic_group=64), "builtin"),
    "weights-int8-sym-dyn128": (R("weights-int8-sym-dyn128", static=False, dynamic_group=128), "builtin"),
    "weights-int8-sym-fp32": (R("weights-int8-sym-fp32", static=False, dynamic_group=0), "builtin"),
}


# name -> (starting recipe, max drop of the validation texts' worst cosine to fp32): nncf.quantize_with_accuracy_control
# reverts to fp32 the quantized operations that cost the metric most, until the drop is within max_drop.
ACCURACY_CONTROL: dict[str, tuple[q.Recipe, float]] = {
    "ac-defaults": (R("ac-defaults"), 0.01),
    "ac-sq0.5": (R("ac-sq0.5", smooth_alpha=0.5), 0.01),
}


def calibration_texts(name: str) -> list[str]:
    """builtin: the package's 48 texts; stsb600: 600 STS-B train sentences; mix: builtin + the 100 shortest
    and 100 random STS-B train sentences (short generic sentences were the worst vectors)."""
    if name == "builtin":
        return list(calibration.TEXTS)
    train = workloads.sts_sentences("train")
    if name == "stsb600":
        return train[:600]
    rng = np.random.default_rng(0)
    shortest = sorted(train, key=len)[:100]
    return [*calibration.TEXTS, *shortest, *(train[i] for i in rng.choice(len(train), 100, replace=False))]


def held_out() -> list[str]:
    """SICK test sentences and MSRP test sentences (first 1,000 and 500 unique), no test or calibration uses."""
    with (workloads.DATA / "sick" / "SICK_test_annotated.txt").open(encoding="utf-8") as f:
        sick = [s for row in list(csv.reader(f, delimiter="\t"))[1:] for s in row[1:3]]
    with (workloads.DATA / "msrp" / "msr-para-test.tsv").open(encoding="utf-8-sig") as f:
        msrp = [s for row in list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:] for s in row[3:5]]
    return list(dict.fromkeys(sick))[:1000] + list(dict.fromkeys(msrp))[:500]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    return float(100 * spearmanr(a, b).statistic)


class Quality:
    """The fp32 reference vectors, and a variant's quality against them."""

    def __init__(self, base: minilm.Encoder, held: bool = True):
        rows = workloads.sts_rows("test")
        self.sets = {"golden": workloads.golden_texts(), "stsb": workloads.sts_sentences("test"), "held": held_out()}
        index = {s: i for i, s in enumerate(self.sets["stsb"])}
        self.pairs = np.array([(index[a], index[b]) for a, b, _ in rows])
        self.gold = np.array([s for _, _, s in rows])
        cache = Path(tempfile.gettempdir()) / f"minilm-ov-reference-{base.sha256[:12]}.npz"
        if not cache.is_file():  # the fp32 vectors are deterministic: computed once per machine
            np.savez(cache, **{k: base.encode(v, batch_size=32) for k, v in self.sets.items()})
        self.reference = dict(np.load(cache))
        if not held:
            del self.sets["held"]

    def __call__(self, model: minilm.Encoder) -> dict[str, float]:
        out: dict[str, float] = {}
        for label, texts in self.sets.items():
            v = model.encode(texts, batch_size=32)
            cos = np.sum(v * self.reference[label], axis=1)
            out[f"{label} median"], out[f"{label} worst"] = float(np.median(cos)), float(cos.min())
            if label == "stsb":
                out["Spearman"] = spearman(np.sum(v[self.pairs[:, 0]] * v[self.pairs[:, 1]], axis=1), self.gold)
                worst = np.argsort(cos)[:3]
                out["worst texts"] = "; ".join(f"{texts[i]!r} {cos[i]:.4f}" for i in worst)  # type: ignore[assignment]
        return out


def variant_encoder(base: minilm.Encoder, recipe: q.Recipe, texts: list[str]) -> tuple[minilm.Encoder, float]:
    """The variant as an Encoder (built now, not cached), and the seconds its build took."""
    start = time.perf_counter()
    model = q.build(base.checkpoint_weights, base.config.bert, recipe, calibration.samples(base.tokenizer, texts))
    built = time.perf_counter() - start
    threads = default_threads()
    runner = Runner(compile_model(model, threads, "f32", recipe.dynamic_group), threads)
    engine = OpenVinoEngine(runner, recipe.name)
    return minilm.Encoder(recipe.name, base.folder, base.tokenizer, engine, base.sha256, base.source), built


def validation_texts() -> list[str]:
    """Accuracy control's validation set: the 200 shortest and 100 random STS-B train sentences (short generic
    sentences are where static int8 breaks; train, so no test text steers the choice)."""
    train = workloads.sts_sentences("train")
    rng = np.random.default_rng(1)
    return [*sorted(train, key=len)[:200], *(train[i] for i in rng.choice(len(train), 100, replace=False))]


def accuracy_controlled(base: minilm.Encoder, recipe: q.Recipe, max_drop: float) -> tuple[minilm.Encoder, float]:
    """nncf.quantize_with_accuracy_control from `recipe`'s starting point; the metric is the worst cosine of the
    validation texts' vectors to fp32 (1.0 for the fp32 model)."""
    import nncf

    start = time.perf_counter()
    samples = calibration.samples(base.tokenizer, list(calibration.TEXTS))
    model = q.fp32_model(base.checkpoint_weights, base.config.bert, recipe, samples)
    texts = validation_texts()
    batches = calibration.samples(base.tokenizer, texts)  # one text per batch
    reference = base.encode(texts, batch_size=32)
    items = [({"input_ids": ids, "lengths": lengths}, reference[i]) for i, (ids, lengths) in enumerate(batches)]

    def worst_cosine(compiled: object, data: object) -> float:
        worst = 1.0
        for feeds, ref in data:  # type: ignore[attr-defined]
            states = compiled(feeds)[0][0, : int(feeds["lengths"][0])]  # type: ignore[operator]
            pooled = states.mean(axis=0)
            worst = min(worst, float(pooled @ ref / np.linalg.norm(pooled)))
        return worst

    calibration_set = nncf.Dataset([{"input_ids": i, "lengths": n} for i, n in samples])
    validation_set = nncf.Dataset(items, lambda item: item[0])
    quantized = nncf.quantize_with_accuracy_control(
        model, calibration_set, validation_set, validation_fn=worst_cosine, max_drop=max_drop,
        drop_type=nncf.DropType.ABSOLUTE, model_type=nncf.ModelType.TRANSFORMER, subset_size=len(samples),
        advanced_quantization_parameters=q._advanced(recipe),
    )  # fmt: skip
    built = time.perf_counter() - start
    threads = default_threads()
    engine = OpenVinoEngine(Runner(compile_model(quantized, threads, "f32"), threads), recipe.name)
    matmuls = [op for op in quantized.get_ordered_ops() if op.get_type_name() == "MatMul"]
    fp32 = [op.get_friendly_name() for op in matmuls if not _quantized_input(op)]
    print(f"# {recipe.name}: {len(fp32)} of {len(matmuls)} MatMuls left in fp32: {', '.join(fp32)}", flush=True)
    return minilm.Encoder(recipe.name, base.folder, base.tokenizer, engine, base.sha256, base.source), built


def _quantized_input(op: object) -> bool:
    """Whether a MatMul's first input comes from a FakeQuantize (through reshapes and transposes)."""
    node = op.input_value(0).get_node()  # type: ignore[attr-defined]
    while node.get_type_name() in ("Reshape", "Transpose"):
        node = node.input_value(0).get_node()
    return bool(node.get_type_name() == "FakeQuantize")


def int8_ceiling(tokens: int = 480, rounds: int = 5) -> float:
    """Sentences/s (14.9 tokens each) an int8 GEMM of the model's weight shapes reaches (MatMulInteger)."""

    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    shapes = [(384, 1152), (384, 384), (384, 1536), (1536, 384)] * 6
    rng = np.random.default_rng(0)
    nodes, inits, inputs = [], [], []
    for i, (k, n) in enumerate(shapes):
        inits.append(numpy_helper.from_array(rng.integers(-127, 127, (k, n), dtype=np.int8), f"w{i}"))
        inputs.append(helper.make_tensor_value_info(f"x{i}", TensorProto.UINT8, [tokens, k]))
        nodes.append(helper.make_node("MatMulInteger", [f"x{i}", f"w{i}"], [f"y{i}"]))
    outputs = [helper.make_tensor_value_info(f"y{i}", TensorProto.INT32, None) for i in range(len(shapes))]
    graph = helper.make_graph(nodes, "ceiling", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    options = ort.SessionOptions()
    options.intra_op_num_threads = default_threads()
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feeds = {f"x{i}": rng.integers(0, 255, (tokens, k), dtype=np.uint8) for i, (k, _) in enumerate(shapes)}
    session.run(None, feeds)
    best = min(harness.timed(lambda: session.run(None, feeds)) for _ in range(rounds))
    flops = 2 * tokens * sum(k * n for k, n in shapes)
    return flops / best / (21.2e6 * 14.9)


def speed(models: dict[str, minilm.Encoder], rounds: int) -> dict[str, dict[str, float]]:
    """Median over alternating rounds of STS-B sentences/s and SciFact docs/s; single-query p50 in ms."""
    sts, docs = workloads.sts_sentences("test")[:1000], workloads.scifact_abstracts()[:64]
    queries = workloads.sts_sentences("dev")[:100]
    for model in models.values():
        model.encode(sts[:64], batch_size=32)  # warm-up

    def rates(model: minilm.Encoder) -> dict[str, float]:
        return {
            "sts": len(sts) / harness.timed(lambda: model.encode(sts, batch_size=32)),
            "docs": len(docs) / harness.timed(lambda: model.encode(docs, batch_size=32)),
            "query": harness.median(1e3 * harness.timed(lambda t=t: model.encode([t])) for t in queries[:30]),
        }

    rounds_ = harness.alternate({name: (lambda m=model: rates(m)) for name, model in models.items()}, rounds)
    return {n: {k: harness.median(r[k] for r in per) for k in ("sts", "docs", "query")} for n, per in rounds_.items()}


def cold(engine: str) -> dict[str, float]:
    """Seconds to import, load and encode one sentence, and peak RSS, of a fresh process with the model cached
    (a first process builds the cache)."""
    with tempfile.TemporaryDirectory() as tmp:
        texts = Path(tmp) / "texts.json"
        texts.write_text('["a warm-up sentence"]')
        harness.fresh_process("benchmarks.speed.cold", f"minilm-{engine}", "cold", str(texts))
        got = harness.fresh_process("benchmarks.speed.cold", f"minilm-{engine}", "cold", str(texts))
    return {"cold s": got["cold_s"], "peak RSS MiB": got["peak_rss_mb"]}


def table(rows: dict[str, dict[str, float]], columns: list[str]) -> str:
    lines = ["| variant | " + " | ".join(columns) + " |", "| --- |" + " --- |" * len(columns)]
    for name, row in rows.items():
        cells = [row[c] if isinstance(row.get(c), str) else f"{row.get(c, float('nan')):.5g}" for c in columns]
        lines.append(f"| {name} | " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="variant names (default: all); 'engine' = quantize.RECIPE")
    parser.add_argument("--speed", action="store_true", help="also time the variants against onnx, onnx-int8")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-held", action="store_true", help="skip the held-out texts (quicker screening)")
    parser.add_argument("--cold", action="store_true", help="cold start and peak RSS of onnx-int8, openvino-int8")
    args = parser.parse_args()
    import nncf

    nncf.set_log_level(logging.ERROR)
    print(f"# {harness.machine()}, {default_threads()} threads", flush=True)
    base = minilm.load(engine="onnx", allow_download=False)
    from minilm.checkpoint.weights import load_weights

    base.checkpoint_weights = load_weights(base.folder.weights, base.config.bert)  # type: ignore[attr-defined]
    quality = Quality(base, held=not args.no_held)
    variants = dict(VARIANTS, engine=(q.RECIPE, "builtin"))
    names = args.only or list(VARIANTS)
    columns = [f"{s} {m}" for s in ("golden", "stsb", "held") for m in ("median", "worst")]
    columns += ["Spearman", "build s", "worst texts"]
    print(table({}, columns), flush=True)
    models: dict[str, minilm.Encoder] = {}
    for name in names:
        if name in ACCURACY_CONTROL:
            model, built = accuracy_controlled(base, *ACCURACY_CONTROL[name])
        else:
            recipe, texts = variants[name]
            model, built = variant_encoder(base, recipe, calibration_texts(texts))
        print(table({name: {**quality(model), "build s": built}}, columns).splitlines()[-1], flush=True)
        if args.speed:
            models[name] = model
    if args.speed:
        models = {"onnx": base, "onnx-int8": minilm.load(engine="onnx-int8", allow_download=False), **models}
        figures = speed(models, args.rounds)
        figures["int8 ceiling (MatMulInteger)"] = {"sts": int8_ceiling()}
        print("\n" + table(figures, ["sts", "docs", "query"]))
    if args.cold:
        engines = ("onnx-int8", "openvino-int8")
        cold_rows = {e: cold(e) for e in engines}
        print("\n" + table(cold_rows, ["cold s", "peak RSS MiB"]))


if __name__ == "__main__":
    main()
