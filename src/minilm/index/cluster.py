"""Clustering of unit vectors: k-means (scikit-learn; k given or chosen by silhouette) and community detection
(the threshold + minimum-size method of sentence-transformers' community_detection)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from minilm.errors import InputError
from minilm.extras import missing_module
from minilm.index.neighbors import pairs_above
from minilm.progress import progress_bar

log = logging.getLogger(__name__)


@dataclass
class Cluster:
    """Member indices, most central first (closest to the centroid, or the community's seed and its nearest)."""

    members: list[int]

    @property
    def size(self) -> int:
        return len(self.members)


def _sklearn() -> tuple[object, object]:
    try:
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score
    except ImportError as exc:
        raise missing_module("index", "clustering", exc) from None
    return KMeans, silhouette_score


def choose_k(vectors: np.ndarray, candidates: range, sample: int = 2000, seed: int = 0,
             show_progress: bool | None = False) -> int:  # fmt: skip
    """The k of `candidates` with the best cosine silhouette on a random sample of up to `sample` vectors."""
    kmeans_cls, silhouette = _sklearn()
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(vectors), min(sample, len(vectors)), replace=False)
    part = vectors[rows]
    best_k, best = candidates[0], -2.0
    bar = progress_bar(len(candidates), show_progress, "choosing k", "k", threshold=2)
    for k in candidates:
        bar.update()
        if not 2 <= k < len(part):
            continue
        labels = kmeans_cls(n_clusters=k, n_init=3, random_state=seed).fit_predict(part)  # type: ignore[operator]
        score = float(silhouette(part, labels, metric="cosine"))  # type: ignore[operator]
        log.info("k=%d silhouette %.4f", k, score)
        if score > best:
            best_k, best = k, score
    bar.close()
    return best_k


def kmeans(vectors: np.ndarray, k: int | None = None, k_range: range = range(2, 21), seed: int = 0,
           show_progress: bool | None = False) -> list[Cluster]:  # fmt: skip
    """k-means on unit vectors (k=None: chosen by silhouette, a bar over the candidates with show_progress);
    clusters largest first, members by centrality."""
    if len(vectors) < 2:
        raise InputError(f"k-means needs at least 2 vectors, got {len(vectors)}")
    k = choose_k(vectors, k_range, seed=seed, show_progress=show_progress) if k is None else k
    if not 1 <= k <= len(vectors):
        raise InputError(f"k must be in [1, {len(vectors)}], got {k}")
    kmeans_cls, _ = _sklearn()
    model = kmeans_cls(n_clusters=k, n_init=3, random_state=seed).fit(vectors)  # type: ignore[operator]
    labels, centers = model.labels_, model.cluster_centers_  # (N,), (k, D)
    out = []
    for c in range(k):
        members = np.nonzero(labels == c)[0]
        if len(members) == 0:
            continue
        closeness = vectors[members] @ centers[c]  # (m,): unit vectors, so the most central score highest
        out.append(Cluster(members[np.argsort(-closeness, kind="stable")].tolist()))
    return sorted(out, key=lambda c: (-c.size, c.members[0]))


def communities(vectors: np.ndarray, threshold: float = 0.75, min_size: int = 10, method: str = "auto",
                show_progress: bool | None = False) -> list[Cluster]:  # fmt: skip
    """Community detection: every vector whose neighbourhood (cosine >= threshold, itself included) has at
    least min_size members seeds a community; seeds are taken largest first, and a community keeps only the
    members no earlier community took, if still min_size of them. Members: the seed, then by cosine to it."""
    n = len(vectors)
    i, j, scores = pairs_above(vectors, threshold, method, show_progress=show_progress)
    neighbours: list[list[tuple[float, int]]] = [[(1.0, x)] for x in range(n)]
    for a, b, s in zip(i.tolist(), j.tolist(), scores.tolist(), strict=True):
        neighbours[a].append((s, b))
        neighbours[b].append((s, a))
    seeds = [x for x in range(n) if len(neighbours[x]) >= min_size]
    seeds.sort(key=lambda x: (-len(neighbours[x]), x))
    taken: set[int] = set()
    out = []
    for seed in seeds:
        ranked = [m for _, m in sorted(neighbours[seed], key=lambda sm: (-sm[0], sm[1] != seed, sm[1]))]
        free = [m for m in ranked if m not in taken]
        if len(free) >= min_size:
            out.append(Cluster(free))
            taken.update(free)
    return out
