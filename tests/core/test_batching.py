"""Length-sorted batching: every index once, longest first, within the row and token budgets."""

from __future__ import annotations

import numpy as np
import pytest

from minilm import batching


def test_plan_covers_every_index_once_within_budgets() -> None:
    rng = np.random.default_rng(1)
    lengths = rng.integers(2, 257, size=500).tolist()
    batches = list(batching.plan(lengths, batch_size=32, max_tokens=2048))
    seen = np.concatenate(batches)
    assert sorted(seen.tolist()) == list(range(500))
    for rows in batches:
        width = max(lengths[i] for i in rows)
        assert len(rows) <= 32
        assert len(rows) == 1 or len(rows) * width <= 2048
    widths = [max(lengths[i] for i in rows) for rows in batches]
    assert widths == sorted(widths, reverse=True)


def test_a_row_over_the_budget_gets_its_own_batch() -> None:
    assert [b.tolist() for b in batching.plan([300, 5], batch_size=8, max_tokens=100)] == [[0], [1]]


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        list(batching.plan([3], batch_size=0, max_tokens=10))


def test_pad_right_pads_with_lengths() -> None:
    ids, lengths = batching.pad([[1, 2, 3], [4]], pad_id=0)
    assert ids.tolist() == [[1, 2, 3], [4, 0, 0]]
    assert lengths.tolist() == [3, 1]
