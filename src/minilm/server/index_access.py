"""The contract between the server's POST /search and a vector index.

The server embeds a text query itself (through its batcher, so the engine stays on one thread) and hands the
index a query vector; the index returns its k best hits. A lexical or hybrid search (`mode`) also needs the text:
an index that offers `search_mode` takes both. Any object with this `search` method will do; the
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


def hit_to_dict(hit: Any, documents: bool = False) -> dict[str, Any]:
    """One hit as the JSON object /search returns: id, score, text, metadata, and the span [start, end) of the
    matching window in the document when the index reports one; documents=True: its document and whether it
    was cut (`document`, `document_truncated`)."""
    if isinstance(hit, Mapping):
        fields: dict[str, Any] = dict(hit)
    else:
        keys = ("id", "doc_id", "score", "text", "metadata", "start", "end", "document", "document_truncated")
        fields = {key: getattr(hit, key) for key in keys if hasattr(hit, key)}
    out = {"id": fields.get("id", fields.get("doc_id")), "score": float(fields["score"]),
           "text": fields.get("text"), "metadata": fields.get("metadata")}  # fmt: skip
    if fields.get("start") is not None and fields.get("end") is not None:
        out["start"], out["end"] = int(fields["start"]), int(fields["end"])
    if documents:
        out["document"] = fields.get("document")
        out["document_truncated"] = bool(fields.get("document_truncated", False))
    return out


def search_with_documents(index: SearchIndex, query: np.ndarray, k: int, filter: Mapping[str, Any] | None,
                          budget: int) -> Sequence[Any]:  # fmt: skip
    """The hits with their documents, read with them in one snapshot, at most `budget` UTF-8 bytes of documents
    in all, from an index that can (`search_documents`); from another, the plain hits (no documents)."""
    both = getattr(index, "search_documents", None)
    if both is None:
        return index.search(query, k, filter)
    return list(both(query, k, filter, budget))


class _IndexSearch:
    """minilm.Index behind the SearchIndex contract: a query vector in, Hit objects out."""

    def __init__(self, index: Any):
        self.index = index

    def search(self, query: np.ndarray, k: int, filter: Mapping[str, Any] | None = None) -> Sequence[Any]:
        return self.index.search(query, k=k, where=dict(filter) if filter else None)

    def search_documents(self, query: np.ndarray, k: int, filter: Mapping[str, Any] | None,
                         budget: int) -> Sequence[Any]:  # fmt: skip
        return self.index.search(query, k=k, where=dict(filter) if filter else None, documents=True,
                                 document_bytes=budget)  # fmt: skip

    def search_mode(self, query: np.ndarray | None, text: str, k: int, filter: Mapping[str, Any] | None, mode: str,
                    budget: int | None) -> Sequence[Any]:  # fmt: skip
        """A lexical or hybrid search: the text (and for hybrid its vector, embedded by the server); budget: the
        documents' byte cap, None for hits without documents."""
        return self.index.search(text if query is None else query, k=k, where=dict(filter) if filter else None,
                                 mode=mode, text=None if query is None else text, documents=budget is not None,
                                 document_bytes=budget)  # fmt: skip


def open_index(path: str | os.PathLike[str]) -> SearchIndex:
    """Open the index saved in folder `path` (read-only; its writer may keep adding while the server runs)."""
    try:
        from minilm.index import Index
    except ImportError as exc:
        raise missing_module("index", f"--index {path}", exc) from None
    return _IndexSearch(Index.open(Path(path)))
