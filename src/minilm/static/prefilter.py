"""Near-duplicate pairs found by the static model first and confirmed with the model's exact cosine.

The static model's cosine to the model's is close but not equal, so candidates are taken at a lower threshold
(threshold - margin), and with `neighbors` k only where each text is among the other's k nearest static
neighbours. Only the texts in a candidate pair go through the model (once), and a pair is kept when the model's
cosine reaches the threshold: every reported pair is one the model alone reports; what can be missed is a pair
whose static cosine falls more than `margin` below the model's, or (with k) whose texts are not both among each
other's k nearest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minilm.errors import InputError
from minilm.index.dedup import Duplicates, _central_first, _union_find_groups
from minilm.index.neighbors import knn, pairs_above

MARGIN = 0.1


Pair = tuple[int, int, float]


def candidate_pairs(static_vectors: np.ndarray, low: float, neighbors: int | None = None,
                    method: str = "auto") -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(i (P,), j (P,)) with i < j and static cosine >= low; with neighbors k, only pairs where each text is among
    the other's k nearest static neighbours (a text whose nearest neighbours prefer others is not encoded)."""
    if neighbors is None:
        i, j, _ = pairs_above(static_vectors, low, method)
        return i, j
    n = len(static_vectors)
    idx, scores = knn(static_vectors, neighbors, method)  # (N, k) each
    rows = np.repeat(np.arange(n), idx.shape[1])
    cols = idx.ravel()
    ok = (cols >= 0) & (scores.ravel() >= low)
    rows, cols = rows[ok], cols[ok]
    forward = rows * n + cols  # directed pair keys: cols among the k nearest of rows
    mutual = np.isin(forward, cols * n + rows) & (rows < cols)
    return rows[mutual].astype(np.int64), cols[mutual].astype(np.int64)


def confirmed_pairs(model: Any, static: Any, texts: Sequence[str], threshold: float = 0.9, margin: float = MARGIN,
                    neighbors: int | None = None,
                    method: str = "auto") -> tuple[list[Pair], np.ndarray, np.ndarray]:  # fmt: skip
    """(pairs (i, j, model cosine), i < j, model cosine >= threshold, highest first; the indices (U,) of the
    texts the model encoded; their model vectors (U, D))."""
    if not 0 <= margin < 1:
        raise InputError(f"margin must be in [0, 1), got {margin!r}")
    if neighbors is not None and neighbors < 1:
        raise InputError(f"neighbors must be at least 1, got {neighbors!r}")
    i, j = candidate_pairs(static.encode(list(texts)), threshold - margin, neighbors, method)
    needed = np.unique(np.concatenate([i, j])).astype(np.int64)  # (U,)
    if not len(needed):
        return [], needed, np.zeros((0, model.dimension), dtype=np.float32)
    vectors = np.asarray(model.encode([texts[k] for k in needed.tolist()]), dtype=np.float32)  # (U, D)
    where = np.searchsorted(needed, i), np.searchsorted(needed, j)
    cosine = np.einsum("ij,ij->i", vectors[where[0]], vectors[where[1]])  # (P,)
    keep = np.flatnonzero(cosine >= threshold)
    keep = keep[np.lexsort((j[keep], i[keep], -cosine[keep]))]  # highest first, ties by (i, j)
    return [(int(i[k]), int(j[k]), float(cosine[k])) for k in keep], needed, vectors


def prefiltered_pairs(model: Any, static: Any, texts: Sequence[str], threshold: float = 0.9,
                      margin: float = MARGIN, method: str = "auto",
                      neighbors: int | None = None) -> tuple[list[Pair], int]:  # fmt: skip
    """(pairs (i, j, model cosine) with i < j and model cosine >= threshold, highest first; texts the model
    encoded)."""
    pairs, needed, _ = confirmed_pairs(model, static, texts, threshold, margin, neighbors, method)
    return pairs, len(needed)


def prefiltered_duplicates(model: Any, static: Any, texts: Sequence[str], threshold: float = 0.9,
                           margin: float = MARGIN, method: str = "auto",
                           neighbors: int | None = None) -> tuple[Duplicates, np.ndarray]:  # fmt: skip
    """near_duplicates' groups from the confirmed pairs, and the model's vectors (N, D) of the texts it encoded
    (zero rows for the others, which no group holds)."""
    pairs, needed, encoded = confirmed_pairs(model, static, texts, threshold, margin, neighbors, method)
    vectors = np.zeros((len(texts), model.dimension), dtype=np.float32)  # (N, D)
    vectors[needed] = encoded
    left = np.array([a for a, _, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b, _ in pairs], dtype=np.int64)
    groups = [_central_first(vectors, g) for g in _union_find_groups(len(texts), left, right)]
    groups.sort(key=lambda g: (-len(g), g[0]))
    return Duplicates(pairs, groups), vectors
