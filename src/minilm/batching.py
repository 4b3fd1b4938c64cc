"""Length-sorted batching above the engines: sort by token count, cut by a token budget, restore order.

Sorting by token length (not characters) keeps padding near zero; a text's vector does not depend on which
batch it lands in, because padded positions are masked out of attention and pooling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np


def plan(lengths: Sequence[int], batch_size: int, max_tokens: int) -> Iterator[np.ndarray]:
    """Yield index arrays, longest texts first: at most batch_size rows and about max_tokens padded tokens.

    A single row longer than max_tokens still gets a batch of its own.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    start = 0
    while start < len(order):
        longest = int(lengths[order[start]])  # sorted descending: the first row sets the padded width
        rows = max(1, min(batch_size, max_tokens // max(longest, 1)))
        yield order[start : start + rows]
        start += rows


T = TypeVar("T")
R = TypeVar("R")


def prefetched(fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """fn(item) for each item in order, the next one computed in a worker thread while the caller uses this one.

    Used to tokenize block i + 1 while block i runs through the engine (tokenizers and ONNX Runtime release the
    GIL). Exceptions surface in order, when their item is reached.
    """
    if len(items) <= 1:  # nothing to overlap with: no worker thread (its start is ~0.1-0.3 ms of a short query)
        yield from (fn(item) for item in items)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="minilm-prefetch") as worker:
        pending = worker.submit(fn, items[0])
        for i in range(len(items)):
            current = pending.result()
            if i + 1 < len(items):
                pending = worker.submit(fn, items[i + 1])
            yield current


def pad(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad id lists into (B, T) int64, with lengths (B,)."""
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    width = int(lengths.max()) if len(sequences) else 0
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
    return ids, lengths
