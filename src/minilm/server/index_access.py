"""The contract between the server's POST /search and a vector index.

The server embeds a text query itself (through its batcher, so the engine stays on one thread) and hands the
index a query vector; the index returns its k best hits. Any object with this `search` method will do; the
`minilm serve --index DIR` flag opens one with `open_index`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from minilm.extras import missing_module


@runtime_checkable
class SearchIndex(Protocol):
    """A searchable collection of vectors."""

    def search(self, query: np.ndarray, k: int, filter: Mapping[str, Any] | None = None) -> Sequence[Any]:
        """The k best hits for a query vector (D,) float32, best first, optionally filtered on metadata.

        A hit is a mapping or an object with `id` and `score`, and optionally `text` and `metadata`.
        """
        ...


def hit_to_dict(hit: Any) -> dict[str, Any]:
    """One hit as the JSON object /search returns: id, score, text, metadata, and the span [start, end) of the
    matching window in the document when the index reports one."""
    if isinstance(hit, Mapping):
        fields: dict[str, Any] = dict(hit)
    else:
        keys = ("id", "doc_id", "score", "text", "metadata", "start", "end")
        fields = {key: getattr(hit, key) for key in keys if hasattr(hit, key)}
    out = {"id": fields.get("id", fields.get("doc_id")), "score": float(fields["score"]),
           "text": fields.get("text"), "metadata": fields.get("metadata")}  # fmt: skip
    if fields.get("start") is not None and fields.get("end") is not None:
        out["start"], out["end"] = int(fields["start"]), int(fields["end"])
    return out


def add_documents(index: SearchIndex, hits: list[dict[str, Any]]) -> None:
    """Give each hit its whole document text, from an index that can look one up (`document(id)`)."""
    lookup = getattr(index, "document", None)
    for hit in hits:
        hit["document"] = lookup(hit["id"]) if lookup is not None else None


class _IndexSearch:
    """minilm.Index behind the SearchIndex contract: a query vector in, Hit objects out."""

    def __init__(self, index: Any):
        self.index = index

    def search(self, query: np.ndarray, k: int, filter: Mapping[str, Any] | None = None) -> Sequence[Any]:
        return self.index.search(query, k=k, where=dict(filter) if filter else None)

    def document(self, doc_id: str) -> str | None:
        found = self.index.get(doc_id)
        return None if found is None else str(found[0])


def open_index(path: str | os.PathLike[str]) -> SearchIndex:
    """Open the index saved in folder `path` (read-only; its writer may keep adding while the server runs)."""
    try:
        from minilm.index import Index
    except ImportError as exc:
        raise missing_module("index", f"--index {path}", exc) from None
    return _IndexSearch(Index.open(Path(path)))
