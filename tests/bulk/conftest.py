"""Fixtures for the bulk tests: texts of the tiny vocabulary, and writers of JSONL / CSV / Parquet inputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

WORDS = ["the", "cat", "sat", "on", "mat", "dog", "a", "happy", "person", "sunny", "day", "today", "is", "that",
         "run", "hello", "world", ",", "!"]  # fmt: skip


def corpus(n: int, seed: int = 0) -> list[str]:
    """n texts of 1 to 30 words (the tiny model's limit is 16 tokens, so some are truncated)."""
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(1, 31)))) for _ in range(n)]


def write_jsonl(path: Path, texts: list[str], ids: list[str] | None = None, blank_every: int = 0) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for n, text in enumerate(texts):
            row = {"text": text, "n": n} if ids is None else {"text": text, "id": ids[n]}
            f.write(json.dumps(row) + "\n")
            if blank_every and n % blank_every == 0:
                f.write("\n")  # blank lines are not rows
    return path


def write_csv(path: Path, texts: list[str], ids: list[str] | None = None) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        for n, text in enumerate(texts):
            writer.writerow([ids[n] if ids else f"r{n}", text])
    return path


def write_parquet(path: Path, texts: list[str], ids: list[str] | None = None, row_group: int = 64) -> Path:
    table = pa.table({"id": ids or [f"p{n}" for n in range(len(texts))], "text": texts})
    pq.write_table(table, path, row_group_size=row_group)
    return path


def read_output(out: Path) -> pa.Table:
    """Every shard of a bulk output, in shard order."""
    manifest = json.loads((out / "manifest.json").read_text())
    return pa.concat_tables([pq.read_table(out / s["file"]) for s in manifest["shards"]])


def vectors(table: pa.Table) -> np.ndarray:
    column = table.column("vector").combine_chunks()
    return column.flatten().to_numpy().reshape(len(table), -1)
