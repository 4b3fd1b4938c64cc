"""The `sentence-transformers` export: the standard folder sentence-transformers, transformers and Candle load.

model.safetensors holds the encoder's weights under Hugging Face BertModel's key names (the checkpoint keys minilm
already uses: embeddings.word_embeddings.weight, encoder.layer.0.attention.self.query.weight, ...) in float32
(fp32) or float16 (f16); config.json, modules.json, sentence_bert_config.json, 1_Pooling and 2_Normalize come
from layout.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import save

from minilm.export.source import Source
from minilm.files import write_bytes_atomic

PRECISIONS = ("fp32", "f16")
WEIGHTS_FILE = "model.safetensors"


def write(source: Source, out: Path, precision: str) -> None:
    dtype = np.float16 if precision == "f16" else np.float32
    tensors = {key: np.ascontiguousarray(value, dtype=dtype) for key, value in sorted(source.weights.items())}
    write_bytes_atomic(out / WEIGHTS_FILE, save(tensors, metadata={"format": "pt"}))
