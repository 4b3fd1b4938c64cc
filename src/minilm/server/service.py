"""What the routes share: the loaded model, its batcher, the limits, and the path from texts to vectors.

The model loads on a background thread after the server starts listening, so /health can answer "loading"
(503) until the weights are read and a warm-up vector has come out of the engine; then it answers "ok".
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from minilm.encoder import Encoder, Prepared
from minilm.errors import InputError, shown
from minilm.inputs import as_texts
from minilm.pooling import unit_rows
from minilm.server.batcher import Batcher, BatcherClosedError, QueueFullError
from minilm.server.config import ServerConfig
from minilm.server.errors import ApiError
from minilm.server.index_access import SearchIndex
from minilm.server.metrics import Metrics

log = logging.getLogger(__name__)

INLINE_CHARS = 16_384  # requests with less text are prepared on the event loop (a thread hop costs more)


class ClientGoneError(Exception):
    """The client disconnected before its vectors were ready; its remaining work was dropped."""


@dataclass(frozen=True)
class Embedded:
    """Vectors (N, D) float32 in input order, and the tokens the model saw for each input."""

    vectors: np.ndarray
    token_counts: list[int]


OnReady = Callable[["Encoder"], None]


class Service:
    """The server's state: status, encoder, batcher, metrics, optional search index."""

    def __init__(self, config: ServerConfig, loader: Callable[[], Encoder], index: SearchIndex | None = None,
                 on_ready: OnReady | None = None):  # fmt: skip
        self.config = config
        self.on_ready = on_ready  # called once on the loading thread when /health turns ok
        # token states (/embed_all) run beside the batcher, at most `workers` requests at a time
        self.token_work = asyncio.Semaphore(config.workers)
        self.metrics = Metrics()
        self.index = index
        self.status = "loading"
        self.detail: str | None = None
        self.encoder: Encoder | None = None
        self.batcher: Batcher | None = None
        self._loader = loader
        self._loading: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Load the model and warm it up on a background thread."""
        self._loading = threading.Thread(target=self._load, name="minilm-load", daemon=True)
        self._loading.start()

    def _load(self) -> None:
        try:
            encoder = self._loader()
            c = self.config
            batcher = Batcher(encoder, c.max_batch_tokens, c.max_batch_size, c.max_queue, c.batch_wait_ms / 1000,
                              c.window_batches, self.metrics, c.workers, c.max_queue_tokens)  # fmt: skip
            warm = batcher.submit(encoder.prepare(["warm-up"]).units).result()  # one real vector from the engine
            if warm.shape != (1, encoder.dimension) or not np.isfinite(warm).all():
                raise RuntimeError(f"the warm-up vector is wrong: shape {warm.shape}")
        except Exception as exc:
            log.exception("the model could not be loaded")
            self.status, self.detail = "failed", f"{type(exc).__name__}: {exc}"
            return
        self.encoder, self.batcher = encoder, batcher
        self.status = "ok"
        self.metrics.ready.set(1)
        log.info("ready: %s on engine %s", encoder.name, encoder.engine.name)
        if self.on_ready is not None:
            self.on_ready(encoder)

    def stop(self) -> None:
        """Finish the queued work and stop the worker (in-flight requests have already been answered)."""
        if self._loading is not None:
            self._loading.join(self.config.shutdown_timeout_s)
        if self.batcher is not None:
            self.batcher.close(drain=True, timeout=self.config.shutdown_timeout_s)

    def ready_encoder(self) -> Encoder:
        """The encoder, or a 503 while loading (or after a failed load)."""
        if self.encoder is None:
            why = f"the model failed to load: {self.detail}" if self.status == "failed" else "the model is loading"
            raise ApiError(503, f"{why}; see GET /health", headers={"Retry-After": "1"})
        return self.encoder

    # -- texts to vectors ----------------------------------------------------------------------------------
    def check_count(self, n: int, what: str = "input") -> None:
        if n == 0:
            raise ApiError(400, f"{what} is an empty list; expected at least one text", param=what)
        if n > self.config.max_inputs:
            self.metrics.rejections.labels("too_many_inputs").inc()
            raise ApiError(413, f"{what} has {n} items, over the limit of {self.config.max_inputs} per request "
                                "(--max-inputs); split it into several requests", param=what)  # fmt: skip

    def check_chars(self, items: list[str], what: str = "input") -> None:
        """A 413 naming the first text over max_input_chars (the model reads ~1,500 characters of a text)."""
        limit = self.config.max_input_chars
        for i, text in enumerate(items):
            if len(text) > limit:
                self.metrics.rejections.labels("input_too_long").inc()
                raise ApiError(413, f"{what} {i} has {len(text):,} characters, over the limit of {limit:,} per "
                                    "input (--max-input-chars); the model reads only the start of a text (256 "
                                    "tokens for all-MiniLM-L6-v2): send that, or split the text",
                                    param=what, code="input_too_long")  # fmt: skip

    async def prepare_texts(self, texts: object, truncate: bool = True, what: str = "input") -> Prepared:
        """Texts through Encoder.prepare (one unit per text, cut to the model's limit), passed on whole to embed;
        with truncate=False a long text is a 413 naming it."""
        encoder = self.ready_encoder()
        try:
            items, _ = as_texts(texts)
        except InputError as exc:
            raise ApiError(400, f"{what}: {exc}", param=what) from None
        self.check_count(len(items), what)
        self.check_chars(items, what)
        if sum(len(t) for t in items) <= INLINE_CHARS:
            prepared = encoder.prepare(items)
        else:
            prepared = await run_in_threadpool(encoder.prepare, items)
        long = prepared.info.truncated
        if not truncate and long.any():
            i = int(long.argmax())
            count = f"{'' if prepared.info.exact[i] else 'at least '}{prepared.info.token_counts[i]}"
            raise ApiError(413, f"{what} {i} has {count} tokens, over the model's limit of {encoder.max_seq_length}; "
                                "shorten it or send truncate: true", param=what, code="input_too_long")  # fmt: skip
        return prepared

    def prepare_ids(self, arrays: Sequence[Sequence[int]], what: str = "input") -> Prepared:
        """Whole token-id sequences of this model, [CLS] ... [SEP], each cut to the model's limit.

        Nothing is added: ids of another tokenizer (tiktoken's, which LangChain's OpenAIEmbeddings sends by
        default) mostly fall inside this vocabulary and would embed as nonsense, so an array that is not framed
        by this tokenizer's [CLS] and [SEP] is refused with a message saying how to send text instead.
        """
        encoder = self.ready_encoder()
        self.check_count(len(arrays), what)
        tok, vocab = encoder.tokenizer, encoder.config.bert.vocab_size
        units = []
        for i, ids in enumerate(arrays):
            if len(ids) < 2 or ids[0] != tok.cls_id or ids[-1] != tok.sep_id:
                raise ApiError(
                    400, f"{what} {i} is a token-id array that does not start with [CLS]={tok.cls_id} and end with "
                    f"[SEP]={tok.sep_id}: token ids must be this model's own WordPiece ids of a whole sequence (POST "
                    "/tokenize gives them), or send the text itself. LangChain's OpenAIEmbeddings sends tiktoken "
                    "ids unless created with check_embedding_ctx_length=False", param=what, code="foreign_token_ids",
                )  # fmt: skip
            bad = next((t for t in ids if not 0 <= t < vocab), None)
            if bad is not None:
                raise ApiError(400, f"{what} {i} holds token id {shown(bad)}, outside this model's vocabulary "
                                    f"[0, {vocab})", param=what)  # fmt: skip
            units.append(tok.truncate(list(ids)))
        return Prepared.of_ids(units)

    async def embed(self, prepared: Prepared, request: Request, route: str, normalize: bool | None = None,
                    dimensions: int | None = None) -> Embedded:  # fmt: skip
        """Vectors for prepared inputs (one unit each) through the batcher, finished by the encoder (normalized as
        the model's Normalize module does unless `normalize` says); drops the work if the client leaves first.

        dimensions: keep each vector's first N components, scaled back to unit length when the vectors are
        normalized (OpenAI's shortened embeddings); docs/server.md has what it costs in quality."""
        encoder = self.ready_encoder()
        assert self.batcher is not None
        try:
            future = self.batcher.submit(prepared.units)
        except QueueFullError as exc:
            self.metrics.rejections.labels("queue_full").inc()
            raise ApiError(429, f"the server is busy: {exc}; retry after {exc.retry_after} s",
                           headers={"Retry-After": str(exc.retry_after)}) from None  # fmt: skip
        except BatcherClosedError:
            raise ApiError(503, "the server is shutting down", headers={"Retry-After": "1"}) from None
        pooled = await _unless_disconnected(asyncio.wrap_future(future), request)
        vectors = encoder.finish(prepared, pooled, normalize)
        if dimensions is not None and dimensions < vectors.shape[1]:
            vectors = vectors[:, :dimensions]
            normalized = encoder.config.pooling.normalize if normalize is None else normalize
            vectors = unit_rows(vectors).astype(np.float32) if normalized else np.ascontiguousarray(vectors)
        counts = [len(u) for u in prepared.units]  # one unit per input: the tokens the model saw
        self.metrics.inputs.labels(route).inc(len(counts))
        self.metrics.tokens.inc(sum(counts))
        return Embedded(vectors, counts)


async def _unless_disconnected(work: asyncio.Future[Any], request: Request) -> Any:
    """The result of `work`, or ClientGoneError (work cancelled) if the client disconnects first."""
    watcher = asyncio.ensure_future(_disconnect(request))
    try:
        done, _ = await asyncio.wait({work, watcher}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        work.cancel()
        raise
    finally:
        watcher.cancel()
    if work in done:
        return work.result()
    work.cancel()
    raise ClientGoneError


async def _disconnect(request: Request) -> None:
    """Returns when the ASGI server reports the client gone (the body has been read by then)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def get_service(request: Request) -> Service:
    """FastAPI dependency: the app's Service (async: a sync dependency costs each request a worker-thread hop)."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]
