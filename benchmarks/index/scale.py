"""minilm.Index at scale: build time, query latency, recall, memory and disk per storage mode and search kind.

Random unit vectors (384-d) stand in for documents above the real corpus size (worst case for HNSW recall:
real embeddings have far lower intrinsic dimension; see scifact.py for recall on real data).
For each size N the SQLite store is written once (Index.add with given vectors, the exact float32 structure
built alongside); copies of the database with another storage setting then build each search structure.

    python -m benchmarks.index.scale --sizes 10000 100000            # what docs/benchmarks.md reports
    python -m benchmarks.index.scale --sizes 1000000 --no-hnsw-above 100000

Figures: store = SQLite insert of N documents; build = the faiss structure from the stored vectors;
p50/p95 = one query at a time through Index.search (k=10, rescoring included), ms;
recall@10 against exact float32; memory = the search structure's bytes (faiss, serialized) per million
vectors; disk = index directory bytes per million vectors (SQLite with float32 vectors + structure file).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import harness
from minilm.index import Index
from minilm.index.vectors import STORAGES

K = 10


class StubModel:
    """What Index.create records about a model; the benchmark adds and queries vectors only."""

    name = "random-unit-vectors"
    sha256 = "0" * 64
    dimension = 384
    max_seq_length = 256

    folder = type("Folder", (), {"path": Path("none")})


def unit(n: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.standard_normal((n, 384), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())


def bench_size(n: int, queries: np.ndarray, root: Path, hnsw: bool, rng: np.random.Generator) -> list[str]:
    base = root / f"n{n}"
    t = time.perf_counter()
    with Index.create(base, StubModel(), search="exact", cache=False) as ix:  # type: ignore[arg-type]
        for start in range(0, n, 50_000):
            m = min(50_000, n - start)
            ix.add([""] * m, ids=[f"{i}" for i in range(start, start + m)], vectors=unit(m, rng), batch=50_000)
    store_s = time.perf_counter() - t
    with Index.open(base, search="exact") as ix:
        truth = [{h.doc_id for h in hits} for hits in ix.search(queries, k=K)]
    rows = []
    for storage in STORAGES:
        copy = root / f"n{n}-{storage}"
        shutil.copytree(base, copy)
        (copy / "vectors.npz").unlink()
        for kind in ("exact", "hnsw") if hnsw else ("exact",):
            # Recorded as the index's own settings, so that close() saves the structure it built.
            db = sqlite3.connect(copy / "index.sqlite")
            db.execute("UPDATE meta SET value = ? WHERE key = 'storage'", (f'"{storage}"',))
            db.execute("UPDATE meta SET value = ? WHERE key = 'search'", (f'"{kind}"',))
            db.commit()
            db.close()
            ix = Index.open(copy, writable=True, cache=False)
            t = time.perf_counter()
            ix.refresh()  # builds the search structure from the stored vectors
            build_s = time.perf_counter() - t
            lat, recall = [], []
            for q, want in zip(queries, truth, strict=True):
                t = time.perf_counter()
                hits = ix.search(q, k=K)
                lat.append(time.perf_counter() - t)
                recall.append(len({h.doc_id for h in hits} & want) / K)
            ix.close()  # writes vectors.npz
            with np.load(copy / "vectors.npz") as saved:
                memory = saved["index"].nbytes + saved["keys"].nbytes
            disk = dir_bytes(copy)
            p50, p95 = np.percentile(lat, 50) * 1e3, np.percentile(lat, 95) * 1e3
            per_million = f"{memory / n * 1e6 / 2**20:,.0f} MiB | {disk / n * 1e6 / 2**20:,.0f} MiB"
            rows.append(f"| {n:,} | {storage} | {kind} | {store_s:.1f} | {build_s:.1f} | {p50:.2f} | {p95:.2f} | "
                        f"{np.mean(recall):.3f} | {per_million} |")  # fmt: skip
            print(rows[-1], flush=True)
            (copy / "vectors.npz").unlink()
        shutil.rmtree(copy)
    shutil.rmtree(base)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-hnsw-above", type=int, default=None, help="skip HNSW builds for larger sizes")
    parser.add_argument("--dir", default=None, help="scratch directory (default: a temporary one)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    queries = unit(args.queries, rng)
    print(harness.machine())
    print("| N | storage | search | store s | build s | p50 ms | p95 ms | recall@10 | memory / 1M | disk / 1M |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for n in args.sizes:
            hnsw = args.no_hnsw_above is None or n <= args.no_hnsw_above
            bench_size(n, queries, Path(tmp), hnsw, rng)


if __name__ == "__main__":
    main()
