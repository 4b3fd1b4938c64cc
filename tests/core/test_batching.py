"""Length-sorted batching: every index once, longest first, within the row and token budgets."""

from __future__ import annotations

import itertools

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


def _cost(batches: list[np.ndarray], lengths: list[int], run_cost: int) -> int:
    return sum(run_cost + len(rows) * max(lengths[i] for i in rows) for rows in batches)


def test_plan_finds_the_cheapest_cuts_of_the_sorted_rows() -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        lengths = rng.integers(3, 60, size=int(rng.integers(1, 10))).tolist()
        batches = list(batching.plan(lengths, batch_size=4, max_tokens=150, run_cost=16))
        widths = sorted(lengths, reverse=True)
        cheapest = None
        for mask in range(1 << (len(widths) - 1)):  # every way to cut the sorted rows into consecutive runs
            cuts = [0] + [i + 1 for i in range(len(widths) - 1) if mask >> i & 1] + [len(widths)]
            runs = [widths[a:b] for a, b in itertools.pairwise(cuts)]
            if all(len(r) <= 4 and (len(r) == 1 or len(r) * r[0] <= 150) for r in runs):
                cost = sum(16 + len(r) * r[0] for r in runs)
                cheapest = cost if cheapest is None else min(cheapest, cost)
        assert _cost(batches, lengths, 16) == cheapest, lengths


def test_plan_splits_mixed_lengths_and_keeps_equal_ones_together() -> None:
    short_and_long = [40, 8, 41, 9, 8, 39]
    assert [sorted(short_and_long[i] for i in rows) for rows in batching.plan(short_and_long, 32, 1024)] == [
        [39, 40, 41], [8, 8, 9]]  # fmt: skip
    assert sorted(len(rows) for rows in batching.plan([12] * 70, 32, 1024)) == [6, 32, 32]


def test_a_row_over_the_budget_gets_its_own_batch() -> None:
    assert [b.tolist() for b in batching.plan([300, 5], batch_size=8, max_tokens=100)] == [[0], [1]]


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        list(batching.plan([3], batch_size=0, max_tokens=10))


def test_pad_right_pads_with_lengths() -> None:
    ids, lengths = batching.pad([[1, 2, 3], [4]], pad_id=0)
    assert ids.tolist() == [[1, 2, 3], [4, 0, 0]]
    assert lengths.tolist() == [3, 1]
