"""Length-sorted batching above the engines: sort by token count, cut by a token budget, restore order.

Sorting by token length (not characters) keeps padding near zero; a text's vector does not depend on which
batch it lands in, because padded positions are masked out of attention and pooling.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

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


def pad(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad id lists into (B, T) int64, with lengths (B,)."""
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    width = int(lengths.max()) if len(sequences) else 0
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
    return ids, lengths
