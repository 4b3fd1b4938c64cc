"""Nearest neighbours within one set of unit vectors, without an n x n matrix in memory.

Exact: blocks of rows against all vectors (memory BLOCK x N), for up to EXACT_LIMIT vectors.
Approximate, beyond: a faiss HNSW graph gives each vector's k nearest candidates; scores are then
recomputed exactly. Dedup, communities and paraphrase mining are built on these two functions.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from minilm.errors import InputError
from minilm.index.vectors import EF_CONSTRUCTION, HNSW_M, faiss_module
from minilm.progress import progress_bar

EXACT_LIMIT = 50_000
BLOCK = 1024


def _method(n: int, method: str) -> str:
    if method not in ("auto", "exact", "hnsw"):
        raise InputError(f"method {method!r} is unknown; expected 'auto', 'exact' or 'hnsw'")
    return ("exact" if n <= EXACT_LIMIT else "hnsw") if method == "auto" else method


def knn(vectors: np.ndarray, k: int, method: str = "auto",
        show_progress: bool | None = False) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Each vector's k nearest others: (indices (N, k) int64, cosine (N, k) float32), best first; -1 pads.
    show_progress: a bar over the exact search's rows (None: when stderr is a terminal and not quiet)."""
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(v)
    k = min(k, max(n - 1, 0))
    if k == 0:
        return np.zeros((n, 0), np.int64), np.zeros((n, 0), np.float32)
    if _method(n, method) == "hnsw":
        faiss = faiss_module()
        graph = faiss.IndexHNSWFlat(v.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = EF_CONSTRUCTION
        graph.add(v)
        params = faiss.SearchParametersHNSW(efSearch=max(2 * k, 64))
        scores, idx = graph.search(v, k + 1, params=params)
        self_hit = idx == np.arange(n)[:, None]
        # Drop each row's own entry (or its last one when the graph missed it).
        drop = np.where(self_hit.any(axis=1), self_hit.argmax(axis=1), k)
        keep = np.ones_like(idx, dtype=bool)
        keep[np.arange(n), drop] = False
        return idx[keep].reshape(n, k).astype(np.int64), scores[keep].reshape(n, k).astype(np.float32)
    idx_out = np.empty((n, k), np.int64)
    score_out = np.empty((n, k), np.float32)
    for start in _blocks(n, show_progress, "neighbours"):
        sims = v[start : start + BLOCK] @ v.T  # (B, N)
        rows = np.arange(len(sims))
        sims[rows, start + rows] = -np.inf  # not its own neighbour
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]  # (B, k) unordered
        top_scores = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-top_scores, axis=1)
        idx_out[start : start + len(sims)] = np.take_along_axis(top, order, axis=1)
        score_out[start : start + len(sims)] = np.take_along_axis(top_scores, order, axis=1)
    return idx_out, score_out


def pairs_above(vectors: np.ndarray, threshold: float, method: str = "auto", k: int = 32,
                show_progress: bool | None = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Every pair i < j with cosine >= threshold: (i (P,), j (P,), cosine (P,)), highest first.

    Exact for method "exact"; with "hnsw" only pairs among each vector's k nearest candidates are found (their
    scores exact), which still links large groups through chains of pairs.
    """
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(v)
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    if _method(n, method) == "exact":
        for start in _blocks(n, show_progress, "pairs"):
            sims = v[start : start + BLOCK] @ v[start:].T  # (B, N - start): pairs with j >= i only
            rows, cols = np.nonzero(sims >= threshold)
            upper = cols > rows  # j > i
            left.append(start + rows[upper])
            right.append(start + cols[upper])
    else:
        idx, _ = knn(v, k, "hnsw", show_progress)
        rows = np.repeat(np.arange(n), idx.shape[1])
        cols = idx.ravel()
        ok = cols >= 0
        a, b = np.minimum(rows[ok], cols[ok]), np.maximum(rows[ok], cols[ok])
        unique = np.unique(np.stack([a, b], axis=1), axis=0)
        left.append(unique[:, 0])
        right.append(unique[:, 1])
    i = np.concatenate(left) if left else np.zeros(0, np.int64)
    j = np.concatenate(right) if right else np.zeros(0, np.int64)
    scores = np.einsum("pd,pd->p", v[i], v[j]) if len(i) else np.zeros(0, np.float32)  # exact cosine
    keep = scores >= threshold
    i, j, scores = i[keep], j[keep], scores[keep]
    order = np.argsort(-scores, kind="stable")
    return i[order].astype(np.int64), j[order].astype(np.int64), scores[order].astype(np.float32)


def _blocks(n: int, show_progress: bool | None, desc: str) -> Iterator[int]:
    """Start rows of the exact search's blocks, with a bar over the rows done (automatic from BLOCK rows)."""
    with progress_bar(n, show_progress, desc, "row", threshold=BLOCK) as bar:
        for start in range(0, n, BLOCK):
            yield start
            bar.update(min(BLOCK, n - start))
