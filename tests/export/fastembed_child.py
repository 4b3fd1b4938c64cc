"""fastembed on an export folder, run by tests/export/test_fastembed.py in .venv-fastembed (fastembed pins
huggingface_hub < 2, so it cannot share the project's .venv); nothing from minilm is imported here:
    .venv-fastembed/bin/python tests/export/fastembed_child.py FOLDER TEXTS.json OUT.npy
registers FOLDER with `TextEmbedding.add_custom_model` (mean pooling, normalized, the width from its config.json),
loads it by `specific_model_path`, embeds the texts and saves the vectors (float32, one row per text) to OUT.npy;
prints {"max_length": the truncation limit fastembed took from the folder, "ids": each text's token ids}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from fastembed import TextEmbedding
from fastembed.common.model_description import ModelSource, PoolingType


def main() -> None:
    folder, texts_file, out = (Path(arg) for arg in sys.argv[1:4])
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    width = json.loads((folder / "config.json").read_text(encoding="utf-8"))["hidden_size"]
    name = f"local/{folder.name}"
    TextEmbedding.add_custom_model(name, pooling=PoolingType.MEAN, normalization=True, sources=ModelSource(hf=name),
                                   dim=width, model_file="model.onnx")  # fmt: skip
    model = TextEmbedding(name, specific_model_path=str(folder), providers=["CPUExecutionProvider"],
                          cache_dir=str(out.parent / "fastembed-cache"))  # fmt: skip
    vectors = np.stack(list(model.embed(texts, batch_size=32))).astype(np.float32)
    np.save(out, vectors)
    tokenizer = model.model.tokenizer  # type: ignore[attr-defined]
    ids = [e.ids[: sum(e.attention_mask)] for e in tokenizer.encode_batch(texts)]  # without its batch padding
    print(json.dumps({"max_length": tokenizer.truncation["max_length"], "ids": ids}))


if __name__ == "__main__":
    main()
