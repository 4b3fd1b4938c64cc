"""Rows/s into LanceDB (embedded, a local directory) and Qdrant (the client's local mode) through minilm.sinks,
against a Parquet shard of the same rows (the bulk encoder's own output) in the same run.

    python -m benchmarks.bulk.sinks                   # 20,000 rows, 3 rounds, then 300 abstracts end to end
    python -m benchmarks.bulk.sinks --rows 5000 --rounds 1 --docs 0

Write rate: SciFact abstracts (../shared/data/scifact, cycled, each id unique) with random unit vectors of
dimension 384 (the write path does not look at their values), upserted in batches of 2048 (the bulk encoder's
read batch); "again" writes the same ids a second time (what a resumed run does to the shard in flight). End to
end: `minilm encode -i FILE --to URL` (encode_into) against `-o DIR/` (encode_files) on the same abstracts with
the real model, one run each; encoding dominates both.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks import harness
from benchmarks.workloads import scifact_abstracts

BATCH = 2048
DIMENSION = 384


def rows_table(n: int) -> tuple[list[str], np.ndarray, list[str]]:
    texts = scifact_abstracts()
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [str(i) for i in range(n)], vectors, [texts[i % len(texts)] for i in range(n)]


def write_sink(url: str, ids: list[str], vectors: np.ndarray, texts: list[str], passes: int) -> list[float]:
    from minilm.sinks import Rows, open_sink

    sink = open_sink(url, DIMENSION, "benchmark")
    seconds = []
    try:
        for _ in range(passes):
            start = time.perf_counter()
            for a in range(0, len(ids), BATCH):
                b = a + BATCH
                fields = {
                    "text": texts[a:b],
                    "tokens": [0] * len(texts[a:b]),
                    "metadata": [{"n": i} for i in range(a, min(b, len(ids)))],
                }
                sink.upsert(Rows(ids[a:b], vectors[a:b], fields))
            seconds.append(time.perf_counter() - start)
        assert sink.count() == len(ids)
    finally:
        sink.close()
    return seconds


def write_parquet(path: Path, ids: list[str], vectors: np.ndarray, texts: list[str]) -> float:
    import pyarrow.parquet as pq

    from minilm.io.writers import vector_schema, vector_table

    schema = vector_schema("float32", DIMENSION, True)
    start = time.perf_counter()
    with pq.ParquetWriter(path, schema) as writer:
        for a in range(0, len(ids), BATCH):
            b = a + BATCH
            n = len(ids[a:b])
            writer.write_table(vector_table(schema, ids[a:b], vectors[a:b], np.zeros(n), np.zeros(n, bool), texts[a:b]))
    return time.perf_counter() - start


def write_rates(rows: int, rounds: int, root: Path) -> None:
    ids, vectors, texts = rows_table(rows)
    runs: dict[str, Callable[[int], list[float]]] = {
        "parquet shard": lambda k: [write_parquet(root / f"p{k}.parquet", ids, vectors, texts)],
        "lancedb": lambda k: write_sink(f"lancedb://{root}/l{k}/t", ids, vectors, texts, 2),
        "qdrant local": lambda k: write_sink(f"qdrant+local://{root}/q{k}/t", ids, vectors, texts, 2),
    }
    write_parquet(root / "warm.parquet", ids[:256], vectors[:256], texts[:256])  # imports and first calls paid
    write_sink(f"lancedb://{root}/warm/t", ids[:256], vectors[:256], texts[:256], 1)
    write_sink(f"qdrant+local://{root}/warmq/t", ids[:256], vectors[:256], texts[:256], 1)
    counter = iter(range(10_000))
    results = harness.alternate({name: (lambda fn=fn: fn(next(counter))) for name, fn in runs.items()}, rounds)
    print(f"{rows} rows of dimension {DIMENSION} with text and metadata, batches of {BATCH}, {rounds} rounds (median)")
    base = harness.median(r[0] for r in results["parquet shard"])
    for name, times in results.items():
        first = harness.median(t[0] for t in times)
        line = f"  {name:14s} {rows / first:9.0f} rows/s  ({first / base:5.1f}x the Parquet shard's time)"
        if len(times[0]) > 1:
            line += f"; the same ids again: {rows / harness.median(t[1] for t in times):9.0f} rows/s"
        print(line)


def end_to_end(docs: int, root: Path) -> None:
    import minilm
    from minilm.bulk import encode_files
    from minilm.sinks.bulk import encode_into

    source = root / "abstracts.jsonl"
    with open(source, "w", encoding="utf-8") as f:
        for n, text in enumerate(scifact_abstracts()[:docs]):
            f.write(json.dumps({"id": f"d{n}", "text": text}) + "\n")
    model = minilm.load()
    encode_files(source, root / "warm", id_field="id", model=model, with_text=True)  # first-call costs paid
    runs = {
        "-o DIR/ (shards)": lambda: encode_files(source, root / "shards", id_field="id", model=model, with_text=True),
        "--to lancedb": lambda: encode_into(source, f"lancedb://{root}/e2e/t", id_field="id", model=model),
        "--to qdrant local": lambda: encode_into(source, f"qdrant+local://{root}/e2eq/t", id_field="id", model=model),
    }
    times = harness.time_rounds(runs, 1)
    print(f"end to end, {docs} SciFact abstracts, {model.engine.name} engine, one run each")
    base = times["-o DIR/ (shards)"][0]
    for name, (seconds,) in times.items():
        print(f"  {name:18s} {docs / seconds:7.1f} rows/s  ({seconds / base:4.2f}x the shards' time)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--docs", type=int, default=300, help="abstracts for the end-to-end run (0: skip it)")
    args = parser.parse_args()
    print(harness.machine())
    root = Path(tempfile.mkdtemp(prefix="minilm-sinks-"))
    try:
        write_rates(args.rows, args.rounds, root)
        if args.docs:
            end_to_end(args.docs, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
