"""minilm.Index on SciFact (BEIR test split): nDCG@10 per storage mode and search kind, recall@10 against the
exact float32 ranking, and query latency.

The index is built with chunk=False (each abstract's first 256 tokens, as the MTEB evaluation embeds it) from
the cached vectors of benchmarks/index/scifact_data.py, so its exact float32 mode must give the evaluation's
figure: nDCG@10 = 64.51 (MTEB's published 0.64508).

    python -m benchmarks.index.scifact
    python -m benchmarks.index.scifact --modes [--index DIR]    # dense / lexical / hybrid, default settings

--modes searches an index made with the default settings (chunk=True: every 256-token window of each abstract,
embedded through the embedding cache; --index DIR keeps it between runs) in each search mode, query vectors
encoded once outside the timed calls (Index.search(vector, mode=..., text=query)). It also fuses the index's
dense and lexical top-100 lists of the SciFact *train* queries with several reciprocal-rank constants: the default
(fusion.RRF_K = 10) was chosen from that table, never from the test queries.

nDCG@10 is minilm.eval's (gain = qrels grade, log2 discount, ideal ranking from the qrels, as pytrec_eval for
MTEB).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import minilm
from benchmarks import harness
from benchmarks.index.scifact_data import read_scifact, scifact_vectors
from benchmarks.workloads import DATA
from minilm.eval.datasets import BeirDataset, read_beir
from minilm.eval.metrics import query_scores
from minilm.index import Index
from minilm.index.fusion import FUSION_DEPTH, reciprocal_rank

K = 10


def ndcg_at_10(ranked: list[str], relevant: dict[str, int]) -> float:
    """nDCG@10 of one ranking against graded qrels."""
    return query_scores(relevant, ranked, [K])[f"ndcg_at_{K}"]


def mean_ndcg(ranked: list[list[str]], data: BeirDataset) -> float:
    return float(np.mean([ndcg_at_10(r, data.qrels[q]) for r, q in zip(ranked, data.query_ids, strict=True)]))


def modes(index_dir: Path | None) -> None:
    """nDCG@10 and latency of each search mode on a default-settings index of SciFact; RRF constants on train."""
    data = read_scifact()
    model = minilm.load()
    with tempfile.TemporaryDirectory() as tmp:
        root = index_dir or Path(tmp) / "scifact"
        if not (root / "index.sqlite").exists():
            with Index.create(root, model) as ix:
                ix.add(data.doc_texts, ids=data.doc_ids, batch=512, show_progress=None)
        with Index.open(root, model=model, writable=True) as ix:  # writable: an older index gains its lexical side
            docs, chunks = ix.store.count()
            print(harness.machine())
            print(f"SciFact test: {docs} documents, {chunks} windows (chunk={ix.settings['chunk']}), "
                  f"{len(data.query_ids)} queries, {model!r}")  # fmt: skip
            print("| mode | nDCG@10 | p50 ms | p95 ms |")
            print("| --- | --- | --- | --- |")
            vectors = model.encode(data.query_texts)
            for mode in ("dense", "lexical", "hybrid"):
                ranked, lat = [], []
                for text, q in zip(data.query_texts, vectors, strict=True):
                    t = time.perf_counter()
                    hits = ix.search(q, k=K, mode=mode, text=None if mode == "dense" else text)  # type: ignore[arg-type]
                    lat.append(time.perf_counter() - t)
                    ranked.append([h.doc_id for h in hits])
                print(f"| {mode} | {100 * mean_ndcg(ranked, data):.2f} | {np.percentile(lat, 50) * 1e3:.2f} "
                      f"| {np.percentile(lat, 95) * 1e3:.2f} |", flush=True)  # fmt: skip
            train = read_beir(DATA / "scifact", "train")
            vectors = model.encode(train.query_texts)
            lists = [
                ([h.doc_id for h in ix.search(q, k=FUSION_DEPTH)],
                 [h.doc_id for h in ix.search(q, k=FUSION_DEPTH, mode="lexical", text=text)])
                for text, q in zip(train.query_texts, vectors, strict=True)
            ]  # fmt: skip
    print(f"SciFact train ({len(train.query_ids)} queries), reciprocal rank fusion of the top {FUSION_DEPTH} of each "
          "side: | constant | nDCG@10 |")  # fmt: skip
    dense_only = mean_ndcg([d[:K] for d, _ in lists], train)
    lexical_only = mean_ndcg([lx[:K] for _, lx in lists], train)
    print(f"| dense alone | {100 * dense_only:.2f} |\n| lexical alone | {100 * lexical_only:.2f} |")
    for constant in (1, 10, 30, 60, 100, 300):
        fused = [[doc for doc, _, _ in reciprocal_rank([d, lx], constant)][:K] for d, lx in lists]
        print(f"| {constant} | {100 * mean_ndcg(fused, train):.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", action="store_true", help="dense / lexical / hybrid on a default-settings index")
    parser.add_argument("--index", type=Path, default=None, help="with --modes: the index folder (made if missing)")
    args = parser.parse_args()
    if args.modes:
        modes(args.index)
        return
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
