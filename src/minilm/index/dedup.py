"""Near-duplicate groups and paraphrase pairs from the pairs of vectors above a cosine threshold."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minilm.index.neighbors import knn, pairs_above


@dataclass
class Duplicates:
    """Pairs (i, j, cosine) above the threshold and the groups they link (index lists, representative first)."""

    pairs: list[tuple[int, int, float]]
    groups: list[list[int]]


def _union_find_groups(n: int, left: np.ndarray, right: np.ndarray) -> list[list[int]]:
    parent = np.arange(n)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]  # path halving
            x = int(parent[x])
        return x

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for x in sorted(set(left.tolist()) | set(right.tolist())):
        members.setdefault(root(x), []).append(x)
    return list(members.values())


def _central_first(vectors: np.ndarray, group: list[int]) -> list[int]:
    """The group ordered by mean cosine to the other members, most central (the representative) first."""
    sims = vectors[group] @ vectors[group].T  # (g, g); groups of near-duplicates are small
    centrality = sims.mean(axis=1)
    return [group[i] for i in np.argsort(-centrality, kind="stable")]


def near_duplicates(vectors: np.ndarray, threshold: float = 0.9, method: str = "auto", k: int = 32,
                    show_progress: bool | None = False) -> Duplicates:  # fmt: skip
    """Groups of vectors (N, D) linked by cosine >= threshold (union-find over the pairs), largest group first.
    show_progress: a bar over the pair search (None: when stderr is a terminal and not quiet)."""
    i, j, scores = pairs_above(vectors, threshold, method, k, show_progress)
    groups = [_central_first(vectors, g) for g in _union_find_groups(len(vectors), i, j)]
    groups.sort(key=lambda g: (-len(g), g[0]))
    pairs = list(zip(i.tolist(), j.tolist(), scores.tolist(), strict=True))
    return Duplicates(pairs, groups)


def paraphrase_pairs(vectors: np.ndarray, top: int = 100, per_item: int = 10, method: str = "auto",
                     show_progress: bool | None = False) -> list[tuple[int, int, float]]:  # fmt: skip
    """The `top` most similar pairs (i < j, cosine), from each vector's `per_item` nearest neighbours."""
    idx, scores = knn(vectors, per_item, method, show_progress)
    best: dict[tuple[int, int], float] = {}
    for a in range(len(idx)):
        for b, s in zip(idx[a].tolist(), scores[a].tolist(), strict=True):
            if b >= 0:
                best[(min(a, b), max(a, b))] = s
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [(a, b, s) for (a, b), s in ranked]
