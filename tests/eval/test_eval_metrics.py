"""Metrics against hand-computed cases, scipy (correlations) and pytrec_eval (retrieval)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minilm.errors import InputError
from minilm.eval.metrics import (
    paired_cosine,
    pearson,
    query_scores,
    rankdata,
    retrieval_scores,
    spearman,
    trec_order,
)
from minilm.eval.retrieval import top_k


def test_rankdata_averages_ties() -> None:
    assert rankdata(np.array([10.0, 20.0, 20.0, 30.0, 20.0])).tolist() == [1.0, 3.0, 3.0, 5.0, 3.0]
    assert rankdata(np.array([2.0, 1.0])).tolist() == [2.0, 1.0]


def test_spearman_with_ties_by_hand() -> None:
    # ranks of b = [1, 2, 3.5, 5, 3.5]; deviations a: [-2,-1,0,1,2], b: [-2,-1,0.5,2,0.5]
    # covariance 8, variances 10 and 9.5 -> 8 / sqrt(95)
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    b = np.array([5.0, 6.0, 7.0, 8.0, 7.0])
    assert spearman(a, b) == pytest.approx(8 / math.sqrt(95), abs=1e-12)


def test_correlations_match_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    for _ in range(20):
        gold = rng.integers(0, 6, size=200).astype(float)  # many ties, like STS gold scores
        pred = np.round(rng.standard_normal(200) + 0.3 * gold, 1)  # ties on this side too
        assert spearman(gold, pred) == pytest.approx(stats.spearmanr(gold, pred)[0], abs=1e-12)
        assert pearson(gold, pred) == pytest.approx(stats.pearsonr(gold, pred)[0], abs=1e-12)


def test_pearson_edge_cases() -> None:
    assert math.isnan(pearson(np.ones(4), np.arange(4.0)))
    with pytest.raises(InputError, match="same length"):
        pearson(np.arange(3.0), np.arange(4.0))


def test_paired_cosine() -> None:
    a = np.array([[1.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    b = np.array([[2.0, 0.0], [4.0, -3.0], [1.0, 1.0]])
    assert paired_cosine(a, b).tolist() == [1.0, 0.0, 0.0]


def test_ndcg_map_recall_mrr_graded_by_hand() -> None:
    grades = {"d1": 2, "d2": 1, "d3": 0}
    ranking = ["d3", "d1", "d4", "d2"]  # d3 judged non-relevant, d4 unjudged
    s = query_scores(grades, ranking, [1, 3, 10])
    dcg = 2 / math.log2(3) + 1 / math.log2(5)  # gains = grades at ranks 2 and 4
    idcg = 2 / math.log2(2) + 1 / math.log2(3)  # ideal: grade 2 first, then grade 1
    assert s["ndcg_at_10"] == pytest.approx(dcg / idcg, abs=1e-12)
    assert s["ndcg_at_3"] == pytest.approx((2 / math.log2(3)) / idcg, abs=1e-12)
    assert s["ndcg_at_1"] == 0.0
    assert s["map_at_10"] == pytest.approx((1 / 2 + 2 / 4) / 2)  # precision at each relevant rank / 2 relevant
    assert s["map_at_3"] == pytest.approx((1 / 2) / 2)  # divided by all relevant, not min(k, relevant)
    assert s["recall_at_3"] == 0.5
    assert s["recall_at_10"] == 1.0
    assert s["mrr_at_10"] == 0.5
    assert s["mrr_at_1"] == 0.0


def test_ties_break_by_document_id_descending() -> None:
    run = {"a": 0.5, "b": 0.5, "c": 0.9, "ab": 0.5}
    assert trec_order(run) == ["c", "b", "ab", "a"]
    means, _ = retrieval_scores({"q": {"a": 1}}, {"q": run}, [10])
    assert means["mrr_at_10"] == pytest.approx(1 / 4)
    assert means["ndcg_at_10"] == pytest.approx(1 / math.log2(5))


def test_query_without_relevant_documents_scores_zero_and_counts() -> None:
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 0}, "q3": {"d3": 1}}
    run = {"q1": {"d1": 0.9, "d2": 0.1}, "q2": {"d2": 0.9}, "q4": {"d1": 0.5}}  # q3 not run, q4 not judged
    means, per_query = retrieval_scores(qrels, run, [10])
    assert sorted(per_query) == ["q1", "q2"]
    assert all(v == 0.0 for v in per_query["q2"].values())
    assert means["ndcg_at_10"] == 0.5
    assert means["recall_at_10"] == 0.5


def test_no_common_query_is_an_error() -> None:
    with pytest.raises(InputError, match="no query"):
        retrieval_scores({"q1": {"d": 1}}, {"q2": {"d": 1.0}})


def test_retrieval_scores_match_pytrec_eval() -> None:
    pytrec_eval = pytest.importorskip("pytrec_eval")
    rng = np.random.default_rng(1)
    ks = [1, 3, 5, 10, 100]
    measures = {f"ndcg_cut.{','.join(map(str, ks))}", f"map_cut.{','.join(map(str, ks))}",
                f"recall.{','.join(map(str, ks))}", "recip_rank"}  # fmt: skip
    for _ in range(10):
        qrels, run = {}, {}
        for q in range(25):
            docs = [f"d{i}" for i in range(60)]
            judged = rng.choice(60, size=int(rng.integers(1, 9)), replace=False)
            qrels[f"q{q}"] = {docs[j]: int(rng.integers(0, 4)) for j in judged}  # grades 0..3, some all-zero
            retrieved = rng.choice(60, size=int(rng.integers(5, 60)), replace=False)
            run[f"q{q}"] = {docs[j]: float(rng.integers(0, 8)) / 7 for j in retrieved}  # many exact ties
        expected = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
        _, ours = retrieval_scores(qrels, run, ks)
        assert sorted(ours) == sorted(expected)
        for qid, ref in expected.items():
            for k in ks:
                assert ours[qid][f"ndcg_at_{k}"] == pytest.approx(ref[f"ndcg_cut_{k}"], abs=1e-12)
                assert ours[qid][f"map_at_{k}"] == pytest.approx(ref[f"map_cut_{k}"], abs=1e-12)
                assert ours[qid][f"recall_at_{k}"] == pytest.approx(ref[f"recall_{k}"], abs=1e-12)
            assert ours[qid]["mrr_at_100"] == pytest.approx(ref["recip_rank"], abs=1e-12)


def test_top_k_in_blocks_equals_full_sort() -> None:
    rng = np.random.default_rng(2)
    queries = rng.standard_normal((7, 16)).astype(np.float32)
    docs = rng.standard_normal((103, 16)).astype(np.float32)
    idx, val = top_k(queries, docs, 10, block=16)
    qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    dn = docs / np.linalg.norm(docs, axis=1, keepdims=True)
    full = qn @ dn.T
    assert np.array_equal(idx, np.argsort(-full, axis=1)[:, :10])
    assert np.allclose(val, np.sort(full, axis=1)[:, ::-1][:, :10], atol=1e-6)
    small_idx, _ = top_k(queries, docs[:4], 10)
    assert small_idx.shape == (7, 4)
