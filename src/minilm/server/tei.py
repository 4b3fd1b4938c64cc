"""text-embeddings-inference's routes: POST /embed, /tokenize, /similarity, / and /invocations, GET /info.

POST / and /invocations are TEI's default routes (what huggingface_hub's InferenceClient(base_url=...) and
SageMaker post to). TEI serves embed there, or similarity when started with TASK=sentence-similarity; this server
answers both from the body's shape: `inputs` as {source_sentence, sentences} (or `pairs`) is a similarity request,
anything else an embed request.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from minilm.errors import InputError
from minilm.inputs import as_texts
from minilm.server.errors import ApiError
from minilm.server.responses import FastJSON
from minilm.server.schemas import (
    EmbedRequest,
    RootRequest,
    SimilarityRequest,
    TokenInfo,
    TokenizeRequest,
    check_dimensions,
)
from minilm.server.service import Service, ServiceDep
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
    units = await service.units_from_texts(body.inputs, truncate=truncate, what="inputs")
    done = await service.embed(units, request, route, normalize=body.normalize)
    return FastJSON(done.vectors)


@router.post("/tokenize", response_model=list[list[TokenInfo]])
async def tokenize(body: TokenizeRequest, service: ServiceDep) -> Response:
    """Each input's full word-piece tokenization with character spans (the model sees the first 256)."""
    encoder = service.ready_encoder()
    try:
        texts, _ = as_texts(body.inputs)  # a lone surrogate ("\ud800") cannot be tokenized: name it
    except InputError as exc:
        raise ApiError(400, f"inputs: {exc}", param="inputs") from None
    service.check_count(len(texts), "inputs")
    service.check_chars(texts, "inputs")
    tokenized = await run_in_threadpool(encoder.tokenizer.encode, texts)
    specials = {encoder.tokenizer.cls_id, encoder.tokenizer.sep_id}
    out = []
    for text, tokens in zip(texts, tokenized, strict=True):
        pieces = []
        for token_id, (start, stop) in zip(tokens.ids, tokens.offsets, strict=True):
            special = token_id in specials and start == stop
            if special and not body.add_special_tokens:
                continue
            piece = encoder.tokenizer.backend.id_to_token(token_id) if special else text[start:stop]
            span = (None, None) if special else (start, stop)
            pieces.append({"id": token_id, "text": piece, "special": special, "start": span[0], "stop": span[1]})
        out.append(pieces)
    return FastJSON(out)


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
        units = await service.units_from_texts(texts, truncate=truncate, what="inputs")
        done = await service.embed(units, request, route, normalize=True)  # cosine, whatever the model's pipeline
        scores = done.vectors[1:] @ done.vectors[0]  # (N,)
    else:
        assert body.pairs is not None
        service.check_count(2 * len(body.pairs), "pairs")
        flat = [text for pair in body.pairs for text in pair]
        done = await service.embed(await service.units_from_texts(flat, truncate=truncate, what="pairs"), request,
                                   route, normalize=True)  # fmt: skip
        scores = (done.vectors[0::2] * done.vectors[1::2]).sum(axis=1)  # (N,) both sides unit length
    return FastJSON([float(s) for s in scores])
