"""fastembed on an export folder, in its own interpreter (a virtualenv holding fastembed; no minilm code):
    python benchmarks/export/fastembed_child.py FOLDER TEXTS.json OUT.npy
registers the folder with `TextEmbedding.add_custom_model` (mean pooling, normalized), loads it by
`specific_model_path`, embeds the texts in batches of 32 and prints {"load_seconds", "embed_seconds", "max_length"}.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from fastembed import TextEmbedding
from fastembed.common.model_description import ModelSource, PoolingType


def main() -> None:
    folder, texts_file, out = sys.argv[1:4]
    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    name = "minilm-export/" + folder.rstrip("/").rsplit("/", 1)[-1]
    TextEmbedding.add_custom_model(name, pooling=PoolingType.MEAN, normalization=True,
                                   sources=ModelSource(hf=name), dim=384, model_file="model.onnx")  # fmt: skip
    start = time.perf_counter()
    model = TextEmbedding(name, specific_model_path=folder, providers=["CPUExecutionProvider"])
    loaded = time.perf_counter()
    vectors = np.stack(list(model.embed(texts, batch_size=32)))
    embedded = time.perf_counter()
    np.save(out, vectors)
    max_length = model.model.tokenizer.truncation["max_length"]  # type: ignore[attr-defined]
    print(json.dumps({"load_seconds": loaded - start, "embed_seconds": embedded - loaded, "max_length": max_length}))


if __name__ == "__main__":
    main()
