"""POST /search: the nearest entries of the server's index (started with --index DIR) to a text or vector."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from minilm.server.errors import ApiError
from minilm.server.index_access import add_documents, hit_to_dict
from minilm.server.responses import FastJSON
from minilm.server.schemas import SearchRequest, SearchResponse
from minilm.server.service import ServiceDep

router = APIRouter(tags=["search"])


def unit_query(values: list[float | int], dimension: int) -> np.ndarray:
    """A query vector scaled to unit length (D,) float32; the scaling is done in float64.

    The index scores by inner product with unit vectors, so the query's length only scales every score; but in
    float32 a vector of norm 1e20 overflows when squared and one of norm 1e-20 underflows, which ranks by garbage.
    A zero or non-finite vector has no direction and is refused.
    """
    query = np.asarray(values, dtype=np.float64)  # (D,)
    if query.shape != (dimension,):
        raise ApiError(400, f"query vector has {query.size} values, expected {dimension}", param="query")
    if not np.isfinite(query).all():
        raise ApiError(400, "query vector holds a non-finite value (inf or nan after parsing)", param="query")
    peak = np.abs(query).max()
    if peak == 0:
        raise ApiError(400, "query vector is all zeros: it has no direction to search along", param="query")
    scaled = query / peak  # max |x| = 1: the norm below cannot overflow or underflow
    return (scaled / np.linalg.norm(scaled)).astype(np.float32)


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
        query = unit_query(body.query, encoder.dimension)
    hits = await run_in_threadpool(service.index.search, query, body.k, body.filter)
    out = [hit_to_dict(h) for h in hits]
    if body.include_document:
        await run_in_threadpool(add_documents, service.index, out)
    return FastJSON({"hits": out})
