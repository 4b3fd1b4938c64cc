"""Near-duplicate pairs found by the static model first and confirmed with the model's exact cosine.

The static model's cosine to the model's is close but not equal, so candidates are taken at a lower threshold
(threshold - margin); only the texts in a candidate pair go through the model, and a pair is kept when the model's
cosine reaches the threshold. The pairs are those the model alone would find except where the static cosine falls
more than `margin` below the model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minilm.errors import InputError
from minilm.index.dedup import Duplicates, _central_first, _union_find_groups
from minilm.index.neighbors import pairs_above

MARGIN = 0.1


Pair = tuple[int, int, float]


def prefiltered_pairs(model: Any, static: Any, texts: Sequence[str], threshold: float = 0.9,
                      margin: float = MARGIN, method: str = "auto") -> tuple[list[Pair], int]:  # fmt: skip
    """(pairs (i, j, model cosine) with i < j and model cosine >= threshold, highest first; texts the model
    encoded)."""
    if not 0 <= margin < 1:
        raise InputError(f"margin must be in [0, 1), got {margin!r}")
    i, j, _ = pairs_above(static.encode(list(texts)), threshold - margin, method)
    needed = np.unique(np.concatenate([i, j]))  # (U,)
    if not len(needed):
        return [], 0
    vectors = np.asarray(model.encode([texts[k] for k in needed.tolist()]), dtype=np.float32)  # (U, D)
    where = np.searchsorted(needed, i), np.searchsorted(needed, j)
    cosine = np.einsum("ij,ij->i", vectors[where[0]], vectors[where[1]])  # (P,)
    keep = np.flatnonzero(cosine >= threshold)
    keep = keep[np.argsort(-cosine[keep], kind="stable")]
    return [(int(i[k]), int(j[k]), float(cosine[k])) for k in keep], len(needed)


def prefiltered_duplicates(model: Any, static: Any, texts: Sequence[str], threshold: float = 0.9,
                           margin: float = MARGIN, method: str = "auto") -> tuple[Duplicates, np.ndarray]:  # fmt: skip
    """near_duplicates' groups from prefiltered_pairs, and the model's vectors (N, D) of the texts in a pair
    (zero rows for the others, which no group holds)."""
    pairs, _ = prefiltered_pairs(model, static, texts, threshold, margin, method)
    members = sorted({k for a, b, _ in pairs for k in (a, b)})
    vectors = np.zeros((len(texts), model.dimension), dtype=np.float32)  # (N, D)
    if members:
        vectors[members] = np.asarray(model.encode([texts[k] for k in members]), dtype=np.float32)
    left = np.array([a for a, _, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b, _ in pairs], dtype=np.int64)
    groups = [_central_first(vectors, g) for g in _union_find_groups(len(texts), left, right)]
    groups.sort(key=lambda g: (-len(g), g[0]))
    return Duplicates(pairs, groups), vectors
