"""int8 graphs: the fp32 graph of graph.py with its weight MatMuls quantized by ONNX Runtime's quantizer.

A Recipe says how: per-channel or per-tensor weight scales, which weight MatMuls stay fp32 (by name:
layer{n}.qkv / .attn_out / .ffn_up / .ffn_down), and optional SmoothQuant-style smoothing (each MatMul input
channel j divided by s_j = max|x_j|^alpha / max|W_j|^(1 - alpha), the weights' row j multiplied by it) from
activation ranges measured on calibration batches. Activations are quantized dynamically (per batch, by
DynamicQuantizeMatMul / QAttention, u8 activations x s8 weights); on CPUs without VNNI the weights keep 7 bits
(VARIANTS, picked by cpu.py). docs/int8.md has the measured variants;
benchmarks/int8/variants.py reproduces them.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from minilm.checkpoint.weights import Weights
from minilm.config import BertConfig
from minilm.engines.onnx import cpu, graph

KINDS = ("qkv", "attn_out", "ffn_up", "ffn_down")


@dataclass(frozen=True)
class Recipe:
    """One way to quantize: see the module docstring."""

    name: str
    per_channel: bool = True
    keep_fp32: tuple[str, ...] = ()  # fnmatch patterns of weight MatMul names left in fp32
    smooth_alpha: float | None = None  # None: no smoothing
    smooth_skip: tuple[str, ...] = ()  # fnmatch patterns of quantized MatMuls left unsmoothed
    apart: int = 0  # per layer, the FFN intermediate channels with the largest peaks, run apart in fp32
    fused: bool = False  # quantize graph.py's fused layout (Attention -> QAttention) instead of the plain one
    reduce_range: bool = False  # 7-bit weights: no int16 saturation in the u8 x s8 kernels of CPUs without VNNI
    unsigned_weights: bool = False  # u8 weights (the u8 x u8 kernels) instead of s8


# The recipe the "onnx-int8" engine uses (docs/int8.md): every weight MatMul int8 on the fused layout, QKV /
# attention output / FFN up smoothed, and per layer the 32 FFN channels with the largest activations in fp32.
RECIPE = Recipe("fused-pc-smooth0.5-apart32", smooth_alpha=0.5, smooth_skip=("*.ffn_down",), apart=32, fused=True)
# The engine's recipe per int8 path of cpu.py: on CPUs without VNNI the same recipe with 7-bit weights.
VARIANTS = {cpu.VNNI: RECIPE, cpu.NO_VNNI: replace(RECIPE, name=f"{RECIPE.name}-7bit", reduce_range=True)}


def weight_matmuls(config: BertConfig) -> list[str]:
    """Names of every weight MatMul of the plain graph, in forward order."""
    return [f"layer{n}.{kind}" for n in range(config.num_hidden_layers) for kind in KINDS]


def activation_ranges(model: onnx.ModelProto, batches: Iterable[tuple[np.ndarray, np.ndarray]],
                      names: list[str]) -> dict[str, np.ndarray]:  # fmt: skip
    """max |x_j| per input channel j of each named MatMul, over the real (unpadded) tokens of the batches."""
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    inputs = {node.name: node.input[0] for node in probe.graph.node if node.name in names}
    probe.graph.output.extend(helper.make_tensor_value_info(t, TensorProto.FLOAT, None) for t in inputs.values())
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    ranges: dict[str, np.ndarray] = {}
    for ids, lengths in batches:
        outs = session.run(list(inputs.values()), {"input_ids": ids, "lengths": lengths})
        keep = np.arange(ids.shape[1])[None, :] < lengths[:, None]  # (B, T)
        for name, x in zip(inputs, outs, strict=True):
            peak = np.abs(x[keep]).max(axis=0)  # (in,)
            ranges[name] = np.maximum(ranges[name], peak) if name in ranges else peak
    return ranges


def smoothing(model: onnx.ModelProto, ranges: dict[str, np.ndarray], alpha: float,
              names: list[str]) -> dict[str, np.ndarray]:  # fmt: skip
    """s_j = max|x_j|^alpha / max|W_j|^(1 - alpha) for each named MatMul of `model` (the unsmoothed graph whose
    activations gave `ranges`), clipped away from 0."""
    found = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer if t.name.endswith(".weight")}
    factors = {}
    for name in names:
        w_in = np.abs(found[f"{name}.weight"]).max(axis=1)  # (in,): the (in, out) weight's row peaks
        s = np.power(np.maximum(ranges[name], 1e-5), alpha) / np.power(np.maximum(w_in, 1e-5), 1 - alpha)
        factors[name] = np.clip(s, 1e-2, 1e2).astype(np.float32)
    return factors


def quantized_names(config: BertConfig, recipe: Recipe) -> list[str]:
    """The weight MatMuls the recipe quantizes (all but those matching keep_fp32)."""
    return [n for n in weight_matmuls(config) if not any(fnmatch.fnmatch(n, p) for p in recipe.keep_fp32)]


class _PreprocessAdvice(logging.Filter):
    """Drops ONNX Runtime's "Please consider to run pre-processing before quantization" (its shape inference and
    graph optimization pass): the graph is minilm's own, with every shape known, and a user cannot act on it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Please consider") and "pre-processing before quantization" in message)


@contextlib.contextmanager
def _without_preprocess_advice() -> Iterator[None]:
    """The quantizer's pre-processing advice silenced while it runs; its other log records pass as before.

    It logs through logging.warning(), on the root logger, which also gives a root logger without handlers a
    basicConfig() handler for good; logging.lastResort (what prints a warning when no handler is configured)
    stands in while the quantizer runs, so the process's logging is left as it was.
    """
    root = logging.getLogger()
    advice = _PreprocessAdvice()
    stand_in = logging.lastResort if not root.handlers else None
    root.addFilter(advice)
    if stand_in is not None:
        root.addHandler(stand_in)
    try:
        yield
    finally:
        root.removeFilter(advice)
        if stand_in is not None:
            root.removeHandler(stand_in)


def quantize_model(model: onnx.ModelProto, names: list[str], recipe: Recipe) -> onnx.ModelProto:
    """Dynamic int8 quantization of the named weight MatMuls (u8 activations; weights as the recipe says)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weight_type = QuantType.QUInt8 if recipe.unsigned_weights else QuantType.QInt8
    with tempfile.TemporaryDirectory() as tmp, _without_preprocess_advice():
        out = Path(tmp) / "int8.onnx"
        quantize_dynamic(model, out, per_channel=recipe.per_channel, reduce_range=recipe.reduce_range,
                         weight_type=weight_type,
                         op_types_to_quantize=["MatMul", "Attention"], nodes_to_quantize=names,
                         extra_options={"MatMulConstBOnly": True, "DefaultTensorType": TensorProto.FLOAT})  # fmt: skip
        return onnx.load(str(out))


def build(weights: Weights, config: BertConfig, recipe: Recipe = RECIPE,
          calibration: Iterable[tuple[np.ndarray, np.ndarray]] | None = None) -> onnx.ModelProto:  # fmt: skip
    """The int8 graph of these weights under `recipe` (smoothing recipes need calibration batches)."""
    names = quantized_names(config, recipe)
    if (recipe.smooth_alpha is not None or recipe.apart) and calibration is None:
        raise ValueError(f"recipe {recipe.name} measures activations: it needs calibration batches")
    batches = list(calibration or [])
    apart = None
    if recipe.apart:
        downs = [f"layer{n}.ffn_down" for n in range(config.num_hidden_layers)]
        peaks = activation_ranges(graph.build(weights, config, recipe.fused), batches, downs)  # (4H,) each
        k = min(recipe.apart, max(1, config.intermediate_size // 8))  # most channels stay int8 (tiny test models)
        apart = {n: np.sort(np.argsort(-peaks[down])[:k]) for n, down in enumerate(downs)}
    smooth = None
    if recipe.smooth_alpha is not None:
        smoothed = [n for n in names if not any(fnmatch.fnmatch(n, p) for p in recipe.smooth_skip)]
        probe = graph.build(weights, config, recipe.fused, apart=apart)
        smooth = smoothing(probe, activation_ranges(probe, batches, smoothed), recipe.smooth_alpha, smoothed)
    model = graph.build(weights, config, recipe.fused, smooth=smooth, apart=apart)
    return quantize_model(model, names, recipe)
