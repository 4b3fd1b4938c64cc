"""The `transformers.js` export: the folder layout Transformers.js loads from a local path.

onnx/model.onnx (fp32) and onnx/model_quantized.onnx (int8) are the onnx export's token-state graph (input_ids,
attention_mask, token_type_ids -> last_hidden_state); `pipeline("feature-extraction", ..., {pooling: "mean",
normalize: true})` pools them. `dtype: "q8"` selects the quantized file. Both files are always written.
"""

from __future__ import annotations

from pathlib import Path

from minilm.export import onnx_model
from minilm.export.source import Source

PRECISIONS = ("fp32+int8",)
FILES = {"fp32": "onnx/model.onnx", "int8": "onnx/model_quantized.onnx"}


def write(source: Source, out: Path, precision: str) -> None:
    for kind, name in FILES.items():
        onnx_model.save(onnx_model.token_states(onnx_model.encoder(source, kind), source), out / name)
