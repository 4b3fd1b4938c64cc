"""OpenAI's embeddings API: POST /v1/embeddings and GET /v1/models, for any OpenAI client unchanged."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from minilm.server.errors import ApiError
from minilm.server.responses import FastJSON, vector_b64
from minilm.server.schemas import EmbeddingRequest, EmbeddingResponse, ModelCard, ModelList, check_dimensions
from minilm.server.service import ServiceDep

router = APIRouter(prefix="/v1", tags=["OpenAI"])


@router.post("/embeddings", response_model=EmbeddingResponse)
async def embeddings(body: EmbeddingRequest, request: Request, service: ServiceDep) -> Response:
    """Embed text(s) or token-id arrays. Texts over 256 tokens are truncated, like the reference model.

    A token-id array must be a whole sequence of this model's WordPiece ids, [CLS] ... [SEP] (POST /tokenize gives
    them): ids of another tokenizer (tiktoken's, which LangChain's OpenAIEmbeddings sends unless created with
    check_embedding_ctx_length=False) are refused rather than embedded as nonsense.

    usage counts the tokens the model saw ([CLS] and [SEP] included) with the model's own tokenizer.
    dimensions=N (1..384) returns each vector's first N components scaled back to unit length, as OpenAI does.
    """
    encoder = service.ready_encoder()
    problem = check_dimensions(body.dimensions, encoder.dimension)
    if problem is not None:
        raise ApiError(400, problem, param="dimensions")
    raw = body.input
    if isinstance(raw, list) and raw and isinstance(raw[0], int):
        prepared = service.prepare_ids([raw])
    elif isinstance(raw, list) and raw and isinstance(raw[0], list):
        prepared = service.prepare_ids(raw)
    else:
        prepared = await service.prepare_texts(raw)
    done = await service.embed(prepared, request, "/v1/embeddings", dimensions=body.dimensions)
    tokens = sum(done.token_counts)
    if body.encoding_format == "base64":
        items = [{"object": "embedding", "index": i, "embedding": vector_b64(v)} for i, v in enumerate(done.vectors)]
    else:
        items = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(done.vectors)]
    return FastJSON(
        {"object": "list", "data": items, "model": service.config.model_id,
         "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
    )  # fmt: skip


@router.get("/models", response_model=ModelList)
async def models(service: ServiceDep) -> ModelList:
    """The one model this server runs."""
    return ModelList(data=[ModelCard(id=service.config.model_id)])
