"""Training rows from JSONL/CSV/TSV files, and the batch sampler of the recipe.

A row is a tuple of texts: (anchor, positive) pairs, (anchor, positive, negative, ...) triplets, or a single
sentence (distillation). Every row of a dataset has the same number of columns.

The sampler draws each batch from one dataset, chosen with probability proportional to its weight, and never
puts the same text twice in a batch (a duplicate would be a false negative under in-batch negatives). Its whole
state (RNG, each dataset's shuffled order, cursor and deferred rows) is a JSON-able dict, so a resumed run
draws exactly the batches the killed run would have drawn.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minilm.errors import InputError
from minilm.io.readers import json_lines

log = logging.getLogger(__name__)

Row = tuple[str, ...]
_JSON_KEYS = (("anchor", "positive"), ("query", "positive"), ("sentence1", "sentence2"), ("text",), ("sentence",))


@dataclass(frozen=True)
class Dataset:
    """A named list of rows with the weight the sampler gives it."""

    name: str
    rows: list[Row]
    weight: float = 1.0

    @property
    def columns(self) -> int:
        return len(self.rows[0])


def _row_from_json(value: Any, where: str) -> Row:
    if isinstance(value, list):
        texts = value
    elif isinstance(value, dict) and isinstance(value.get("texts"), list):
        texts = value["texts"]
    elif isinstance(value, dict):
        keys = next((k for k in _JSON_KEYS if all(key in value for key in k)), None)
        if keys is None:
            raise InputError(f"{where}: expected 'anchor'/'positive'[/'negative'], 'texts', or a JSON list of texts")
        texts = [value[k] for k in keys]
        negatives = value.get("negatives", value.get("negative", []))
        texts += negatives if isinstance(negatives, list) else [negatives]
    else:
        raise InputError(f"{where}: expected a JSON object or list, got {type(value).__name__}")
    if not texts or not all(isinstance(t, str) for t in texts):
        raise InputError(f"{where}: every text must be a string")
    return tuple(texts)


def read_rows(path: str | Path) -> list[Row]:
    """Rows from .jsonl (objects or lists), or .csv/.tsv (a header row, then one text per column, in order)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        rows = [_row_from_json(value, where) for where, value in json_lines(path, objects=False)]
    elif suffix in (".csv", ".tsv"):
        rows = _read_table(path, "\t" if suffix == ".tsv" else ",")
    else:
        raise InputError(f"{path}: unknown training file type {suffix!r}; expected .jsonl, .csv or .tsv")
    if not rows:
        raise InputError(f"{path} has no rows")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise InputError(f"{path}: rows have different numbers of texts ({sorted(widths)}); expected one width")
    return rows


def _read_table(path: Path, delimiter: str) -> list[Row]:
    """The rows of a CSV/TSV file after its header row."""
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter=delimiter)
            next(reader, None)  # header
            return [tuple(r) for r in reader if r]
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def load_dataset(path: str | Path, weight: float = 1.0) -> Dataset:
    """A Dataset named after its file."""
    return Dataset(Path(path).stem, read_rows(path), weight)


class BatchSampler:
    """Batches of distinct texts, each from one dataset chosen by weight; deterministic given the seed."""

    def __init__(self, datasets: list[Dataset], batch_size: int, seed: int = 0):
        if not datasets:
            raise InputError("no training datasets were given")
        if batch_size < 2:
            raise InputError(f"batch_size must be >= 2 for in-batch negatives, got {batch_size}")
        weights = np.array([d.weight for d in datasets], dtype=np.float64)
        if (weights <= 0).any():
            raise InputError(f"dataset weights must be positive, got {weights.tolist()}")
        self.datasets = datasets
        self.batch_size = batch_size
        self.probabilities = weights / weights.sum()
        self.rng = np.random.default_rng(seed)
        self.orders: list[list[int]] = [self._shuffled(d) for d in datasets]
        self.cursors = [0] * len(datasets)
        self.deferred: list[list[int]] = [[] for _ in datasets]
        self.epochs = [0] * len(datasets)

    def _shuffled(self, dataset: Dataset) -> list[int]:
        return [int(i) for i in self.rng.permutation(len(dataset.rows))]

    def _next_index(self, d: int) -> int:
        if self.cursors[d] >= len(self.orders[d]):
            self.orders[d] = self._shuffled(self.datasets[d])
            self.cursors[d] = 0
            self.epochs[d] += 1
        self.cursors[d] += 1
        return self.orders[d][self.cursors[d] - 1]

    def next_batch(self) -> tuple[str, list[Row]]:
        """(dataset name, rows): up to batch_size rows sharing no text; rows that would collide wait for the next."""
        d = int(self.rng.choice(len(self.datasets), p=self.probabilities))
        rows = self.datasets[d].rows
        seen: set[str] = set()
        batch: list[int] = []
        waiting, self.deferred[d] = self.deferred[d], []
        budget = len(rows)  # one pass over the data at most: a tiny dataset gives a short batch, not a loop
        while len(batch) < self.batch_size and (waiting or budget > 0):
            if waiting:
                index = waiting.pop(0)
            else:
                index, budget = self._next_index(d), budget - 1
            texts = rows[index]
            if len(set(texts)) < len(texts):
                continue  # a row repeating its own text can never be in a batch: skip it
            if seen.isdisjoint(texts):
                batch.append(index)
                seen.update(texts)
            else:
                self.deferred[d].append(index)
        self.deferred[d] = waiting + self.deferred[d]
        if len(batch) < self.batch_size:
            log.warning("dataset %s gave a batch of %d distinct rows (< %d)", self.datasets[d].name, len(batch),
                        self.batch_size)  # fmt: skip
        return self.datasets[d].name, [rows[i] for i in batch]

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue the same sequence of batches (JSON-able)."""
        return {
            "rng": self.rng.bit_generator.state,
            "orders": self.orders,
            "cursors": self.cursors,
            "deferred": self.deferred,
            "epochs": self.epochs,
            "sizes": [len(d.rows) for d in self.datasets],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a state_dict() of a sampler over the same datasets."""
        sizes = [len(d.rows) for d in self.datasets]
        if state["sizes"] != sizes:
            raise InputError(f"the checkpoint's datasets have {state['sizes']} rows, these have {sizes}")
        self.rng.bit_generator.state = state["rng"]
        self.orders, self.cursors = state["orders"], state["cursors"]
        self.deferred, self.epochs = state["deferred"], state["epochs"]
