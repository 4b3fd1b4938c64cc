"""Length-sorted batching above the engines: sort by token count, cut by a token budget, restore order.

Sorting by token length (not characters) keeps padding near zero; a text's vector does not depend on which
batch it lands in, because padded positions are masked out of attention and pooling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

RUN_COST_TOKENS = 16
"""What one engine call costs beyond its tokens, in padded tokens (fitted per engine: docs/pipeline.md)."""


def plan(lengths: Sequence[int], batch_size: int, max_tokens: int,
         run_cost: int = RUN_COST_TOKENS) -> Iterator[np.ndarray]:  # fmt: skip
    """Yield index arrays, longest texts first: at most batch_size rows and about max_tokens padded tokens.

    Rows are sorted by length and cut into consecutive runs that minimise the padded tokens plus `run_cost` per
    engine call (dynamic programming over the cut points). A long sorted input becomes full batches of similar
    lengths; a handful of mixed lengths (a server's few concurrent requests) is split where padding the short
    ones to the longest would cost more than another call. A large run_cost gives the fewest calls the limits
    allow. A single row longer than max_tokens gets a batch of its own. Rows of one batch planned again under the
    same limits come back as that one batch (an optimal plan's batch is an optimal plan of its rows; ties go to
    the fuller batch).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    widths = [max(int(lengths[i]), 1) for i in order]  # descending
    best = [0.0] * (len(order) + 1)  # best[j]: the cheapest plan for the first j sorted rows
    start = [0] * (len(order) + 1)  # start[j]: where that plan's last batch begins
    for j in range(1, len(order) + 1):
        best[j], start[j] = best[j - 1] + run_cost + widths[j - 1], j - 1  # row j alone
        for i in range(j - 2, max(-1, j - 1 - batch_size), -1):  # batches i..j-1, growing upwards
            padded = (j - i) * widths[i]  # a batch's first row is its longest
            if padded > max_tokens:
                break  # and it only grows from here
            cost = best[i] + run_cost + padded
            if cost <= best[j]:  # ties go to the fuller batch
                best[j], start[j] = cost, i
    cuts = []
    j = len(order)
    while j > 0:
        cuts.append((start[j], j))
        j = start[j]
    for i, j in reversed(cuts):
        yield order[i:j]


def fill(lengths: Sequence[int], batch_size: int, max_tokens: int) -> Iterator[np.ndarray]:
    """Yield index arrays, longest texts first, each batch as many sorted rows as fit in max_tokens padded tokens
    (at most batch_size). Linear in rows: the cuts for an accelerator (engine batch_hints), whose cost per call
    dwarfs a little padding and whose batches of thousands of rows would make `plan`'s search slow.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    widths = np.maximum(np.asarray(lengths, dtype=np.int64)[order], 1)  # descending
    start = 0
    while start < len(order):
        rows = max(1, min(batch_size, max_tokens // int(widths[start])))  # the first row is the batch's longest
        yield order[start : start + rows]
        start += rows


T = TypeVar("T")
R = TypeVar("R")


def prefetched(fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """fn(item) for each item in order, the next one computed in a worker thread while the caller uses this one.

    A single item is computed inline (a worker thread would have nothing to overlap with).
    """
    if len(items) <= 1:
        yield from (fn(item) for item in items)
        return
    yield from ahead(fn(item) for item in items)


def ahead(items: Iterable[T]) -> Iterator[T]:
    """The items of an iterable in order, the next one produced in a worker thread while the caller uses this one.

    Used to tokenize block i + 1 while block i runs through the engine (tokenizers and ONNX Runtime release the
    GIL); at most two items exist at once. Exceptions surface in order, when their item is reached.
    """
    source = iter(items)
    done = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="minilm-prefetch") as worker:
        pending = worker.submit(next, source, done)
        while True:
            current = pending.result()
            if current is done:
                return
            pending = worker.submit(next, source, done)
            yield current  # type: ignore[misc]


def pad(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad id lists into (B, T) int64, with lengths (B,)."""
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    width = int(lengths.max()) if len(sequences) else 0
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
    return ids, lengths
