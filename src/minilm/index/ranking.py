"""One query against an index: candidate windows from the search structure, float32 rescoring for int8 and
binary storage, the best window per document, and the hits with their text and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from minilm.index.documents_db import DocumentsDB
from minilm.index.vectors import EF_SEARCH, VectorIndex, ivf_plan

RESCORE = {"float32": 1, "int8": 4, "binary": 10}  # candidates fetched per wanted hit before float rescoring


@dataclass(frozen=True)
class Hit:
    """A search result: the document, its best-matching window [start, end) and that window's cosine score."""

    doc_id: str
    score: float
    start: int
    end: int
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    document: str | None = None  # the whole document, when asked for (Index.search documents=True)
    document_truncated: bool = False  # the document was cut to the search's document_bytes


def search_one(store: DocumentsDB, settings: dict[str, Any], vi: VectorIndex, q: np.ndarray, k: int,
               allowed: np.ndarray | None, ef: int | None, exact: bool) -> list[Hit]:  # fmt: skip
    """The k best documents for a unit query vector (D,), inside the caller's read snapshot."""
    factor = RESCORE[settings["storage"]]
    live = vi.live_count if allowed is None else len(allowed)
    want = min(k * factor * (2 if settings["chunk"] else 1), live)
    if vi.search_kind == "ivf":  # the lists probed and the candidates rescored come from the recall target
        probes, depth = ivf_plan(settings["recall"])
        ef, want = ef or probes, min(max(depth, want), live)
    while True:
        reach = ef if vi.search_kind == "ivf" and ef else max(ef or EF_SEARCH, want)
        keys, scores = vi.search(q[None], want, allowed, ef=reach, exact=exact)
        keys, scores = keys[0][keys[0] >= 0], scores[0][keys[0] >= 0]
        if factor > 1 and len(keys):  # rescore the candidates with the stored float32 vectors
            scores = store.vectors(keys.tolist()) @ q
            order = np.argsort(-scores, kind="stable")
            keys, scores = keys[order], scores[order]
        # Only the best candidates need their documents looked up, unless they collapse to fewer than k.
        head = k * 4 if settings["chunk"] else k
        best = _collapse(store, keys[:head], scores[:head])
        if len(best) < k and len(keys) > head:
            best = _collapse(store, keys, scores)
        if len(best) >= k or want >= live:
            break
        want = min(want * 2, live)
    return _hits(store, best[:k])


def _collapse(store: DocumentsDB, keys: np.ndarray, scores: np.ndarray) -> list[tuple[int, float]]:
    """Best window per document: [(chunk key, score)] best first."""
    rows = store.chunks(keys.tolist())
    best: dict[str, tuple[int, float]] = {}
    for key, score in zip(keys.tolist(), scores.tolist(), strict=True):
        doc = rows[key].doc_id
        if doc not in best or score > best[doc][1]:
            best[doc] = (key, score)
    return sorted(best.values(), key=lambda kv: -kv[1])


def _hits(store: DocumentsDB, best: list[tuple[int, float]]) -> list[Hit]:
    """The hits with their window's text (cut in SQL: a long document is never read whole) and metadata."""
    rows = store.windows([key for key, _ in best])
    return [Hit(rows[key][0], float(score), *rows[key][1:]) for key, score in best]


def with_documents(store: DocumentsDB, hits: list[Hit], budget: int | None) -> list[Hit]:
    """The hits with their documents, inside the caller's read snapshot; at most `budget` UTF-8 bytes of
    documents in all, given in rank order (the document that passes it is cut, the ones after are empty)."""
    out = []
    for hit in hits:
        text, cut = store.document_text(hit.doc_id, budget)
        if budget is not None:
            budget -= len(text.encode("utf-8"))
        out.append(replace(hit, document=text, document_truncated=cut))
    return out
