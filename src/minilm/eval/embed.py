"""Embedding texts for an evaluation, with an optional on-disk cache keyed by model, engine and texts.

The cache is for iterating on metrics and reports: a SciFact corpus takes minutes on the numpy engine. A file is
reused only for the same weights digest, the same engine name and exactly the same texts in the same order.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from minilm.progress import wanted

log = logging.getLogger(__name__)


class TextEncoder(Protocol):
    """What an evaluation needs from a model: minilm.Encoder satisfies it."""

    sha256: str

    def encode(self, texts: list[str], batch_size: int = ..., show_progress: bool | None = ...) -> np.ndarray: ...

    def info(self) -> dict[str, object]: ...


def cache_key(model: TextEncoder, texts: list[str]) -> str:
    """sha256 over (weights digest, engine name, every text) — any change gives a new key."""
    h = hashlib.sha256()
    h.update(model.sha256.encode())
    h.update(b"\0" + str(model.info().get("engine")).encode() + b"\0")
    for text in texts:
        h.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def embed(
    model: TextEncoder,
    texts: list[str],
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 32,
    show_progress: bool | None = None,
) -> np.ndarray:
    """L2-normalized float32 vectors (N, D) for texts, read from / written to cache_dir when one is given.

    show_progress: None shows a bar when stderr is a terminal and minilm is not quiet (minilm.progress).
    """
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"{cache_key(model, texts)[:32]}.npy"
        if path.is_file():
            vectors = np.load(path)
            if vectors.shape[0] == len(texts):
                log.info("read %d cached vectors from %s", len(texts), path)
                return vectors
    # an evaluation can run for minutes whatever its size: a bar on a terminal unless quiet or told otherwise
    vectors = np.asarray(model.encode(texts, batch_size=batch_size, show_progress=wanted(show_progress)),
                         dtype=np.float32)  # fmt: skip
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
        log.info("cached %d vectors in %s", len(texts), path)
    return vectors
