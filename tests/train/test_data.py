"""Training files and the sampler: formats, no duplicate texts in a batch, weights, one dataset per batch, state."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from minilm.errors import InputError
from minilm.train.data import BatchSampler, Dataset, read_rows


def test_formats(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        '{"anchor": "q1", "positive": "d1", "negative": "n1"}\n'
        '{"query": "q2", "positive": "d2", "negatives": ["n2"]}\n\n'
        '["q3", "d3", "n3"]\n{"texts": ["q4", "d4", "n4"]}\n'
    )
    assert read_rows(tmp_path / "a.jsonl") == [("q1", "d1", "n1"), ("q2", "d2", "n2"), ("q3", "d3", "n3"),
                                               ("q4", "d4", "n4")]  # fmt: skip
    (tmp_path / "b.csv").write_text('anchor,positive\n"hello, world",hi\nx,y\n')
    assert read_rows(tmp_path / "b.csv") == [("hello, world", "hi"), ("x", "y")]
    (tmp_path / "c.tsv").write_text("a\tb\nq\td\n")
    assert read_rows(tmp_path / "c.tsv") == [("q", "d")]


def test_format_errors_name_the_place(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"anchor": "q"}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:1"):
        read_rows(tmp_path / "bad.jsonl")
    (tmp_path / "ragged.jsonl").write_text('["a", "b"]\n["c", "d", "e"]\n')
    with pytest.raises(InputError, match="different numbers of texts"):
        read_rows(tmp_path / "ragged.jsonl")


def _crowded(n: int, vocabulary: int, seed: int, name: str, weight: float = 1.0) -> Dataset:
    """Pairs drawn from a small vocabulary of texts, so that collisions are frequent."""
    rng = np.random.default_rng(seed)
    rows = [(f"{name}-t{rng.integers(vocabulary)}", f"{name}-t{rng.integers(vocabulary)}") for _ in range(n)]
    return Dataset(name, rows, weight)


def test_no_duplicate_texts_in_a_batch() -> None:
    data = _crowded(600, vocabulary=120, seed=0, name="d")
    sampler = BatchSampler([data], batch_size=16, seed=0)
    full = 0
    for _ in range(300):
        _, rows = sampler.next_batch()
        texts = [t for row in rows for t in row]
        assert len(texts) == len(set(texts))
        full += len(rows) == 16
    assert full > 250  # collisions are deferred, not turned into short batches


def test_weights_and_one_dataset_per_batch() -> None:
    datasets = [_crowded(200, 1000, s, f"d{s}", w) for s, w in enumerate([1.0, 2.0, 5.0])]
    sampler = BatchSampler(datasets, batch_size=4, seed=1)
    counts: Counter[str] = Counter()
    draws = 4000
    for _ in range(draws):
        name, rows = sampler.next_batch()
        assert all(t.startswith(f"{name}-") for row in rows for t in row)
        counts[name] += 1
    for name, expected in (("d0", 1 / 8), ("d1", 2 / 8), ("d2", 5 / 8)):
        assert abs(counts[name] / draws - expected) < 0.025, counts


def test_every_row_is_seen_each_epoch() -> None:
    data = Dataset("d", [(f"a{i}", f"b{i}") for i in range(50)])
    sampler = BatchSampler([data], batch_size=10, seed=2)
    seen = [row for _ in range(5) for row in sampler.next_batch()[1]]
    assert sorted(seen) == sorted(data.rows)


def test_state_round_trip_continues_the_same_batches() -> None:
    datasets = [_crowded(300, 80, 0, "x", 1.0), _crowded(300, 80, 1, "y", 3.0)]
    a = BatchSampler(datasets, 8, seed=5)
    for _ in range(37):
        a.next_batch()
    state = json.loads(json.dumps(a.state_dict()))  # JSON-able
    b = BatchSampler(datasets, 8, seed=99)
    b.load_state_dict(state)
    assert [a.next_batch() for _ in range(50)] == [b.next_batch() for _ in range(50)]


def test_bad_weights_and_batch_size() -> None:
    data = Dataset("d", [("a", "b")])
    with pytest.raises(InputError, match="weights must be positive"):
        BatchSampler([Dataset("d", [("a", "b")], 0.0)], 4)
    with pytest.raises(InputError, match="batch_size must be >= 2"):
        BatchSampler([data], 1)
