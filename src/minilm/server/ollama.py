"""Ollama's embedding API: POST /api/embed and /api/embeddings, GET /api/tags and /api/version.

An application written for Ollama (its `ollama` Python client, or LangChain's and LlamaIndex's Ollama
embeddings) gets this model's reference vectors by changing only the host: minilm's tokenizer (accents stripped
as the uncased reference does), the 256-token cut and the model's normalization. Any model name is accepted,
as on the other routes: the server's one model answers. Ollama's `options` and `keep_alive` are accepted and
have no effect (there is one model, always loaded).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field, StrictBool, StrictInt, StrictStr, field_validator
from starlette.responses import Response

from minilm.server.errors import ApiError
from minilm.server.responses import FastJSON
from minilm.server.schemas import StrictRequest, Texts, check_dimensions, check_texts
from minilm.server.service import ServiceDep
from minilm.version import __version__

router = APIRouter(prefix="/api", tags=["Ollama"])


class OllamaEmbedRequest(StrictRequest):
    """POST /api/embed."""

    model: StrictStr = Field(description="any name: the server's one model answers")
    input: Texts
    truncate: StrictBool | None = Field(True, description="false: a text over 256 tokens is an error naming it")
    dimensions: StrictInt | None = Field(None, description="1 ... 384: the first N components, re-normalized")
    options: dict[str, Any] | None = Field(None, description="accepted, no effect")
    keep_alive: StrictStr | StrictInt | float | None = Field(None, description="accepted, no effect")

    _input = field_validator("input", mode="before")(lambda value: check_texts(value, "input"))


class OllamaEmbeddingsRequest(StrictRequest):
    """POST /api/embeddings (Ollama's older route: one prompt, one vector)."""

    model: StrictStr = Field(description="any name: the server's one model answers")
    prompt: StrictStr
    options: dict[str, Any] | None = Field(None, description="accepted, no effect")
    keep_alive: StrictStr | StrictInt | float | None = Field(None, description="accepted, no effect")


@router.post("/embed")
async def embed(body: OllamaEmbedRequest, request: Request, service: ServiceDep) -> Response:
    """One vector per input, with Ollama's timings in nanoseconds and the tokens the model read."""
    started = time.perf_counter_ns()
    problem = check_dimensions(body.dimensions, service.ready_encoder().dimension)
    if problem is not None:
        raise ApiError(400, problem, param="dimensions")
    prepared = await service.prepare_texts(body.input, truncate=body.truncate is not False)
    done = await service.embed(prepared, request, "/api/embed", dimensions=body.dimensions)
    took = time.perf_counter_ns() - started
    return FastJSON({"model": body.model, "embeddings": done.vectors, "total_duration": took, "load_duration": 0,
                     "prompt_eval_count": sum(done.token_counts)})  # fmt: skip


@router.post("/embeddings")
async def embeddings(body: OllamaEmbeddingsRequest, request: Request, service: ServiceDep) -> Response:
    """The prompt's vector (the model's pipeline: normalized, as from /api/embed)."""
    done = await service.embed(await service.prepare_texts([body.prompt], what="prompt"), request, "/api/embeddings")
    return FastJSON({"embedding": done.vectors[0]})


@router.get("/tags")
async def tags(service: ServiceDep) -> dict[str, object]:
    """The one model, in Ollama's model-list shape."""
    encoder = service.ready_encoder()
    name = service.config.model_id
    weights = encoder.folder.path / "model.safetensors"
    details = {"format": "safetensors", "family": "bert", "families": ["bert"],
               "quantization_level": "Q8_0" if "int8" in encoder.engine.name else "F32"}  # fmt: skip
    return {"models": [{"name": name, "model": name, "modified_at": "1970-01-01T00:00:00Z",
                        "size": weights.stat().st_size if weights.is_file() else 0, "digest": encoder.sha256,
                        "details": details}]}  # fmt: skip


@router.get("/version")
async def version() -> dict[str, str]:
    """minilm's version (Ollama clients show it; none depends on it)."""
    return {"version": __version__}
