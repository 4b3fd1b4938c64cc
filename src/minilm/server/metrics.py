"""Prometheus metrics of one server: requests, inputs, tokens, batches, queue depth, latency, rejections.

Each app gets its own registry, so several servers (or tests) in one process never share counters.
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class Metrics:
    """The counters and histograms; also the batcher's observer (on_batch, on_queue_depth, on_dropped)."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("minilm_requests", "HTTP requests by route and status", ["route", "status"],
                                registry=r)  # fmt: skip
        self.latency = Histogram("minilm_request_seconds", "Request latency by route", ["route"],
                                 buckets=LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.inputs = Counter("minilm_inputs", "Texts embedded, by route", ["route"], registry=r)
        self.tokens = Counter("minilm_tokens", "Tokens embedded ([CLS]/[SEP] included, after truncation)",
                              registry=r)  # fmt: skip
        self.rejections = Counter("minilm_rejections", "Requests refused, by reason", ["reason"], registry=r)
        self.dropped = Counter("minilm_dropped_inputs", "Inputs dropped because their client went away",
                               registry=r)  # fmt: skip
        self.batch_rows = Histogram("minilm_batch_size", "Inputs per engine call", buckets=BATCH_BUCKETS,
                                    registry=r)  # fmt: skip
        self.batch_tokens = Histogram("minilm_batch_padded_tokens", "Padded tokens per engine call",
                                      buckets=tuple(64 * 2**i for i in range(10)), registry=r)  # fmt: skip
        self.batch_seconds = Histogram("minilm_batch_seconds", "Engine time per batch", buckets=LATENCY_BUCKETS,
                                       registry=r)  # fmt: skip
        self.queue_depth = Gauge("minilm_queue_depth", "Inputs waiting for the engine", registry=r)
        self.ready = Gauge("minilm_ready", "1 once the model is loaded and warmed up", registry=r)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)

    # -- the batcher's observer ----------------------------------------------------------------------------
    def on_batch(self, rows: int, padded_tokens: int, seconds: float) -> None:
        self.batch_rows.observe(rows)
        self.batch_tokens.observe(padded_tokens)
        self.batch_seconds.observe(seconds)

    def on_queue_depth(self, inputs: int) -> None:
        self.queue_depth.set(inputs)

    def on_dropped(self, inputs: int) -> None:
        self.dropped.inc(inputs)


class RequestMetricsMiddleware:
    """Counts every HTTP request by route and status and times it (ASGI middleware, outermost)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: frozenset[str]):
        self.app = app
        self.metrics = metrics
        self.routes = routes  # known paths; anything else is counted as "other" to bound label values

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = scope["path"] if scope["path"] in self.routes else "other"
        status = 500
        started = time.perf_counter()

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            self.metrics.requests.labels(route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
