"""Small training data for the tiny model: pairs of short texts made of its vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

WORDS = ["the", "cat", "sat", "on", "mat", "dog", "a", "happy", "person", "sunny", "day", "today", "is", "that",
         "run", "hello", "world"]  # fmt: skip


def sentence(rng: np.random.Generator, n: int = 5) -> str:
    return " ".join(rng.choice(WORDS, size=n))


def write_pairs(path: Path, rows: int, seed: int = 0, negatives: int = 0) -> Path:
    """A JSONL file of {anchor, positive[, negative]} rows with distinct random texts."""
    rng = np.random.default_rng(seed)
    with path.open("w") as f:
        for _ in range(rows):
            row = {"anchor": sentence(rng), "positive": sentence(rng)}
            if negatives:
                row["negative"] = [sentence(rng) for _ in range(negatives)]
            f.write(json.dumps(row) + "\n")
    return path
