"""Compare the HNSW libraries for minilm.Index: build time, query latency and recall@10 against exact search.

Same graph parameters for each (M / connectivity 16, ef_construction / expansion_add 128, ef / expansion_search 64),
2 threads for building, one query at a time for latency. Data: unit vectors (N, 384), either random or, with
--scifact, the cached SciFact abstract vectors (benchmarks/index/scifact_data.py) with the test claims as queries.

    python -m benchmarks.index.backends --n 20000           # random unit vectors
    python -m benchmarks.index.backends --scifact           # the real corpus (5,183 abstracts, 300 queries)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks import harness

M, EF_ADD, EF_SEARCH, K = 16, 128, 64, 10


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def exact_top(data: np.ndarray, queries: np.ndarray) -> np.ndarray:
    scores = queries @ data.T  # (Q, N)
    return np.argsort(-scores, axis=1)[:, :K]


def run_usearch(data: np.ndarray, queries: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    from usearch.index import Index

    t = time.perf_counter()
    index = Index(ndim=data.shape[1], metric="cos", dtype="f32", connectivity=M, expansion_add=EF_ADD,
                  expansion_search=EF_SEARCH)  # fmt: skip
    index.add(np.arange(len(data)), data, threads=2)
    build = time.perf_counter() - t
    lat, found = [], []
    for q in queries:
        t = time.perf_counter()
        m = index.search(q, K, threads=1)
        lat.append(time.perf_counter() - t)
        found.append(np.asarray(m.keys))
    return build, np.array(lat), np.array(found)


def run_hnswlib(data: np.ndarray, queries: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    import hnswlib

    t = time.perf_counter()
    index = hnswlib.Index(space="ip", dim=data.shape[1])
    index.init_index(max_elements=len(data), M=M, ef_construction=EF_ADD)
    index.add_items(data, np.arange(len(data)), num_threads=2)
    index.set_ef(EF_SEARCH)
    build = time.perf_counter() - t
    lat, found = [], []
    for q in queries:
        t = time.perf_counter()
        labels, _ = index.knn_query(q[None], K, num_threads=1)
        lat.append(time.perf_counter() - t)
        found.append(labels[0])
    return build, np.array(lat), np.array(found)


def run_faiss(data: np.ndarray, queries: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    import faiss

    faiss.omp_set_num_threads(2)
    t = time.perf_counter()
    index = faiss.IndexHNSWFlat(data.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_ADD
    index.add(data)
    index.hnsw.efSearch = EF_SEARCH
    build = time.perf_counter() - t
    faiss.omp_set_num_threads(1)
    lat, found = [], []
    for q in queries:
        t = time.perf_counter()
        _, labels = index.search(q[None], K)
        lat.append(time.perf_counter() - t)
        found.append(labels[0])
    return build, np.array(lat), np.array(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--scifact", action="store_true")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; medians are reported")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    if args.scifact:
        import minilm
        from benchmarks.index.scifact_data import read_scifact, scifact_vectors

        data, queries = scifact_vectors(read_scifact(), minilm.load(engine="numpy"))
    else:
        data = unit(rng.standard_normal((args.n, 384)))
        queries = unit(rng.standard_normal((args.queries, 384)))
    truth = exact_top(data, queries)
    runners = {"usearch": run_usearch, "hnswlib": run_hnswlib, "faiss": run_faiss}

    def measure(fn) -> tuple[float, float, float, float]:  # type: ignore[no-untyped-def]
        build, lat, found = fn(data, queries)
        recall = np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)])
        return build, np.percentile(lat, 50) * 1e3, np.percentile(lat, 95) * 1e3, recall

    results = harness.alternate({name: (lambda fn=fn: measure(fn)) for name, fn in runners.items()}, args.rounds)
    print(harness.machine())
    print(f"N={len(data)} queries={len(queries)} dim={data.shape[1]} M={M} efC={EF_ADD} ef={EF_SEARCH}")
    print("| library | build s | query p50 ms | query p95 ms | recall@10 |")
    print("| --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        b, p50, p95, r = np.median(np.array(rows), axis=0)
        print(f"| {name} | {b:.2f} | {p50:.3f} | {p95:.3f} | {r:.4f} |")


if __name__ == "__main__":
    main()
