"""minilm.Index on SciFact (BEIR test split): nDCG@10 per storage mode and search kind, recall@10 against the
exact float32 ranking, and query latency.

The index is built with chunk=False (each abstract's first 256 tokens, as the MTEB evaluation embeds it) from
the cached vectors of benchmarks/index/scifact_data.py, so its exact float32 mode must give the evaluation's
figure: nDCG@10 = 64.51 (MTEB's published 0.64508).

    python -m benchmarks.index.scifact

nDCG@10 is minilm.eval's (gain = qrels grade, log2 discount, ideal ranking from the qrels, as pytrec_eval for
MTEB).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

import minilm
from benchmarks import harness
from benchmarks.index.scifact_data import read_scifact, scifact_vectors
from minilm.eval.metrics import query_scores
from minilm.index import Index

K = 10


def ndcg_at_10(ranked: list[str], relevant: dict[str, int]) -> float:
    """nDCG@10 of one ranking against graded qrels."""
    return query_scores(relevant, ranked, [K])[f"ndcg_at_{K}"]


def main() -> None:
    data = read_scifact()
    model = minilm.load(engine="numpy")
    docs, queries = scifact_vectors(data, model)

    # The evaluation's ranking: a plain matrix product over all documents.
    scores = queries @ docs.T  # (300, 5183)
    reference = [[data.doc_ids[i] for i in np.argsort(-row, kind="stable")[:K]] for row in scores]
    ref_ndcg = np.mean([ndcg_at_10(r, data.qrels[q]) for r, q in zip(reference, data.query_ids, strict=True)])
    print(harness.machine())
    print(f"matrix product (the evaluation): nDCG@10 = {100 * ref_ndcg:.2f}")
    print("| storage | search | nDCG@10 | recall@10 vs exact float32 | p50 ms | p95 ms | build s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    exact_sets: list[set[str]] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for storage in ("float32", "int8", "binary"):
            for search in ("exact", "hnsw"):
                path = Path(tmp) / f"{storage}-{search}"
                with Index.create(path, model, storage=storage, search=search, chunk=False, cache=False) as ix:
                    t = time.perf_counter()
                    ix.add(data.doc_texts, ids=data.doc_ids, vectors=docs, batch=10_000)
                    build = time.perf_counter() - t
                    ranked, lat = [], []
                    for q in queries:
                        t = time.perf_counter()
                        hits = ix.search(q, k=K)
                        lat.append(time.perf_counter() - t)
                        ranked.append([h.doc_id for h in hits])
                ndcg = np.mean([ndcg_at_10(r, data.qrels[q]) for r, q in zip(ranked, data.query_ids, strict=True)])
                if exact_sets is None:
                    exact_sets = [set(r) for r in ranked]
                recall = np.mean([len(set(r) & e) / K for r, e in zip(ranked, exact_sets, strict=True)])
                print(f"| {storage} | {search} | {100 * ndcg:.2f} | {recall:.4f} | {np.percentile(lat, 50) * 1e3:.2f} "
                      f"| {np.percentile(lat, 95) * 1e3:.2f} | {build:.1f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
