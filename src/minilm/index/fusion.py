"""Ranking by the lexical side and by both sides fused: the best window per document from the FTS5 table
(lexical.py), and reciprocal rank fusion of the dense and lexical top lists.

Reciprocal rank fusion scores a document sum(1 / (RRF_K + rank)) over the lists that hold it (rank from 1), as in
Cormack, Clarke and Buettcher (SIGIR 2009). RRF_K = 10 was chosen on the SciFact *train* queries (809; never on
test) from 1, 10, 30, 60 (the paper's), 100 and 300: 10 is within 0.03 nDCG@10 points of the best there (1) with a
milder weighting of the top ranks, 60 is 1.0 point lower (benchmarks/index/scifact.py --modes). Each side
contributes its FUSION_DEPTH best documents (at least the k asked for). A fused hit's window is the one of the
side that ranked the document higher (the dense one on a tie), and its score the fused score.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from minilm.errors import InputError, shown
from minilm.index import lexical
from minilm.index.documents_db import DocumentsDB
from minilm.index.ranking import Hit

RRF_K = 10
FUSION_DEPTH = 100
SEARCH_MODES = ("dense", "lexical", "hybrid")

T = TypeVar("T", bound=Hashable)


def check_mode(value: Any) -> str:
    """A search mode: 'dense' (vectors), 'lexical' (BM25) or 'hybrid' (both, fused)."""
    if value not in SEARCH_MODES:
        raise InputError(f"mode {shown(value)} is unknown; expected one of {SEARCH_MODES}")
    return str(value)


def reciprocal_rank(rankings: Sequence[Sequence[T]], constant: int = RRF_K) -> list[tuple[T, float, int]]:
    """[(item, fused score, index of the list that ranked it highest)], best first; ties keep the order of first
    appearance (the earlier list's items first)."""
    scores: dict[T, float] = {}
    best: dict[T, tuple[int, int]] = {}  # item -> (its best rank, the list holding it)
    for side, ranking in enumerate(rankings):
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (constant + rank)
            if item not in best or rank < best[item][0]:
                best[item] = (rank, side)
    order = sorted(scores, key=lambda item: -scores[item])  # sorted() is stable
    return [(item, scores[item], best[item][1]) for item in order]


def lexical_best(store: DocumentsDB, text: str, k: int, where: dict[str, Any] | None,
                 chunked: bool) -> list[tuple[str, int, float]]:  # fmt: skip
    """[(doc_id, its best window's chunk key, BM25 score)] of the k best documents, inside the caller's snapshot."""
    want = k * 2 if chunked else k
    while True:
        keys, scores, docs = lexical.search(store.reader(), text, want, where)
        best: dict[str, tuple[str, int, float]] = {}
        for key, score, doc in zip(keys.tolist(), scores.tolist(), docs, strict=True):
            if doc not in best:  # the windows come best first
                best[doc] = (doc, key, score)
        if len(best) >= k or len(keys) < want:
            return list(best.values())[:k]
        want *= 2


def lexical_hits(store: DocumentsDB, text: str, k: int, where: dict[str, Any] | None, chunked: bool) -> list[Hit]:
    """The k best documents by BM25, each with its best-matching window."""
    best = lexical_best(store, text, k, where, chunked)
    rows = store.windows([key for _, key, _ in best])
    return [Hit(rows[key][0], score, *rows[key][1:]) for _, key, score in best]


def hybrid_hits(store: DocumentsDB, dense: list[Hit], text: str, k: int, where: dict[str, Any] | None,
                chunked: bool) -> list[Hit]:  # fmt: skip
    """The k best documents of the dense hits (at least FUSION_DEPTH of them, best first) fused with as many
    lexical ones."""
    lexical_side = lexical_best(store, text, max(k, FUSION_DEPTH), where, chunked)
    fused = reciprocal_rank([[h.doc_id for h in dense], [doc for doc, _, _ in lexical_side]])[:k]
    by_doc = {h.doc_id: h for h in dense}
    keys = {doc: key for doc, key, _ in lexical_side}
    rows = store.windows([keys[doc] for doc, _, side in fused if side == 1])
    out = []
    for doc, score, side in fused:
        if side == 0:
            out.append(replace(by_doc[doc], score=score))
        else:
            out.append(Hit(rows[keys[doc]][0], score, *rows[keys[doc]][1:]))
    return out
