"""Scheduling above the engines: tokenization prefetched one block ahead, results independent of block size."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from minilm import batching, encoder


def test_prefetched_keeps_order_and_runs_one_ahead() -> None:
    seen: list[tuple[int, str]] = []

    def fn(x: int) -> int:
        seen.append((x, threading.current_thread().name))
        return x * 10

    assert list(batching.prefetched(fn, [1, 2, 3])) == [10, 20, 30]
    assert [x for x, _ in seen] == [1, 2, 3]
    assert all(name.startswith("minilm-prefetch") for _, name in seen)
    assert list(batching.prefetched(fn, [])) == []


def test_prefetched_raises_at_the_failing_item() -> None:
    def fn(x: int) -> int:
        if x == 2:
            raise ValueError("bad item 2")
        return x

    got = []
    with pytest.raises(ValueError, match="bad item 2"):
        for value in batching.prefetched(fn, [1, 2, 3]):
            got.append(value)
    assert got == [1]


@pytest.mark.parametrize("engine", ["numpy", "onnx"])
def test_many_small_blocks_give_the_same_vectors(tiny_dir, monkeypatch, engine: str) -> None:  # type: ignore[no-untyped-def]
    import minilm

    model = minilm.load(tiny_dir, engine=engine)
    texts = [" ".join(["the cat sat"] * (i % 5 + 1)) + f" {'happy ' * (i % 3)}" for i in range(23)]
    whole, info = model.encode_with_info(texts)
    monkeypatch.setattr(encoder, "BLOCK", 4)
    blocked, blocked_info = model.encode_with_info(texts)
    np.testing.assert_allclose(blocked, whole, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(blocked_info.token_counts, info.token_counts)
    tokens = model.encode(texts, output="token")
    assert len(tokens) == len(texts) and [len(t) for t in tokens] == [len(ids) for ids in model.tokenize(texts)]


def test_core_budget_shares_a_sessions_cores_and_makes_another_session_wait() -> None:
    from minilm.engines.onnx.session import CoreBudget

    budget = CoreBudget(2)
    session, other = object(), object()
    inside = threading.Barrier(2, timeout=10)
    done: list[int] = []

    def run(k: int) -> None:
        with budget.hold(2, session):
            inside.wait()  # two runs of one session are inside at once, or this times out
            done.append(k)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(done) == [0, 1]

    other_started = threading.Event()

    def other_run() -> None:
        with budget.hold(5, other):  # more than there are: all 2
            other_started.set()

    with budget.hold(1, session):
        waiting = threading.Thread(target=other_run)
        waiting.start()
        assert not other_started.wait(0.3)  # one core is held by another session: it waits
    assert other_started.wait(10)  # released: it gets both
    waiting.join(10)
