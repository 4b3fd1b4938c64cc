"""The contract between the server's POST /search and a vector index.

The server embeds a text query itself (through its batcher, so the engine stays on one thread) and hands the
index a query vector; the index returns its k best hits. Any object with this `search` method will do; the
`minilm serve --index DIR` flag opens one with `open_index`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from minilm.errors import MissingExtraError


@runtime_checkable
class SearchIndex(Protocol):
    """A searchable collection of vectors."""

    def search(self, query: np.ndarray, k: int, filter: Mapping[str, Any] | None = None) -> Sequence[Any]:
        """The k best hits for a query vector (D,) float32, best first, optionally filtered on metadata.

        A hit is a mapping or an object with `id` and `score`, and optionally `text` and `metadata`.
        """
        ...


def hit_to_dict(hit: Any) -> dict[str, Any]:
    """One hit as the JSON object /search returns: id, score, text, metadata."""
    if isinstance(hit, Mapping):
        fields: dict[str, Any] = dict(hit)
    else:
        fields = {key: getattr(hit, key, None) for key in ("id", "score", "text", "metadata")}
    return {"id": fields.get("id"), "score": float(fields["score"]), "text": fields.get("text"),
            "metadata": fields.get("metadata")}  # fmt: skip


def open_index(path: str | os.PathLike[str]) -> SearchIndex:
    """Open the index saved in folder `path` with minilm.index (not part of every build)."""
    try:
        index = importlib.import_module("minilm.index")
    except ImportError:
        raise MissingExtraError(
            f"--index {path}: this build of minilm has no minilm.index package, so /search is unavailable"
        ) from None
    opened = index.open(path)
    if not isinstance(opened, SearchIndex):
        raise MissingExtraError(f"--index {path}: minilm.index.open returned an object without search()")
    return opened
