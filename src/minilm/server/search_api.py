"""POST /search: the nearest entries of the server's index (started with --index DIR) to a text or vector."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from minilm.server.errors import ApiError
from minilm.server.responses import FastJSON
from minilm.server.schemas import SearchRequest, SearchResponse
from minilm.server.search import add_documents, hit_to_dict
from minilm.server.service import ServiceDep

router = APIRouter(tags=["search"])


@router.post("/search", response_model=SearchResponse)
async def search(body: SearchRequest, request: Request, service: ServiceDep) -> Response:
    """The k best hits for `query` (a text, embedded here, or a vector), optionally filtered on metadata."""
    if service.index is None:
        raise ApiError(404, "this server has no index: start it with `minilm serve --index DIR` to use /search")
    encoder = service.ready_encoder()
    if isinstance(body.query, str):
        done = await service.embed(await service.units_from_texts([body.query], what="query"), request, "/search")
        query = done.vectors[0]
    else:
        query = np.asarray(body.query, dtype=np.float32)
        if query.shape != (encoder.dimension,) or not np.isfinite(query).all():
            raise ApiError(400, f"query vector has {query.size} values, expected {encoder.dimension} finite "
                                "floats", param="query")  # fmt: skip
    hits = await run_in_threadpool(service.index.search, query, body.k, body.filter)
    out = [hit_to_dict(h) for h in hits]
    if body.include_document:
        await run_in_threadpool(add_documents, service.index, out)
    return FastJSON({"hits": out})
