"""text-embeddings-inference's routes: POST /embed, /tokenize, /similarity, in TEI's request shapes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from minilm.server.errors import ApiError
from minilm.server.responses import FastJSON
from minilm.server.schemas import EmbedRequest, SimilarityRequest, TokenInfo, TokenizeRequest
from minilm.server.service import ServiceDep

router = APIRouter(tags=["text-embeddings-inference"])


@router.post("/embed", response_model=list[list[float]])
async def embed(body: EmbedRequest, request: Request, service: ServiceDep) -> Response:
    """One vector per input. truncate (default true) cuts texts over 256 tokens; false makes them a 413."""
    units = await service.units_from_texts(body.inputs, truncate=body.truncate, what="inputs")
    done = await service.embed(units, request, "/embed", normalize=body.normalize)
    return FastJSON(done.vectors)


@router.post("/tokenize", response_model=list[list[TokenInfo]])
async def tokenize(body: TokenizeRequest, service: ServiceDep) -> Response:
    """Each input's full word-piece tokenization with character spans (the model sees the first 256)."""
    encoder = service.ready_encoder()
    texts = [body.inputs] if isinstance(body.inputs, str) else body.inputs
    service.check_count(len(texts), "inputs")
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
    if (body.inputs is None) == (body.pairs is None):
        raise ApiError(400, "give exactly one of 'inputs' {source_sentence, sentences} or 'pairs' [[a, b], ...]")
    if body.inputs is not None:
        texts = [body.inputs.source_sentence, *body.inputs.sentences]
        service.check_count(len(texts) - 1, "inputs.sentences")
        done = await service.embed(await service.units_from_texts(texts, what="inputs"), request, "/similarity")
        scores = done.vectors[1:] @ done.vectors[0]  # (N,)
    else:
        assert body.pairs is not None
        service.check_count(2 * len(body.pairs), "pairs")
        flat = [text for pair in body.pairs for text in pair]
        done = await service.embed(await service.units_from_texts(flat, what="pairs"), request, "/similarity")
        scores = (done.vectors[0::2] * done.vectors[1::2]).sum(axis=1)  # (N,) both sides unit length
    return FastJSON([float(s) for s in scores])
