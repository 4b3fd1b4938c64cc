"""text-embeddings-inference's routes: POST /embed, /embed_all, /tokenize, /similarity, / and /invocations, GET /info.

POST / and /invocations are TEI's default routes (what huggingface_hub's InferenceClient(base_url=...) and
SageMaker post to). TEI serves embed there, or similarity when started with TASK=sentence-similarity; this server
answers both from the body's shape: `inputs` as {source_sentence, sentences} (or `pairs`) is a similarity request,
anything else an embed request.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from minilm.errors import InputError
from minilm.inputs import as_texts
from minilm.server.errors import ApiError
from minilm.server.responses import FastJSON
from minilm.server.schemas import (
    EmbedAllRequest,
    EmbedRequest,
    RootRequest,
    SimilarityRequest,
    TokenInfo,
    TokenizeRequest,
    check_dimensions,
)
from minilm.server.service import Service, ServiceDep
from minilm.tokenizer import Tokenizer
from minilm.version import __version__

router = APIRouter(tags=["text-embeddings-inference"])


@router.post("/embed", response_model=list[list[float]])
async def embed(body: EmbedRequest, request: Request, service: ServiceDep) -> Response:
    """One vector per input. truncate (default true) cuts texts over 256 tokens; false makes them a 413."""
    return await _embed(body, request, service, "/embed")


@router.post("/", response_model=list[list[float]] | list[float])
@router.post("/invocations", response_model=list[list[float]] | list[float])
async def root(body: RootRequest, request: Request, service: ServiceDep) -> Response:
    """TEI's default route: an embed request, or a similarity request ({"inputs": {source_sentence, sentences}})."""
    if isinstance(body, SimilarityRequest):
        return await _similarity(body, request, service, request.url.path)
    return await _embed(body, request, service, request.url.path)


@router.get("/info")
async def info(service: ServiceDep) -> dict[str, object]:
    """The served model and the server's limits, in TEI's /info shape (plus engine and dimension)."""
    encoder = service.ready_encoder()
    c = service.config
    dtype = "int8" if "int8" in encoder.engine.name else "float32"
    return {
        "model_id": c.model_id,
        "model_sha": None,
        "model_dtype": dtype,
        "model_type": {"embedding": {"pooling": encoder.config.pooling.mode}},
        "max_concurrent_requests": c.max_connections,
        "max_input_length": encoder.max_seq_length,
        "max_batch_tokens": c.max_batch_tokens,
        "max_batch_requests": c.max_batch_size,
        "max_client_batch_size": c.max_inputs,
        "auto_truncate": True,
        "tokenization_workers": 1,
        "version": __version__,
        "engine": encoder.engine.name,
        "dimension": encoder.dimension,
    }


async def _embed(body: EmbedRequest, request: Request, service: Service, route: str) -> Response:
    problem = check_dimensions(body.dimensions, service.ready_encoder().dimension)
    if problem is not None:
        raise ApiError(400, problem, param="dimensions")
    truncate = body.truncate is not False  # null: TEI's "the server's default", which here is to truncate
    prepared = await service.prepare_texts(body.inputs, truncate=truncate, what="inputs")
    done = await service.embed(prepared, request, route, normalize=body.normalize, dimensions=body.dimensions)
    return FastJSON(done.vectors)


@router.post("/embed_all", response_model=list[list[list[float]]])
async def embed_all(body: EmbedAllRequest, service: ServiceDep) -> Response:
    """Each input's token embeddings (the last hidden states, [CLS] and [SEP] included, not pooled or normalized)
    of the tokens the model reads; at most max_embed_all_tokens in all per request (413 past it)."""
    encoder = service.ready_encoder()
    truncate = body.truncate is not False
    prepared = await service.prepare_texts(body.inputs, truncate=truncate, what="inputs")
    total, limit = sum(len(u) for u in prepared.units), service.config.max_embed_all_tokens
    if total > limit:
        service.metrics.rejections.labels("too_many_tokens").inc()
        raise ApiError(413, f"inputs have {total:,} tokens in all, over the limit of {limit:,} per /embed_all request "
                            "(--max-embed-all-tokens); send fewer or shorter texts", param="inputs",
                            code="too_many_tokens")  # fmt: skip
    async with service.token_work:
        states = await run_in_threadpool(encoder.token_states, prepared.units)
    return FastJSON([np.ascontiguousarray(s) for s in states])


@router.post("/tokenize", response_model=list[list[TokenInfo]])
async def tokenize(body: TokenizeRequest, service: ServiceDep) -> Response:
    """Each input's full word-piece tokenization with character spans (the model sees the first 256); at most
    max_tokenize_tokens in all per request (413 past it). Built off the event loop, a bounded piece at a time."""
    encoder = service.ready_encoder()
    try:
        texts, _ = as_texts(body.inputs)  # a lone surrogate ("\ud800") cannot be tokenized: name it
    except InputError as exc:
        raise ApiError(400, f"inputs: {exc}", param="inputs") from None
    service.check_count(len(texts), "inputs")
    service.check_chars(texts, "inputs")
    try:
        out = await run_in_threadpool(_tokenized, encoder.tokenizer, texts, body.add_special_tokens,
                                      service.config.max_tokenize_tokens)  # fmt: skip
    except ApiError:
        service.metrics.rejections.labels("too_many_tokens").inc()
        raise
    return Response(out, media_type="application/json")


ROUND_CHARS = 16_384  # characters tokenized per round of /tokenize (the tokenizer holds ~0.5 KB per token read)


def _tokenized(tokenizer: Tokenizer, texts: list[str], add_special_tokens: bool, limit: int) -> bytes:
    """/tokenize's JSON body, written token by token (no dict per token).

    Texts are read piece by piece (Tokenizer.scan: the same pieces as tokenizing each whole text), about
    ROUND_CHARS characters per round, and the request is a 413 as soon as its tokens pass `limit`: a request
    costs at most about `limit` tokens of work and memory, however long its texts.
    """
    cls, sep = (_special(i, str(tokenizer.backend.id_to_token(i))) for i in (tokenizer.cls_id, tokenizer.sep_id))
    total, out = 0, list[bytes]()
    for group in _rounds(texts, tokenizer.piece_chars):
        pieces: list[list[bytes]] = [[cls] if add_special_tokens else [] for _ in group]
        total += 2 * len(group)  # [CLS] and [SEP]
        for round_ in tokenizer.scan([texts[i] for i in group], lambda _: False):
            for j, run in round_:
                text = texts[group[j]]
                total += len(run.ids)
                pieces[j].extend(b'{"id":%d,"text":%s,"special":false,"start":%d,"stop":%d}'
                                 % (token_id, orjson.dumps(text[start:stop]), start, stop)
                                 for token_id, (start, stop) in zip(run.ids, run.offsets, strict=True))  # fmt: skip
            if total > limit:
                raise ApiError(413, f"the inputs have over {limit:,} tokens (at least {total:,} counted by input "
                                    f"{group[-1]}), over the limit per /tokenize request (--max-tokenize-tokens); "
                                    "send fewer or shorter texts", param="inputs", code="too_many_tokens")  # fmt: skip
        out.extend(b"[" + b",".join([*p, sep] if add_special_tokens else p) + b"]" for p in pieces)
    return b"[" + b",".join(out) + b"]"


def _special(token_id: int, text: str) -> bytes:
    return b'{"id":%d,"text":%s,"special":true,"start":null,"stop":null}' % (token_id, orjson.dumps(text))


def _rounds(texts: list[str], piece_chars: int) -> Iterator[list[int]]:
    """Indices of texts in groups whose first pieces hold about ROUND_CHARS characters together (at least one)."""
    group: list[int] = []
    chars = 0
    for i, text in enumerate(texts):
        size = min(len(text), piece_chars)
        if group and chars + size > ROUND_CHARS:
            yield group
            group, chars = [], 0
        group.append(i)
        chars += size
    if group:
        yield group


@router.post("/similarity", response_model=list[float])
async def similarity(body: SimilarityRequest, request: Request, service: ServiceDep) -> Response:
    """Cosine similarity: a source sentence against sentences (TEI's `inputs`), or each of a list of `pairs`."""
    return await _similarity(body, request, service, "/similarity")


async def _similarity(body: SimilarityRequest, request: Request, service: Service, route: str) -> Response:
    if (body.inputs is None) == (body.pairs is None):
        raise ApiError(400, "give exactly one of 'inputs' {source_sentence, sentences} or 'pairs' [[a, b], ...]")
    truncate = body.parameters is None or body.parameters.truncate is not False
    if body.inputs is not None:
        texts = [body.inputs.source_sentence, *body.inputs.sentences]
        service.check_count(len(texts) - 1, "inputs.sentences")
        prepared = await service.prepare_texts(texts, truncate=truncate, what="inputs")
        done = await service.embed(prepared, request, route, normalize=True)  # cosine, whatever the model's pipeline
        scores = done.vectors[1:] @ done.vectors[0]  # (N,)
    else:
        assert body.pairs is not None
        service.check_count(2 * len(body.pairs), "pairs")
        flat = [text for pair in body.pairs for text in pair]
        done = await service.embed(await service.prepare_texts(flat, truncate=truncate, what="pairs"), request,
                                   route, normalize=True)  # fmt: skip
        scores = (done.vectors[0::2] * done.vectors[1::2]).sum(axis=1)  # (N,) both sides unit length
    return FastJSON([float(s) for s in scores])
