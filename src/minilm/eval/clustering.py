"""Clustering evaluation: k-means on sentence vectors, V-measure against the true labels.

Method (AG News): the texts are title + " " + description of the 7,600 test rows; vectors are L2-normalized;
scikit-learn's KMeans (Lloyd, k-means++ initialization) with k = the number of labels (4) runs once per seed
(seeds 0..n_seeds-1, n_init=1 each) on all texts, and the score is the mean V-measure over seeds (std reported).

MTEB's clustering tasks instead fit MiniBatchKMeans (batch 500, n_init="auto") on each of ~10 subsets of a task
and average V-measure over the subsets. Mini-batches are there for corpora of 100k+ texts; at 7,600 x 384 the
full Lloyd algorithm takes well under a second, and it is deterministic for a seed, so the spread over seeds is
the only noise and is reported. MTEB has no AG News clustering task, so there is no published figure to match.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np

from minilm.errors import InputError
from minilm.eval.datasets import LabelledTexts
from minilm.eval.embed import TextEncoder, embed
from minilm.eval.result import TaskResult
from minilm.extras import missing_module

log = logging.getLogger(__name__)


def _sklearn() -> tuple[Any, Any]:
    try:
        from sklearn.cluster import KMeans
        from sklearn.metrics import v_measure_score
    except ImportError as exc:
        raise missing_module("eval", "clustering evaluation", exc) from None
    return KMeans, v_measure_score


def kmeans_v_measure(vectors: np.ndarray, labels: np.ndarray, seeds: int = 10) -> list[float]:
    """V-measure of k-means (k = distinct labels) on vectors (N, D), once per seed 0..seeds-1."""
    kmeans_cls, v_measure_score = _sklearn()
    if len(vectors) != len(labels):
        raise InputError(f"{len(vectors)} vectors but {len(labels)} labels")
    k = len(np.unique(labels))
    if k < 2 or len(vectors) < k:
        raise InputError(f"clustering needs at least 2 labels and as many texts, got {k} labels, {len(vectors)} texts")
    out = []
    for seed in range(seeds):
        assigned = kmeans_cls(n_clusters=k, init="k-means++", n_init=1, random_state=seed).fit_predict(vectors)
        out.append(float(v_measure_score(labels, assigned)))
    return out


def evaluate_clustering(
    model: TextEncoder,
    data: LabelledTexts,
    seeds: int = 10,
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 32,
    show_progress: bool | None = None,
) -> TaskResult:
    """Mean V-measure (main) and its std over k-means seeds, for labelled texts."""
    _sklearn()  # fail before embedding if the extra is missing
    start = time.perf_counter()
    vectors = embed(model, data.texts, cache_dir, batch_size, show_progress)  # (N, D)
    per_seed = kmeans_v_measure(vectors, data.labels, seeds)
    seconds = time.perf_counter() - start
    log.info("%s: V-measure %.4f over %d texts in %.1fs", data.name, np.mean(per_seed), len(vectors), seconds)
    return TaskResult(
        task=data.name,
        split=data.split,
        kind="clustering",
        main="v_measure",
        scores={"v_measure": float(np.mean(per_seed)), "v_measure_std": float(np.std(per_seed))},
        size=len(vectors),
        seconds=seconds,
        details={
            "method": "sklearn KMeans (Lloyd, k-means++), n_init=1 per seed, on all texts",
            "clusters": len(np.unique(data.labels)),
            "seeds": list(range(seeds)),
            "v_measure_per_seed": per_seed,
        },
    )
