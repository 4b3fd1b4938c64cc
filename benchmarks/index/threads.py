"""Concurrent searches on one minilm.Index: queries per second from T threads, with each thread reading through
its own SQLite connection (what Index does) against the same searches serialized by one lock (the alternative).

    python -m benchmarks.index.threads --docs 20000 --threads 1 4 16 --queries 800

Random 384-d unit vectors stand in for documents (added with vectors=, no embedding); a third of the queries
carry a metadata filter. Figures depend on cores and load: the script prints the CPU model.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import minilm
from benchmarks import harness
from minilm.index import Index


def qps(index: Index, queries: np.ndarray, threads: int, lock: threading.Lock | None) -> float:
    def one(n: int) -> None:
        where = {"g": n % 3} if n % 3 == 0 else None
        if lock is None:
            index.search(queries[n], k=10, where=where)
        else:
            with lock:
                index.search(queries[n], k=10, where=where)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(len(queries))))
    return len(queries) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=800)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--search", choices=("exact", "hnsw"), default="exact")
    args = parser.parse_args()
    model = minilm.load()
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((args.docs, model.dimension)).astype(np.float32)
    queries = rng.standard_normal((args.queries, model.dimension)).astype(np.float32)
    print(f"{harness.machine()}; {args.docs} docs, {args.queries} queries, search {args.search}, k=10")
    with tempfile.TemporaryDirectory() as tmp, Index.create(Path(tmp) / "ix", model, search=args.search,
                                                            cache=False) as index:  # fmt: skip
        index.add([f"doc {i}" for i in range(args.docs)], ids=[str(i) for i in range(args.docs)],
                  metadata=[{"g": i % 3} for i in range(args.docs)], vectors=vectors)  # fmt: skip
        index.search(queries[0], k=10)  # build the structure outside the timing
        print("threads\tconnection per thread (q/s)\tone lock (q/s)")
        for threads in args.threads:
            free, locked = qps(index, queries, threads, None), qps(index, queries, threads, threading.Lock())
            print(f"{threads}\t{free:.0f}\t{locked:.0f}")


if __name__ == "__main__":
    main()
