"""int8 OpenVINO models: minilm's own plain ONNX graph (engines/onnx/graph.py) quantized by NNCF.

A Recipe says how. Static recipes run `nncf.quantize` (int8 weights and int8 activations with ranges fixed from
calibration texts): SmoothQuant alpha for MatMuls, the activation range estimator, fast bias correction, which
MatMuls stay fp32 (by name: layer{n}.qkv / .attn_out / .ffn_up / .ffn_down, "attention" for the two
activation x activation MatMuls of each layer), and per layer the FFN channels with the largest peaks run apart
in fp32 (graph.py's `apart`, as onnx-int8 does). Dynamic recipes run `nncf.compress_weights` (int8 weights)
and let the CPU plugin quantize activations per group of `dynamic_group` channels at run time.
docs/int8.md has the measured variants; benchmarks/int8/openvino_int8.py reproduces them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import openvino as ov

from minilm.checkpoint.weights import Weights
from minilm.config import BertConfig
from minilm.engines.onnx import graph
from minilm.engines.onnx import quantize as onnx_quantize
from minilm.engines.openvino.runtime import read_onnx

Sample = tuple[np.ndarray, np.ndarray]  # one calibration batch: ids (B, T) int64, lengths (B,) int64


@dataclass(frozen=True)
class Recipe:
    """One way to quantize: see the module docstring."""

    name: str
    static: bool = True  # False: int8 weights only, activations quantized at run time (dynamic_group)
    smooth_alpha: float | None = None  # SmoothQuant alpha for MatMuls; None: NNCF's default for transformers
    ranges: str = "default"  # activation range estimator: "default" (NNCF's), "minmax", "mean_minmax", ...
    fast_bias_correction: bool = True
    keep_fp32: tuple[str, ...] = ()  # fnmatch patterns of MatMul names left in fp32 ("attention": QK^T and PV)
    apart: int = 0  # per layer, the FFN intermediate channels with the largest peaks, run apart in fp32
    dynamic_group: int = 0  # dynamic recipes: channels per activation scale (0: one scale per token row)
    asymmetric_weights: bool = False  # dynamic recipes: INT8_ASYM instead of INT8_SYM weights
    compress_kept: bool = False  # static recipes: int8 weights (activations at run time) for keep_fp32 matches


# The recipe the "openvino-int8" engine uses (docs/int8.md, OpenVINO section): static int8 for the QKV and FFN up
# projections and the attention scores, SmoothQuant alpha 0.5; the attention output and FFN down projections,
# whose static int8 cost the most on short texts, stay fp32.
RECIPE = Recipe("static-sq0.5-attnout-down-fp32", smooth_alpha=0.5, keep_fp32=("*.attn_out", "*.ffn_down"))


def fp32_model(weights: Weights, config: BertConfig, recipe: Recipe, samples: Sequence[Sample]) -> ov.Model:
    """The plain fp32 graph the recipe quantizes (with its FFN channels apart if the recipe asks)."""
    apart = None
    if recipe.apart:
        downs = [f"layer{n}.ffn_down" for n in range(config.num_hidden_layers)]
        peaks = onnx_quantize.activation_ranges(graph.build(weights, config, False), samples, downs)  # (4H,) each
        k = min(recipe.apart, max(1, config.intermediate_size // 8))  # most channels stay int8 (tiny test models)
        apart = {n: np.sort(np.argsort(-peaks[down])[:k]) for n, down in enumerate(downs)}
    return read_onnx(graph.build(weights, config, False, apart=apart).SerializeToString())


def matmul_names(model: ov.Model) -> tuple[list[str], list[str]]:
    """(weight MatMuls, attention MatMuls) of the model by friendly name; attention ones have no constant input."""
    weight: list[str] = []
    attention: list[str] = []
    for op in model.get_ordered_ops():
        if op.get_type_name() == "MatMul":
            constant = any(v.get_node().get_type_name() == "Constant" for v in op.input_values())
            (weight if constant else attention).append(op.get_friendly_name())
    return weight, attention


def ignored(model: ov.Model, recipe: Recipe) -> list[str]:
    """Names of the MatMuls the recipe leaves in fp32: keep_fp32 matches and every FFN branch run apart."""
    weight, attention = matmul_names(model)
    names = [n for n in weight if n.endswith("_apart") or any(fnmatch.fnmatch(n, p) for p in recipe.keep_fp32)]
    return names + (attention if "attention" in recipe.keep_fp32 else [])


def _advanced(recipe: Recipe) -> object:
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters, AdvancedSmoothQuantParameters
    from nncf.quantization.range_estimator import RangeEstimatorParametersSet

    options: dict[str, object] = {}
    if recipe.smooth_alpha is not None:
        options["smooth_quant_alphas"] = AdvancedSmoothQuantParameters(matmul=recipe.smooth_alpha)
    if recipe.ranges != "default":
        options["activations_range_estimator_params"] = getattr(RangeEstimatorParametersSet, recipe.ranges.upper())
    return AdvancedQuantizationParameters(**options)


def quantize(model: ov.Model, recipe: Recipe, samples: Sequence[Sample]) -> ov.Model:
    """The recipe applied to an fp32 model: NNCF static int8, or int8 weights for dynamic activations."""
    import nncf

    scope = nncf.IgnoredScope(names=ignored(model, recipe), validate=False)
    if not recipe.static:
        mode = nncf.CompressWeightsMode.INT8_ASYM if recipe.asymmetric_weights else nncf.CompressWeightsMode.INT8_SYM
        return nncf.compress_weights(model, mode=mode, ignored_scope=scope)
    dataset = nncf.Dataset([{"input_ids": ids, "lengths": lengths} for ids, lengths in samples])
    quantized = nncf.quantize(
        model, dataset, model_type=nncf.ModelType.TRANSFORMER, subset_size=len(samples),
        fast_bias_correction=recipe.fast_bias_correction, ignored_scope=scope, advanced_parameters=_advanced(recipe),
    )  # fmt: skip
    if not recipe.compress_kept:
        return quantized
    kept = set(scope.names) - set(matmul_names(model)[1])
    static = [n for n in matmul_names(model)[0] if n not in kept]
    return nncf.compress_weights(quantized, mode=nncf.CompressWeightsMode.INT8_SYM,
                                 ignored_scope=nncf.IgnoredScope(names=static, validate=False))  # fmt: skip


def build(weights: Weights, config: BertConfig, recipe: Recipe, samples: Sequence[Sample]) -> ov.Model:
    """The int8 model of these weights under `recipe`, calibrated on `samples` (ids, lengths) batches."""
    if not samples:
        raise ValueError(f"recipe {recipe.name} needs calibration samples")
    return quantize(fp32_model(weights, config, recipe, samples), recipe, samples)
