"""The model an export reads: a sentence-transformers BERT folder, checked before anything is written."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from minilm.checkpoint import ModelFolder, Weights, load_weights, read_folder, resolve
from minilm.checkpoint.weights import sha256_file
from minilm.errors import CheckpointError
from minilm.tokenizer import Tokenizer


@dataclass(frozen=True)
class Source:
    """A model folder read for export: its configuration, weights, tokenizer and the weights' digest."""

    name: str
    folder: ModelFolder
    weights: Weights
    tokenizer: Tokenizer
    sha256: str

    @property
    def hidden_size(self) -> int:
        return self.folder.config.bert.hidden_size


def read(model: str | os.PathLike[str] | None) -> Source:
    """Resolve and read the model; a folder that is not a BERT sentence-transformers model is refused with
    what it lacks (config.json, model.safetensors, a tokenizer, mean pooling)."""
    resolved = resolve(model)
    path = Path(resolved.path)
    if not (path / "config.json").is_file():
        raise CheckpointError(f"{path} is not a BERT sentence-transformers model: config.json is missing")
    folder = read_folder(path)
    pooling = folder.config.pooling
    if pooling.mode != "mean":
        raise CheckpointError(f"{path}: pooling mode {pooling.mode!r}; export writes mean-pooled models only")
    weights = load_weights(folder.weights, folder.config.bert)
    return Source(resolved.name, folder, weights, Tokenizer.from_folder(folder), sha256_file(folder.weights))
