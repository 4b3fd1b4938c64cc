"""Lexical and hybrid search at 100k chunks: per-query latency of each mode, and what keeping the lexical side
costs an add (time, disk).

Synthetic corpus (no model runs): N documents of 40-120 words (a window each) drawn from the word frequencies of
the SciFact abstracts (../shared/data/scifact), so term statistics look like real English prose; random unit
vectors (384-d) stand in for their embeddings. A query is 4-8 words drawn from one of the documents plus a random
unit vector, searched with Index.search(vector, mode=..., text=words), so the figures are the index's own work
(no query encoding). Exact dense search (search="exact"), k=10; hybrid fuses the top 100 of each side.

    python -m benchmarks.index.hybrid --docs 100000 --queries 300
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks import harness, workloads
from benchmarks.index.scale import StubModel, dir_bytes, unit
from minilm.index import Index

K = 10


def vocabulary() -> tuple[list[str], np.ndarray]:
    """(words, their probabilities) of the SciFact abstracts."""
    counts = Counter(w for text in workloads.scifact_abstracts() for w in re.findall(r"[a-z0-9]+", text.lower()))
    words = list(counts)
    freq = np.array([counts[w] for w in words], dtype=np.float64)
    return words, freq / freq.sum()


def texts(n: int, rng: np.random.Generator) -> list[str]:
    words, p = vocabulary()
    lengths = rng.integers(40, 121, n)
    drawn = rng.choice(len(words), size=int(lengths.sum()), p=p)
    out, at = [], 0
    for length in lengths.tolist():
        out.append(" ".join(words[i] for i in drawn[at : at + length]))
        at += length
    return out


def build(path: Path, docs: list[str], vectors: np.ndarray, lexical: bool) -> float:
    """Seconds to add every document (50k per transaction) to a new exact index, with or without the lexical side."""
    with Index.create(path, StubModel(), search="exact", cache=False) as ix:  # type: ignore[arg-type]
        if not lexical:
            ix.store.db.executescript("DROP TRIGGER lexical_insert; DROP TRIGGER lexical_delete; DROP TABLE lexical;")
        t = time.perf_counter()
        for start in range(0, len(docs), 50_000):
            part = slice(start, start + 50_000)
            ix.add(docs[part], ids=[str(i) for i in range(start, start + len(docs[part]))], vectors=vectors[part],
                   batch=50_000)  # fmt: skip
        return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    docs = texts(args.docs, rng)
    vectors = unit(args.docs, rng)
    picks = rng.integers(0, args.docs, args.queries)
    queries = [" ".join(rng.choice(docs[i].split(), size=int(rng.integers(4, 9)), replace=False)) for i in picks]
    qvec = unit(args.queries, rng)
    print(harness.machine())
    with tempfile.TemporaryDirectory() as tmp:
        plain = build(Path(tmp) / "dense-only", docs, vectors, lexical=False)
        with_lexical = build(Path(tmp) / "both", docs, vectors, lexical=True)
        sizes = dir_bytes(Path(tmp) / "dense-only"), dir_bytes(Path(tmp) / "both")
        print(f"{args.docs} documents, one window each; {args.queries} queries of 4-8 words")
        print(f"add without the lexical side {plain:.1f} s, with it {with_lexical:.1f} s "
              f"({with_lexical / plain:.2f}x); directory {sizes[0] / 2**20:.0f} MiB vs "
              f"{sizes[1] / 2**20:.0f} MiB")  # fmt: skip
        print("| mode | p50 ms | p95 ms | mean hits |")
        print("| --- | --- | --- | --- |")
        with Index.open(Path(tmp) / "both", search="exact") as ix:
            ix.search(qvec[0], k=K)  # builds the search structure once
            for mode in ("dense", "lexical", "hybrid"):
                lat, found = [], []
                for text, q in zip(queries, qvec, strict=True):
                    t = time.perf_counter()
                    hits = ix.search(q, k=K, mode=mode, text=None if mode == "dense" else text)  # type: ignore[arg-type]
                    lat.append(time.perf_counter() - t)
                    found.append(len(hits))
                print(f"| {mode} | {np.percentile(lat, 50) * 1e3:.2f} | {np.percentile(lat, 95) * 1e3:.2f} "
                      f"| {np.mean(found):.1f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
