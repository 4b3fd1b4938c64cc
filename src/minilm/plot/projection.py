"""Sentence vectors (N, 384) to points in the plane, with scikit-learn.

"pca": a linear projection, seconds for 100,000 points; clusters of sentence vectors overlap in it.
"tsne": PCA to 50 dimensions, then t-SNE (Barnes-Hut), which keeps neighbourhoods and so shows clusters apart;
its cost grows with N (benchmarks/quality/cluster_map.py measures both), so "auto" takes it up to TSNE_MAX_POINTS.
"""

from __future__ import annotations

import logging

import numpy as np

from minilm.errors import InputError
from minilm.extras import missing_module

log = logging.getLogger(__name__)

PROJECTIONS = ("auto", "pca", "tsne")
TSNE_MAX_POINTS = 10_000  # "auto" uses t-SNE up to here, PCA past it
TSNE_ITERATIONS = 500  # half sklearn's default (1000), for half the time


def chosen(method: str, n: int) -> str:
    """The projection `method` means for n points ("auto" resolved)."""
    if method not in PROJECTIONS:
        raise InputError(f"projection {method!r} is unknown; expected one of {PROJECTIONS}")
    if method == "auto":
        return "tsne" if n <= TSNE_MAX_POINTS else "pca"
    return method


def project(vectors: np.ndarray, method: str = "auto", seed: int = 0) -> np.ndarray:
    """(N, 2) float32 coordinates of the vectors (N, D); deterministic for a given seed."""
    try:
        from sklearn.decomposition import PCA
        from sklearn.manifold import TSNE
    except ImportError as exc:
        raise missing_module("index", "the cluster map's projection", exc) from None
    x = np.asarray(vectors, dtype=np.float32)
    n = len(x)
    if n < 3:  # nothing to project: the points on a line
        return np.column_stack([np.arange(n), np.zeros(n)]).astype(np.float32)
    if chosen(method, n) == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(x).astype(np.float32)
    log.info("projecting %d points with PCA then t-SNE (--projection pca is faster)", n)
    reduced = PCA(n_components=min(50, n, x.shape[1]), random_state=seed).fit_transform(x)  # (N, <=50)
    tsne = TSNE(n_components=2, init="pca", perplexity=min(30.0, (n - 1) / 3), max_iter=TSNE_ITERATIONS,
                random_state=seed)  # fmt: skip
    return tsne.fit_transform(reduced).astype(np.float32)
