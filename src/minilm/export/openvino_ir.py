"""The `openvino` export: OpenVINO IR (xml + bin) of the onnx export's two graphs, fp32 or int8.

openvino_model.xml: input_ids, attention_mask, token_type_ids -> last_hidden_state (the layout optimum-intel
reads); sentence_model.xml: the same inputs -> sentence_embedding (pooled and normalized inside). int8 is the
openvino-int8 engine's NNCF recipe (engines/openvino/quantize.py RECIPE: static int8, SmoothQuant 0.5, the
attention output and FFN down projections in fp32), calibrated on the same texts, one text per sample.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from minilm import extras
from minilm.engines.onnx import graph
from minilm.export import onnx_model
from minilm.export.source import Source

if TYPE_CHECKING:
    import openvino as ov

PRECISIONS = ("fp32", "int8")
TOKEN_FILE, SENTENCE_FILE = "openvino_model.xml", "sentence_model.xml"


def _int8(model: ov.Model, source: Source) -> ov.Model:
    import nncf
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters, AdvancedSmoothQuantParameters

    from minilm.engines.openvino import calibration, quantize

    recipe = quantize.RECIPE
    samples = []
    for ids, _ in calibration.samples(source.tokenizer):
        ones = np.ones_like(ids)
        samples.append({"input_ids": ids, "attention_mask": ones, "token_type_ids": np.zeros_like(ids)})
    return nncf.quantize(
        model, nncf.Dataset(samples), model_type=nncf.ModelType.TRANSFORMER, subset_size=len(samples),
        fast_bias_correction=recipe.fast_bias_correction,
        ignored_scope=nncf.IgnoredScope(names=quantize.ignored(model, recipe), validate=False),
        advanced_parameters=AdvancedQuantizationParameters(
            smooth_quant_alphas=AdvancedSmoothQuantParameters(matmul=recipe.smooth_alpha)),
    )  # fmt: skip


def write(source: Source, out: Path, precision: str) -> None:
    extras.require("openvino", "minilm export --format openvino")
    import openvino as ov

    from minilm.engines.openvino.runtime import read_onnx

    states = onnx_model.token_states(graph.build(source.weights, source.folder.config.bert, fused=False), source)
    for onnx_graph, name in ((states, TOKEN_FILE), (onnx_model.sentence(states, source), SENTENCE_FILE)):
        model = read_onnx(onnx_graph.SerializeToString())
        if precision == "int8":
            model = _int8(model, source)
        ov.save_model(model, str(out / name), compress_to_fp16=False)
