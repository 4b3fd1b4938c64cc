"""One query against an index: candidate windows from the search structure, float32 rescoring for int8 and
binary storage, the best window per document, and the hits with their text and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minilm.index.documents_db import DocumentsDB
from minilm.index.vectors import EF_SEARCH, VectorIndex

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


def search_one(store: DocumentsDB, settings: dict[str, Any], vi: VectorIndex, q: np.ndarray, k: int,
               allowed: np.ndarray | None, ef: int | None, exact: bool) -> list[Hit]:  # fmt: skip
    """The k best documents for a unit query vector (D,), inside the caller's read snapshot."""
    factor = RESCORE[settings["storage"]]
    live = vi.live_count if allowed is None else len(allowed)
    want = min(k * factor * (2 if settings["chunk"] else 1), live)
    while True:
        keys, scores = vi.search(q[None], want, allowed, ef=max(ef or EF_SEARCH, want), exact=exact)
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
    rows = store.chunks([key for key, _ in best])
    docs = {d: (t, m) for d, t, m in store.documents({rows[key].doc_id for key, _ in best})}
    out = []
    for key, score in best:
        row = rows[key]
        text, meta = docs[row.doc_id]
        out.append(Hit(row.doc_id, float(score), row.start, row.end, text[row.start : row.end], meta))
    return out
