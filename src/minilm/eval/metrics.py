"""Scores, defined as MTEB computes them.

STS (MTEB STSEvaluator): Spearman and Pearson correlation between the gold scores and the cosine similarity of
each pair (scipy.stats.spearmanr / pearsonr there). Spearman is the Pearson correlation of the ranks, ties given
their average rank; written here in numpy so the base install needs no scipy (tests compare with scipy).

Retrieval (MTEB RetrievalEvaluator, adapted from BEIR's EvaluateRetrieval): nDCG@k, MAP@k and Recall@k come from
pytrec_eval (trec_eval's ndcg_cut, map_cut, recall measures); MRR@k from BEIR's custom_metrics.mrr. Reproduced
here without the C extension (tests compare with pytrec_eval on random runs with ties and graded qrels):
- ranking: trec_eval sorts a query's run by score, descending, and breaks ties by document id, descending
  (trec_eval form_res_rels.c, comp_sim_docno); it ignores the ranks a run states. The same order is used for MRR
  (BEIR sorts by score alone, so ties keep the run's insertion order there, which is arbitrary).
- relevance: a document is relevant when its qrels grade is >= 1 (trec_eval's default relevance_level 1; BEIR's
  MRR uses grade > 0, the same for integer grades). Unjudged documents have grade 0.
- nDCG@k: gain = the qrels grade (trec_eval's default gains, linear, not 2^grade - 1), discount 1/log2(rank + 1);
  the ideal ranking sorts all of the query's judged grades in descending order and cuts at k.
- MAP@k: the sum of precision@rank over relevant documents ranked within k, divided by the number of relevant
  documents of the query (not by min(k, relevant)).
- Recall@k: relevant documents ranked within k / relevant documents of the query.
- MRR@k: 1 / rank of the first relevant document within k, else 0.
- a query with no relevant document (judged, but all grades 0) scores 0 on every measure and still counts in the
  mean (trec_eval gives 0 where the ideal DCG or the relevant count is 0; MTEB averages over every query
  pytrec_eval returns). Queries absent from the run or from the qrels are not evaluated (pytrec_eval returns
  only queries present in both; MTEB retrieves for every query that has qrels).
- the mean over queries; MTEB rounds it to 5 decimals, which is left to the report.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from minilm.errors import InputError


# -- correlation ---------------------------------------------------------------------------------------------
def rankdata(values: np.ndarray) -> np.ndarray:
    """Ranks 1..N of a 1-D array, ties given the average of the ranks they span (scipy's method="average")."""
    x = np.asarray(values, dtype=np.float64).ravel()  # (N,)
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    # start of each run of equal values in sorted order
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])  # (G,)
    ends = np.r_[starts[1:], len(x)]  # (G,) exclusive
    average = (starts + 1 + ends) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equal-length 1-D arrays (nan if either is constant)."""
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    if x.shape != y.shape or len(x) < 2:
        raise InputError(f"correlation needs two arrays of the same length >= 2, got {x.shape} and {y.shape}")
    x = x - x.mean()
    y = y - y.mean()
    denominator = math.sqrt(float(x @ x) * float(y @ y))
    if denominator == 0.0:
        return float("nan")
    return float(np.clip((x @ y) / denominator, -1.0, 1.0))


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation: Pearson of the tie-averaged ranks (scipy.stats.spearmanr)."""
    return pearson(rankdata(a), rankdata(b))


def paired_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of row i of a with row i of b: (N, D), (N, D) -> (N,), computed in float64."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1)  # (N,)
    return np.einsum("nd,nd->n", x, y) / np.where(norms == 0.0, 1.0, norms)


# -- retrieval -----------------------------------------------------------------------------------------------
def trec_order(run: Mapping[str, float]) -> list[str]:
    """Document ids of one query's run in trec_eval's order: score descending, then document id descending."""
    by_id = sorted(run, reverse=True)
    return sorted(by_id, key=lambda doc: -float(run[doc]))  # stable: ties keep the descending id order


def query_scores(grades: Mapping[str, int], ranking: list[str], k_values: Iterable[int]) -> dict[str, float]:
    """nDCG@k, MAP@k, Recall@k, MRR@k for one query: its qrels grades and its ranked document ids."""
    ks = sorted(set(k_values))
    if not ks or ks[0] < 1:
        raise InputError(f"cut-offs must be positive integers, got {ks}")
    gains = np.array([max(grades.get(doc, 0), 0) for doc in ranking[: ks[-1]]], dtype=np.float64)  # (R,)
    relevant = np.array([grades.get(doc, 0) >= 1 for doc in ranking[: ks[-1]]], dtype=bool)  # (R,)
    n_relevant = sum(1 for g in grades.values() if g >= 1)
    ideal = np.sort(np.array([g for g in grades.values() if g > 0], dtype=np.float64))[::-1]  # (J,)
    discounts = 1.0 / np.log2(np.arange(2, max(len(gains), len(ideal), ks[-1]) + 2))  # rank r -> 1/log2(r+1)
    hits = np.cumsum(relevant)  # relevant documents within each rank
    precision_at_hits = np.where(relevant, hits / np.arange(1, len(relevant) + 1), 0.0)
    first_hit = int(np.argmax(relevant)) + 1 if relevant.any() else 0

    out: dict[str, float] = {}
    for k in ks:
        dcg = float(gains[:k] @ discounts[: len(gains[:k])])
        idcg = float(ideal[:k] @ discounts[: len(ideal[:k])])
        out[f"ndcg_at_{k}"] = dcg / idcg if idcg > 0 else 0.0
        out[f"map_at_{k}"] = float(precision_at_hits[:k].sum()) / n_relevant if n_relevant else 0.0
        out[f"recall_at_{k}"] = float(relevant[:k].sum()) / n_relevant if n_relevant else 0.0
        out[f"mrr_at_{k}"] = 1.0 / first_hit if 0 < first_hit <= k else 0.0
    return out


def retrieval_scores(
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Mapping[str, float]],
    k_values: Iterable[int] = (1, 3, 5, 10, 100),
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Mean scores over the queries in both qrels and run, and the per-query scores (pytrec_eval's inputs).

    qrels: query id -> {document id: grade}; run: query id -> {document id: score}.
    """
    ks = list(k_values)
    per_query = {qid: query_scores(qrels[qid], trec_order(run[qid]), ks) for qid in run if qid in qrels}
    if not per_query:
        raise InputError("no query is in both the qrels and the run; nothing to evaluate")
    names = next(iter(per_query.values())).keys()
    means = {name: float(np.mean([s[name] for s in per_query.values()])) for name in names}
    return means, per_query
