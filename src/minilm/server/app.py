"""The FastAPI app factory: routes, error handlers, middleware, and the model's lifecycle.

Middleware, outermost first: request metrics -> no framing (every response) -> request-head size -> CORS (when
configured) -> API keys -> request body (size cap, read deadline, JSON only) -> routes.
Every error is a JSON body (errors.py); a request the server cannot understand is a 4xx, never a 500: any
MinilmError a route raises is one (the library's refusals of the request's input or arguments).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response

from minilm.encoder import Encoder
from minilm.errors import IndexLockedError, MinilmError, TooLongError, shown
from minilm.server import ollama, openai, page, search_route, tei
from minilm.server.auth import AuthMiddleware
from minilm.server.config import ServerConfig
from minilm.server.errors import ApiError, error_response
from minilm.server.framing import NoFramingMiddleware
from minilm.server.index_access import SearchIndex
from minilm.server.metrics import RequestMetricsMiddleware
from minilm.server.request_body import HeadLimitMiddleware, RequestBodyMiddleware
from minilm.server.schemas import ROOT_TAGS, Health
from minilm.server.service import ClientGoneError, OnReady, Service
from minilm.version import __version__

log = logging.getLogger(__name__)

CLIENT_CLOSED = 499  # nginx's status for "the client closed the connection": only ever seen in metrics


def create_app(config: ServerConfig, loader: Callable[[], Encoder], index: SearchIndex | None = None,
               on_ready: OnReady | None = None) -> FastAPI:  # fmt: skip
    """An app serving the model that `loader` returns (called on a background thread at startup); `on_ready`
    is called with the encoder once it is loaded and warmed up (when /health turns ok)."""
    service = Service(config, loader, index, on_ready)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()
        yield
        service.stop()

    app = FastAPI(
        title="minilm",
        summary="all-MiniLM-L6-v2 sentence embeddings: OpenAI- and text-embeddings-inference-compatible",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.service = service
    app.include_router(openai.router)
    app.include_router(tei.router)
    app.include_router(ollama.router)
    app.include_router(search_route.router)
    app.include_router(page.router)  # GET /ui: the search page
    _add_service_routes(app, service)
    _add_error_handlers(app)

    rejected = service.metrics.rejections
    app.add_middleware(RequestBodyMiddleware, max_bytes=config.max_payload_bytes, read_timeout_s=config.body_timeout_s,
                       on_reject=lambda why: rejected.labels(why).inc())  # fmt: skip
    app.add_middleware(AuthMiddleware, keys=config.api_keys, on_reject=lambda: rejected.labels("auth").inc())
    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])  # fmt: skip
    app.add_middleware(HeadLimitMiddleware, on_reject=lambda why: rejected.labels(why).inc())
    app.add_middleware(NoFramingMiddleware)
    routes = frozenset(app.openapi()["paths"])  # the API's paths: metric labels for anything else are "other"
    app.add_middleware(RequestMetricsMiddleware, metrics=service.metrics, routes=routes)
    return app


def _add_service_routes(app: FastAPI, service: Service) -> None:
    async def health() -> JSONResponse:
        """200 once the model is loaded and has computed a warm-up vector; 503 while loading or after a failure."""
        encoder = service.encoder
        body = Health(
            status=service.status,  # type: ignore[arg-type]
            model=service.config.model_id,
            engine=encoder.engine.name if encoder else None,
            dimension=encoder.dimension if encoder else None,
            queue_depth=service.batcher.pending if service.batcher else 0,
            detail=service.detail,
        )
        return JSONResponse(body.model_dump(), status_code=200 if service.status == "ok" else 503)

    # GET / and /ping are text-embeddings-inference's health routes (the Inference API's and SageMaker's); HEAD
    # answers like GET without a body, for load balancers that probe with HEAD.
    for path in ("/health", "/", "/ping"):
        name = f"health{path.replace('/', '_')}"
        app.add_api_route(path, health, methods=["GET"], response_model=Health, tags=["service"], name=name)
        app.add_api_route(path, health, methods=["HEAD"], include_in_schema=False, name=f"{name}_head")

    @app.get("/metrics", tags=["service"], response_class=Response)
    async def metrics() -> Response:
        """Prometheus text format: requests, inputs, tokens, batch sizes, queue depth, latency, rejections."""
        return Response(service.metrics.render(), media_type=service.metrics.content_type)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return error_response(request.url.path, exc.status, exc.message, exc.param, exc.code, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            detail = "; ".join(str(e.get("ctx", {}).get("error", e.get("msg"))) for e in errors)
            return error_response(request.url.path, 400, f"the request body is not valid JSON ({detail})")
        return error_response(request.url.path, 422, _describe(errors), param=_first_param(errors))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 400 and "parsing the body" in message:
            message = _unreadable_body(exc.__cause__)
        return error_response(request.url.path, exc.status_code, message, headers=exc.headers)

    @app.exception_handler(MinilmError)
    async def minilm_error(request: Request, exc: MinilmError) -> Response:
        """The library refused something in the request (a text, a filter, an id): a 4xx with its message."""
        return error_response(request.url.path, _status_of(exc), str(exc))

    @app.exception_handler(ClientGoneError)
    async def client_gone(request: Request, exc: ClientGoneError) -> Response:
        return Response(status_code=CLIENT_CLOSED)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(request.url.path, 500, f"internal error ({type(exc).__name__}); see the server log")


def _status_of(exc: MinilmError) -> int:
    """The 4xx of a library error: 413 for a text over the token limit, 409 for an index held by a writer."""
    if isinstance(exc, TooLongError):
        return 413
    if isinstance(exc, IndexLockedError):
        return 409
    return 400


def _unreadable_body(cause: BaseException | None) -> str:
    """Why a JSON body could not be parsed, from the exception behind FastAPI's generic 400."""
    if isinstance(cause, RecursionError):
        return ("the request body nests arrays or objects deeper than the JSON parser allows (about "
                f"{sys.getrecursionlimit()} levels); flatten it")  # fmt: skip
    if isinstance(cause, UnicodeDecodeError):
        return (f"the request body is not UTF-8 (byte 0x{cause.object[cause.start]:02x} at position {cause.start}); "
                "send JSON encoded as UTF-8")  # fmt: skip
    return f"the request body could not be read as JSON ({type(cause).__name__ if cause else 'unknown cause'})"


def _describe(errors: object) -> str:
    """Pydantic's errors as one line: 'body.input: Input should be a valid string; ...' (first five)."""
    parts = []
    for e in list(errors)[:5]:  # type: ignore[call-overload]
        where = ".".join(_loc(e))
        if e.get("type") == "extra_forbidden":
            parts.append(f"{where}: unknown field; this route does not take it (check its spelling)")
        else:
            message = str(e.get("msg")).removeprefix("Value error, ")
            parts.append(f"{where}: {message if len(message) <= MAX_DETAIL else shown(message, MAX_DETAIL)}")
    return "; ".join(parts) or "the request body does not match the schema"


MAX_DETAIL = 300  # characters of one validation message; a field name (a client's key) is cut to ECHO_LIMIT


def _loc(error: dict[str, object]) -> list[str]:
    """An error's location without POST /'s tag (which of embed / similarity the body was read as); a long part
    (an unknown key a client sent) shown cut."""
    loc = [p if len(p) <= 60 else shown(p) for p in map(str, error.get("loc", ()))]  # type: ignore[call-overload]
    if len(loc) > 1 and loc[0] == "body" and loc[1] in ROOT_TAGS:
        del loc[1]
    return loc


def _first_param(errors: object) -> str | None:
    for e in list(errors)[:1]:  # type: ignore[call-overload]
        return ".".join(p for p in _loc(e) if p != "body") or None
    return None
