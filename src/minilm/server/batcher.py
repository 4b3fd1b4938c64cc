"""The dynamic batcher: worker threads that share the engine merge the inputs of concurrent requests.

Requests submit units (token-id lists from Encoder.prepare). Each request's units are ordered longest first; a
worker takes a window of pending units from the requests in arrival order (a few batches' worth), cuts it into
length-sorted batches (Encoder.plan: at most max_batch_size rows, about max_batch_tokens padded tokens, split
where padding would cost more than another engine call), runs each as planned through Encoder.embed_batch (one
engine call, not planned again) and scatters the pooled vectors back into each request's rows. With two
workers, one batch runs in the engine's thread pool while the other runs beside it on its worker's thread. A
request's units may span several windows; its pooled vectors come back in its own order once all are done (the
caller finishes them with Encoder.finish). The queue is bounded in units and in tokens: past either, submit
raises QueueFullError, so a burst costs a 429, not memory (a request over the token bound alone is taken only
when nothing waits). A cancelled request's remaining units are dropped before they reach the engine.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
import time
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from minilm.encoder import DEFAULT_MAX_TOKENS, Encoder
from minilm.errors import MinilmError

log = logging.getLogger(__name__)


class QueueFullError(MinilmError):
    """The batcher's queue cannot take a request's inputs now; retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class BatcherClosedError(MinilmError):
    """The batcher is shutting down and takes no new work."""


class BatchObserver(Protocol):
    """What the batcher reports (the metrics module implements it)."""

    def on_batch(self, rows: int, padded_tokens: int, seconds: float) -> None: ...

    def on_queue_depth(self, inputs: int) -> None: ...

    def on_dropped(self, inputs: int) -> None: ...


@dataclass(eq=False)
class _Job:
    """One request's work: its token ids, the pooled vectors filled so far, and the future its caller awaits."""

    units: list[list[int]]
    vectors: np.ndarray  # (N, D) float32, rows filled as batches finish
    order: list[int]  # row indices, longest first
    future: Future[np.ndarray] = field(default_factory=Future)
    taken: int = 0  # rows of `order` handed to the worker
    done: int = 0  # rows whose vectors are in `vectors`
    waiting_tokens: int = 0  # tokens of the rows not yet taken

    @property
    def remaining(self) -> int:
        return len(self.order) - self.taken

    @property
    def cancelled(self) -> bool:
        return self.future.cancelled()


class Batcher:
    """Merges concurrent requests into token-budget batches, run by `workers` threads that share the engine.

    Each worker takes its own window of queued inputs, so with several workers batches run side by side: one in
    the engine's thread pool, the others on their workers' own threads.
    """

    def __init__(self, encoder: Encoder, max_batch_tokens: int = DEFAULT_MAX_TOKENS, max_batch_size: int = 32,
                 max_queue: int = 4096, batch_wait_s: float = 0.0, window_batches: int = 8,
                 observer: BatchObserver | None = None, workers: int = 1,
                 max_queue_tokens: int = 65_536):  # fmt: skip
        self.encoder = encoder
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_size = max_batch_size
        self.max_queue = max_queue
        self.max_queue_tokens = max_queue_tokens
        self.batch_wait_s = batch_wait_s
        self.window_batches = window_batches  # batches' worth of pending inputs sorted together (less padding)
        self.observer = observer
        self._jobs: collections.deque[_Job] = collections.deque()
        self._pending = 0  # inputs submitted and not yet taken by the worker
        self._pending_tokens = 0  # their tokens
        self._cond = threading.Condition()
        self._closing = False
        self._idle = 0  # workers waiting for work
        self._rate = 0.0  # recent tokens per second, for Retry-After
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self._threads = [threading.Thread(target=self._run, name=f"minilm-batcher-{i}", daemon=True)
                         for i in range(workers)]  # fmt: skip
        for thread in self._threads:
            thread.start()

    @property
    def pending(self) -> int:
        """Inputs waiting for the engine."""
        return self._pending

    @property
    def pending_tokens(self) -> int:
        """Tokens of the inputs waiting for the engine."""
        return self._pending_tokens

    def submit(self, units: list[list[int]]) -> Future[np.ndarray]:
        """Queue one request's units; the future gives their pooled vectors (U, D) float32 in order.

        Cancel the future to drop the units not yet embedded. Raises QueueFullError when the queue cannot
        take them all, and BatcherClosedError after close().
        """
        job = _Job(
            units=units,
            vectors=np.zeros((len(units), self.encoder.dimension), dtype=np.float32),
            order=sorted(range(len(units)), key=lambda i: -len(units[i])),
            waiting_tokens=sum(len(u) for u in units),
        )
        if not units:
            job.future.set_result(job.vectors)
            return job.future
        with self._cond:
            if self._closing:
                raise BatcherClosedError("the server is shutting down")
            self._check_room(len(units), job.waiting_tokens)
            self._jobs.append(job)
            self._pending += len(units)
            self._pending_tokens += job.waiting_tokens
            self._report_depth()
            self._cond.notify()
        job.future.add_done_callback(lambda future: self._forget_if_cancelled(job))
        return job.future

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every worker waits for work (nothing queued, no batch running); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._idle == len(self._threads) and not self._jobs, timeout)

    def close(self, drain: bool = True, timeout: float | None = None) -> None:
        """Stop taking work; finish what is queued (drain) or cancel it, and join the worker."""
        with self._cond:
            self._closing = True
            if not drain:
                for job in self._jobs:
                    job.future.cancel()
            self._cond.notify_all()
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    # -- worker --------------------------------------------------------------------------------------------
    def _check_room(self, inputs: int, tokens: int) -> None:
        """QueueFullError unless the queue takes `inputs` more units of `tokens` tokens (called under the lock)."""
        if self._pending + inputs > self.max_queue:
            raise QueueFullError(f"the queue holds {self._pending} inputs and takes at most {self.max_queue}; "
                                 f"this request's {inputs} would not fit", self._retry_after())  # fmt: skip
        if self._pending_tokens and self._pending_tokens + tokens > self.max_queue_tokens:
            raise QueueFullError(f"the queue holds {self._pending_tokens} tokens and takes at most "
                                 f"{self.max_queue_tokens}; this request's {tokens} would not fit",
                                 self._retry_after())  # fmt: skip

    def _retry_after(self) -> int:
        if self._rate <= 0:
            return 1
        return int(min(60, max(1, math.ceil(self._pending_tokens / self._rate))))

    def _report_depth(self) -> None:
        if self.observer is not None:
            self.observer.on_queue_depth(self._pending)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._idle += 1
                self._cond.notify_all()  # for wait_idle
                while not self._jobs and not self._closing:
                    self._cond.wait()
                self._idle -= 1
                if not self._jobs:
                    return  # closing and drained
            if self.batch_wait_s > 0 and self._pending < self.max_batch_size:
                time.sleep(self.batch_wait_s)  # a moment for concurrent requests to join this batch
            window = self._take_window()
            if window:
                self._embed(window)

    def _take_window(self) -> list[tuple[_Job, int]]:
        """Up to window_batches batches' worth of inputs and tokens, from the requests in arrival order.

        Sorting a window of several batches by length, rather than one batch at a time, keeps padding low when
        many short requests of mixed lengths arrive together (docs/pipeline.md has the figures).
        With idle workers beside this one, it takes only its share of the queue and wakes one of them for the
        rest, so a lone request is split across the cores rather than run on one.
        """
        window: list[tuple[_Job, int]] = []
        tokens = 0
        max_rows, max_tokens = self.max_batch_size * self.window_batches, self.max_batch_tokens * self.window_batches
        with self._cond:
            max_rows = max(1, min(max_rows, -(-self._pending // (self._idle + 1))))  # this worker's share, rounded up
            while self._jobs and len(window) < max_rows:
                job = self._jobs[0]
                if job.cancelled:
                    self._drop(self._jobs.popleft())
                    continue
                while job.remaining and len(window) < max_rows:
                    row = job.order[job.taken]
                    if window and tokens + len(job.units[row]) > max_tokens:
                        break
                    window.append((job, row))
                    tokens += len(job.units[row])
                    job.taken += 1
                    job.waiting_tokens -= len(job.units[row])
                    self._pending -= 1
                    self._pending_tokens -= len(job.units[row])
                if job.remaining:
                    break  # the budget is spent
                self._jobs.popleft()
            if self._jobs and self._idle:
                self._cond.notify()  # an idle worker takes the rest
            self._report_depth()
        return window

    def _forget_if_cancelled(self, job: _Job) -> None:
        """A cancelled request's queued inputs free their room at once (the worker skips the job later)."""
        if job.cancelled:
            with self._cond:
                self._drop(job)
                self._report_depth()

    def _drop(self, job: _Job) -> None:
        """Forget a cancelled request's inputs that never reached the engine (called under the lock)."""
        self._pending -= job.remaining
        self._pending_tokens -= job.waiting_tokens
        if self.observer is not None and job.remaining:
            self.observer.on_dropped(job.remaining)
        job.taken, job.waiting_tokens = len(job.order), 0

    def _embed(self, window: list[tuple[_Job, int]]) -> None:
        lengths = [len(job.units[row]) for job, row in window]
        for rows in self.encoder.plan(lengths, self.max_batch_size, self.max_batch_tokens):
            items = [window[i] for i in rows if not window[i][0].cancelled]
            if len(items) < len(rows) and self.observer is not None:
                self.observer.on_dropped(len(rows) - len(items))  # taken, but their requests went away since
            if not items:
                continue
            units = [job.units[row] for job, row in items]
            started = time.perf_counter()
            try:
                pooled = self.encoder.embed_batch(units)  # (B, D)
            except Exception as exc:  # the engine failed: every request in the batch gets the error
                log.exception("engine failed on a batch of %d inputs", len(items))
                for job, _ in items:
                    _settle(job.future, exc=exc)
                continue
            seconds = time.perf_counter() - started
            tokens = sum(len(u) for u in units)
            rate = tokens / max(seconds, 1e-6)  # tokens per second, smoothed for Retry-After
            self._rate = 0.8 * self._rate + 0.2 * rate if self._rate else rate
            if self.observer is not None:
                self.observer.on_batch(len(items), len(items) * max(len(u) for u in units), seconds)
            finished = []
            with self._cond:  # several workers may finish rows of the same request
                for (job, row), vector in zip(items, pooled, strict=True):
                    job.vectors[row] = vector
                    job.done += 1
                    if job.done == len(job.units):
                        finished.append(job)
            for job in finished:
                _settle(job.future, result=job.vectors)


def _settle(future: Future[np.ndarray], result: np.ndarray | None = None, exc: BaseException | None = None) -> None:
    """Complete a future unless its caller already cancelled it (or an earlier batch failed it)."""
    if future.done():
        return
    try:
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)  # type: ignore[arg-type]
    except InvalidStateError:  # cancelled between the check and the set
        pass
