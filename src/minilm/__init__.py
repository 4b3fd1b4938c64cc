"""minilm: a faithful, fast, torch-free implementation of sentence-transformers/all-MiniLM-L6-v2.

import minilm
model = minilm.load()
vectors = model.encode(["That is a happy person", "Today is a sunny day"])  # (2, 384) float32
"""

from minilm.checkpoint.known import DEFAULT_MODEL
from minilm.compat import SentenceTransformer
from minilm.encoder import Chunks, EncodeInfo, Encoder
from minilm.errors import (
    CheckpointError,
    DigestMismatchError,
    InputError,
    InputTypeError,
    MinilmError,
    MissingExtraError,
    ModelNotFoundError,
    TooLongError,
)
from minilm.loading import load
from minilm.options import EncodeOptions
from minilm.version import __version__


def __getattr__(name: str) -> object:
    """minilm.Index, imported on first use so that `import minilm` stays light."""
    if name == "Index":
        from minilm.index import Index

        return Index
    raise AttributeError(f"module 'minilm' has no attribute {name!r}")


__all__ = [
    "DEFAULT_MODEL",
    "CheckpointError",
    "Chunks",
    "DigestMismatchError",
    "EncodeInfo",
    "EncodeOptions",
    "Encoder",
    "Index",
    "InputError",
    "InputTypeError",
    "MinilmError",
    "MissingExtraError",
    "ModelNotFoundError",
    "SentenceTransformer",
    "TooLongError",
    "__version__",
    "load",
]
