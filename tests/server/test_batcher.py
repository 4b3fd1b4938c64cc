"""The dynamic batcher on the tiny model: merged requests give the library's vectors, in order."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from minilm import batching
from minilm.server.batcher import Batcher, BatcherClosedError, QueueFullError

TEXTS = ["the cat sat on the mat", "a dog", "hello world !", "today is a sunny day", "the", "that is a happy person",
         "run , run", "the cat sat on the mat the dog sat on the mat the cat", "é", "?"]  # fmt: skip


class Recorder:
    """A BatchObserver that keeps what it is told."""

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.padded: list[int] = []
        self.dropped = 0

    def on_batch(self, rows: int, padded_tokens: int, seconds: float) -> None:
        self.batches.append(rows)
        self.padded.append(padded_tokens)

    def on_queue_depth(self, inputs: int) -> None:
        pass

    def on_dropped(self, inputs: int) -> None:
        self.dropped += inputs


class Gate:
    """Wraps an engine so each forward waits for a permit: the test decides when batches run."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.name = engine.name
        self.threads = engine.threads
        self.permits = threading.Semaphore(0)
        self.entered = threading.Event()  # a batch reached the engine
        self.calls = 0

    def forward(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        self.entered.set()
        assert self.permits.acquire(timeout=30)
        self.calls += 1
        return self.engine.forward(ids, lengths)


def test_merged_requests_match_the_library_in_order(tiny) -> None:
    recorder = Recorder()
    batcher = Batcher(tiny, max_batch_tokens=24, max_batch_size=3, max_queue=100, observer=recorder)
    requests = [TEXTS, TEXTS[3:], TEXTS[:1], TEXTS[::-1]]
    prepared = [tiny.prepare(texts) for texts in requests]
    futures = [batcher.submit(p.units) for p in prepared]
    for texts, p, future in zip(requests, prepared, futures, strict=True):
        pooled = future.result(timeout=30)  # pooled, not normalized: the caller finishes them
        np.testing.assert_allclose(pooled, tiny.encode(texts, normalize=False), atol=1e-6, rtol=0)
        np.testing.assert_allclose(tiny.finish(p, pooled), tiny.encode(texts), atol=1e-6, rtol=0)
    assert max(recorder.batches) <= 3 and sum(recorder.batches) == sum(len(t) for t in requests)
    assert batcher.submit([]).result().shape == (0, tiny.dimension)
    batcher.close()


def test_each_window_is_planned_once_and_each_batch_is_one_engine_call(tiny) -> None:
    """The batcher's plan is the engine calls: nothing below it plans the batch again."""
    expected, units = tiny.encode(TEXTS, normalize=False), tiny.prepare(TEXTS).units
    plans: list[list[int]] = []
    plan = tiny.plan

    def counted(lengths, batch_size, max_tokens):  # type: ignore[no-untyped-def]
        cuts = list(plan(lengths, batch_size, max_tokens))
        plans.append([len(rows) for rows in cuts])
        return iter(cuts)

    tiny.plan = counted
    gate = Gate(tiny.engine)
    gate.permits.release(1000)
    tiny.engine = gate
    batcher = Batcher(tiny, max_batch_tokens=24, max_batch_size=3, max_queue=100, workers=1)
    pooled = batcher.submit(units).result(timeout=30)
    batcher.close()
    np.testing.assert_allclose(pooled, expected, atol=1e-6, rtol=0)
    assert len(plans) >= 1 and sum(map(sum, plans)) == len(TEXTS)  # only the batcher's windows were planned
    assert gate.calls == sum(map(len, plans))  # one engine call per planned batch


def test_concurrent_requests_share_batches(tiny) -> None:
    expected = tiny.encode(TEXTS[2:], normalize=False)
    gate = Gate(tiny.engine)
    tiny.engine = gate
    recorder = Recorder()
    batcher = Batcher(tiny, max_batch_tokens=1000, max_batch_size=64, max_queue=100, observer=recorder)
    first = batcher.submit(tiny.tokenizer(TEXTS[:2]))
    assert gate.entered.wait(30)  # the worker has taken the first request and waits at the gate
    later = [batcher.submit(tiny.tokenizer([t])) for t in TEXTS[2:]]
    gate.permits.release(10)
    first.result(timeout=30)
    for row, future in zip(expected, later, strict=True):
        np.testing.assert_allclose(future.result(timeout=30)[0], row, atol=1e-6, rtol=0)
    together = [len(rows) for rows in batching.plan([len(u) for u in tiny.tokenizer(TEXTS[2:])], 64, 1000)]
    assert recorder.batches == [2, *together]  # the eight single-text requests were planned as one window
    batcher.close()


def test_workers_split_a_lone_request_and_run_side_by_side(tiny) -> None:
    texts = TEXTS * 3
    expected = tiny.encode(texts, normalize=False)
    gate = Gate(tiny.engine)
    tiny.engine = gate
    inside = threading.Barrier(2, timeout=30)  # passes only when two batches are in the engine at once
    forward, first_calls = gate.forward, iter(range(2))

    def side_by_side(ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        if next(first_calls, None) is not None:  # each worker's first batch
            inside.wait()
        return forward(ids, lengths)

    gate.forward = side_by_side  # type: ignore[method-assign]
    recorder = Recorder()
    batcher = Batcher(tiny, max_batch_tokens=1000, max_batch_size=64, max_queue=100, observer=recorder, workers=2)
    assert batcher.wait_idle(30)  # both workers wait for work
    future = batcher.submit(tiny.tokenizer(texts))
    gate.permits.release(100)
    np.testing.assert_allclose(future.result(timeout=30), expected, atol=1e-6, rtol=0)
    assert sum(recorder.batches) == len(texts) and len(recorder.batches) >= 2
    batcher.close()
    with pytest.raises(ValueError, match="workers"):
        Batcher(tiny, workers=0)


def test_two_workers_on_the_onnx_engine_give_the_librarys_vectors(tiny_dir) -> None:  # type: ignore[no-untyped-def]
    import minilm

    model = minilm.load(tiny_dir, engine="onnx")
    batcher = Batcher(model, max_batch_tokens=40, max_batch_size=4, max_queue=1000, workers=2)
    requests = [TEXTS[i:] + TEXTS[:i] for i in range(10)] * 3
    futures = [batcher.submit(model.tokenizer(texts)) for texts in requests]
    for texts, future in zip(requests, futures, strict=True):
        np.testing.assert_allclose(future.result(timeout=60), model.encode(texts, normalize=False), atol=1e-6,
                                   rtol=0)  # fmt: skip
    batcher.close()


def test_full_queue_refuses_and_cancelled_work_is_dropped(tiny) -> None:
    expected = tiny.encode(TEXTS[5:7], normalize=False)
    gate = Gate(tiny.engine)
    tiny.engine = gate
    recorder = Recorder()
    batcher = Batcher(tiny, max_batch_tokens=1000, max_batch_size=1, max_queue=4, observer=recorder)
    running = batcher.submit(tiny.tokenizer(TEXTS[:1]))
    assert gate.entered.wait(30)
    cancelled = batcher.submit(tiny.tokenizer(TEXTS[:4]))
    with pytest.raises(QueueFullError, match="holds 4 inputs and takes at most 4") as refused:
        batcher.submit(tiny.tokenizer(TEXTS[:1]))
    assert refused.value.retry_after >= 1
    assert cancelled.cancel()
    kept = batcher.submit(tiny.tokenizer(TEXTS[5:7]))  # room again once the cancelled inputs are forgotten
    gate.permits.release(10)
    running.result(timeout=30)
    np.testing.assert_allclose(kept.result(timeout=30), expected, atol=1e-6, rtol=0)
    assert (recorder.dropped, gate.calls, batcher.pending) == (4, 3, 0), recorder.batches
    batcher.close()


def test_close_drains_then_refuses(tiny) -> None:
    batcher = Batcher(tiny, max_batch_size=2)
    future = batcher.submit(tiny.tokenizer(TEXTS))
    batcher.close(drain=True, timeout=30)
    assert future.result(timeout=0).shape == (len(TEXTS), tiny.dimension)
    with pytest.raises(BatcherClosedError):
        batcher.submit(tiny.tokenizer(TEXTS[:1]))


def test_engine_failure_reaches_the_request(tiny) -> None:
    class Broken:
        name, threads = "broken", None

        def forward(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
            raise RuntimeError("engine exploded")

    tiny.engine = Broken()
    batcher = Batcher(tiny)
    with pytest.raises(RuntimeError, match="engine exploded"):
        batcher.submit(tiny.tokenizer(TEXTS[:2])).result(timeout=30)
    batcher.close()


@pytest.mark.parametrize(("window_batches", "padded"), [(1, [1 * 3, 2 * 16, 2 * 16]), (2, [1 * 3, 2 * 16, 2 * 4])])
def test_a_window_of_several_batches_is_sorted_across_requests(tiny, window_batches: int, padded: list[int]) -> None:
    """Two requests (long, short) each: one-batch windows pad each short text to its long neighbour."""
    gate = Gate(tiny.engine)
    tiny.engine = gate
    recorder = Recorder()
    batcher = Batcher(tiny, max_batch_size=2, window_batches=window_batches, observer=recorder)
    long, short = " ".join(["the cat sat"] * 6), "a dog"  # 16 tokens after the cut, 4 tokens
    first = batcher.submit(tiny.tokenizer(["the"]))
    assert gate.entered.wait(30)  # the worker holds the first request at the gate
    pair = [batcher.submit(tiny.tokenizer([long, short])) for _ in range(2)]
    gate.permits.release(10)
    for future in (first, *pair):
        future.result(timeout=30)
    assert recorder.padded == padded
    batcher.close()


def test_the_queue_is_bounded_in_tokens(tiny) -> None:
    """Past max_queue_tokens a request is refused even with room for inputs; one over the bound alone still runs."""
    gate = Gate(tiny.engine)
    tiny.engine = gate
    batcher = Batcher(tiny, max_batch_size=1, max_queue=100, max_queue_tokens=40)
    long = tiny.tokenizer([" ".join(["the cat sat"] * 6)])  # 16 tokens
    running = batcher.submit(tiny.tokenizer(["the"]))
    assert gate.entered.wait(30)  # the queue is empty again, one batch at the gate
    too_big = batcher.submit(long * 3)  # 48 tokens: over the bound, but nothing waits, so it is taken
    with pytest.raises(QueueFullError, match="holds 48 tokens and takes at most 40; this request's 16") as refused:
        batcher.submit(long)
    assert refused.value.retry_after >= 1 and batcher.pending == 3 and batcher.pending_tokens == 48
    gate.permits.release(10)
    running.result(timeout=30)
    assert too_big.result(timeout=30).shape == (3, tiny.dimension)
    assert batcher.wait_idle(30) and batcher.pending_tokens == 0
    queued = [batcher.submit(long) for _ in range(2)]  # 32 tokens fit
    gate.permits.release(10)
    for future in queued:
        future.result(timeout=30)
    batcher.close()
