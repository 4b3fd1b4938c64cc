"""POST /search: the nearest entries of the server's index (started with --index DIR) to a text or vector.

With include_document, each hit's whole document is read in the same database snapshot as the hit (so a writer
replacing or deleting it meanwhile cannot mix versions), and a response carries at most
ServerConfig.max_document_bytes (8 MiB) of documents: hits in rank order, the document that passes the cap cut
at a character boundary and the ones after it empty, each such hit marked `document_truncated: true`.
"""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from minilm.pooling import unit_rows
from minilm.server.errors import ApiError
from minilm.server.index_access import hit_to_dict, search_with_documents
from minilm.server.responses import FastJSON
from minilm.server.schemas import SearchRequest, SearchResponse
from minilm.server.service import ServiceDep

router = APIRouter(tags=["search"])


def unit_query(values: list[float | int], dimension: int) -> np.ndarray:
    """A query vector scaled to unit length (D,) float32 (pooling.unit_rows: scaled in float64, so a norm of
    1e20 or 1e-20 neither overflows nor underflows). A zero or non-finite vector has no direction and is refused."""
    query = np.asarray(values, dtype=np.float64)  # (D,)
    if query.shape != (dimension,):
        raise ApiError(400, f"query vector has {query.size} values, expected {dimension}", param="query")
    if not np.isfinite(query).all():
        raise ApiError(400, "query vector holds a non-finite value (inf or nan after parsing)", param="query")
    if not query.any():
        raise ApiError(400, "query vector is all zeros: it has no direction to search along", param="query")
    return unit_rows(query).astype(np.float32)


@router.post("/search", response_model=SearchResponse)
async def search(body: SearchRequest, request: Request, service: ServiceDep) -> Response:
    """The k best hits for `query` (a text, embedded here, or a vector), optionally filtered on metadata; mode
    "lexical" or "hybrid" ranks by the text's words too (the text embedded only for hybrid)."""
    if service.index is None:
        raise ApiError(404, "this server has no index: start it with `minilm serve --index DIR` to use /search")
    if body.mode != "dense":
        return await _search_mode(body, request, service)
    encoder = service.ready_encoder()
    if isinstance(body.query, str):
        done = await service.embed(await service.prepare_texts([body.query], what="query"), request, "/search")
        query = done.vectors[0]
    else:
        query = unit_query(body.query, encoder.dimension)
    if body.include_document:
        hits = await run_in_threadpool(search_with_documents, service.index, query, body.k, body.filter,
                                       service.config.max_document_bytes)  # fmt: skip
    else:
        hits = await run_in_threadpool(service.index.search, query, body.k, body.filter)
    return FastJSON({"hits": [hit_to_dict(h, body.include_document) for h in hits]})


async def _search_mode(body: SearchRequest, request: Request, service: ServiceDep) -> Response:
    searcher = getattr(service.index, "search_mode", None)
    if searcher is None:
        raise ApiError(400, f"this server's index searches by vector only; mode {body.mode!r} needs a minilm index",
                       param="mode")  # fmt: skip
    if not isinstance(body.query, str):
        raise ApiError(400, f"mode {body.mode!r} matches the query's words: send the query as a text", param="query")
    query = None
    if body.mode == "hybrid":
        service.ready_encoder()
        done = await service.embed(await service.prepare_texts([body.query], what="query"), request, "/search")
        query = done.vectors[0]
    budget = service.config.max_document_bytes if body.include_document else None
    hits = await run_in_threadpool(searcher, query, body.query, body.k, body.filter, body.mode, budget)
    return FastJSON({"hits": [hit_to_dict(h, body.include_document) for h in hits]})
