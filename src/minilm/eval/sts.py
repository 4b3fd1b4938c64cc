"""STS evaluation: Spearman and Pearson correlation of pair cosine similarity with gold scores (MTEB STS)."""

from __future__ import annotations

import logging
import os
import time

import numpy as np

from minilm.eval.datasets import StsPairs
from minilm.eval.embed import TextEncoder, embed
from minilm.eval.metrics import paired_cosine, pearson, spearman
from minilm.eval.result import TaskResult

log = logging.getLogger(__name__)


def evaluate_sts(
    model: TextEncoder,
    pairs: StsPairs,
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 32,
    show_progress: bool | None = None,
) -> TaskResult:
    """cosine_spearman (main, as MTEB) and cosine_pearson of one STS task.

    Each distinct sentence is embedded once; MTEB embeds the two sides separately, which gives the same vectors.
    """
    start = time.perf_counter()
    unique = list(dict.fromkeys(pairs.sentences1 + pairs.sentences2))
    index = {s: i for i, s in enumerate(unique)}
    vectors = embed(model, unique, cache_dir, batch_size, show_progress)  # (U, D)
    left = vectors[[index[s] for s in pairs.sentences1]]  # (N, D)
    right = vectors[[index[s] for s in pairs.sentences2]]  # (N, D)
    cosine = paired_cosine(left, right)  # (N,)
    scores = {
        "cosine_spearman": spearman(pairs.scores, cosine),
        "cosine_pearson": pearson(pairs.scores, cosine),
    }
    seconds = time.perf_counter() - start
    log.info("%s: spearman %.4f over %d pairs in %.1fs", pairs.name, scores["cosine_spearman"], len(cosine), seconds)
    return TaskResult(
        task=pairs.name,
        split=pairs.split,
        kind="sts",
        main="cosine_spearman",
        scores=scores,
        size=len(cosine),
        seconds=seconds,
        details={
            "sources": list(pairs.sources),
            "unique_sentences": len(unique),
            "gold_mean": float(np.mean(pairs.scores)),
        },
    )
