"""Retrieval evaluation on a BEIR split: exact cosine top-k over the corpus, scored as MTEB/BEIR score it."""

from __future__ import annotations

import logging
import os
import time

import numpy as np

from minilm.errors import InputError
from minilm.eval.datasets import BeirDataset
from minilm.eval.embed import TextEncoder, embed
from minilm.eval.metrics import retrieval_scores
from minilm.eval.result import TaskResult

log = logging.getLogger(__name__)

K_VALUES = (1, 3, 5, 10, 100)


def top_k(queries: np.ndarray, docs: np.ndarray, k: int, block: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k by cosine: (Q, D) queries and (N, D) documents -> indices (Q, k') and scores (Q, k').

    k' = min(k, N); rows sorted by score, descending. The corpus is scored `block` documents at a time, so memory
    stays at Q x (block + k) scores whatever N is.
    """
    if queries.ndim != 2 or docs.ndim != 2 or queries.shape[1] != docs.shape[1]:
        raise InputError(f"cannot compare vectors of shapes {queries.shape} and {docs.shape}")
    q = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)  # (Q, D)
    kk = min(k, len(docs))
    best_idx = np.zeros((len(q), 0), dtype=np.int64)  # (Q, <=k)
    best_val = np.zeros((len(q), 0), dtype=np.float32)
    for start in range(0, len(docs), block):
        d = docs[start : start + block]
        d = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)  # (B, D)
        scores = (q @ d.T).astype(np.float32)  # (Q, B)
        cand_val = np.concatenate([best_val, scores], axis=1)  # (Q, k + B)
        cand_idx = np.concatenate([best_idx, np.broadcast_to(np.arange(start, start + len(d)), scores.shape)], axis=1)
        keep = np.argpartition(-cand_val, kk - 1, axis=1)[:, :kk] if cand_val.shape[1] > kk else None
        if keep is not None:
            cand_val = np.take_along_axis(cand_val, keep, axis=1)
            cand_idx = np.take_along_axis(cand_idx, keep, axis=1)
        best_val, best_idx = cand_val, cand_idx
    order = np.argsort(-best_val, axis=1, kind="stable")
    return np.take_along_axis(best_idx, order, axis=1), np.take_along_axis(best_val, order, axis=1)


def evaluate_retrieval(
    model: TextEncoder,
    data: BeirDataset,
    k_values: tuple[int, ...] = K_VALUES,
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 32,
    show_progress: bool | None = None,
) -> TaskResult:
    """nDCG@k (main: nDCG@10), MAP@k, MRR@k, Recall@k of one BEIR split (definitions in minilm.eval.metrics).

    Every query with qrels retrieves its top max(k_values) documents; a document whose id equals the query's id
    is kept (MTEB's default, ignore_identical_ids=False, which SciFact uses). MTEB retrieves 1,000 per query;
    the scores at k <= max(k_values) are the same except for exact score ties at the cut.
    """
    start = time.perf_counter()
    query_vectors = embed(model, data.query_texts, cache_dir, batch_size, show_progress)  # (Q, D)
    doc_vectors = embed(model, data.doc_texts, cache_dir, batch_size, show_progress)  # (N, D)
    encoded = time.perf_counter()
    idx, val = top_k(query_vectors, doc_vectors, max(k_values))
    run = {
        qid: {data.doc_ids[j]: float(s) for j, s in zip(idx[r], val[r], strict=True)}
        for r, qid in enumerate(data.query_ids)
    }
    means, _ = retrieval_scores(data.qrels, run, k_values)
    seconds = time.perf_counter() - start
    log.info("%s: nDCG@10 %.4f over %d queries in %.1fs", data.name, means.get("ndcg_at_10", float("nan")),
             len(run), seconds)  # fmt: skip
    return TaskResult(
        task=data.name,
        split=data.split,
        kind="retrieval",
        main="ndcg_at_10" if 10 in k_values else f"ndcg_at_{max(k_values)}",
        scores=means,
        size=len(run),
        seconds=seconds,
        details={"documents": len(data.doc_ids), "encode_seconds": round(encoded - start, 3)},
    )
