"""HTTP errors as JSON bodies: OpenAI's shape under /v1, text-embeddings-inference's shape elsewhere.

OpenAI: {"error": {"message", "type", "param", "code"}}; TEI: {"error", "error_type"}. Every error the server
sends, 4xx or 5xx, is one of these; none is an HTML page or a bare string.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from minilm.errors import MinilmError, shown

MAX_MESSAGE_CHARS = 2_000
"""An error message longer than this is cut (with its length said): the last guard against echoed input, after
each message's own minilm.errors.shown."""

# HTTP status -> the error type word of each dialect
_OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
                 408: "timeout_error", 413: "invalid_request_error", 415: "invalid_request_error",
                 422: "invalid_request_error", 429: "rate_limit_error", 503: "server_unavailable"}  # fmt: skip
_TEI_TYPES = {400: "Validation", 401: "Unauthorized", 404: "NotFound", 408: "Validation", 413: "Validation",
              415: "Validation", 422: "Validation", 429: "Overloaded", 503: "Unhealthy"}  # fmt: skip


class ApiError(MinilmError):
    """A request the server refuses: status code, a message naming what was wrong, optional param/headers."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 headers: Mapping[str, str] | None = None):  # fmt: skip
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.headers = dict(headers or {})


def error_response(path: str, status: int, message: str, param: str | None = None, code: str | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:  # fmt: skip
    """The JSON error body for a request path, in the dialect its clients expect."""
    if len(message) > MAX_MESSAGE_CHARS:
        message = f"{message[:MAX_MESSAGE_CHARS]}... (message cut: {len(message):,} characters)"
    if param is not None and len(param) > 200:
        param = shown(param, 200)
    if path.startswith("/v1/"):
        body: dict[str, object] = {
            "error": {
                "message": message,
                "type": _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error"),
                "param": param,
                "code": code,
            }
        }
    else:
        body = {"error": message, "error_type": _TEI_TYPES.get(status, "Backend" if status >= 500 else "Validation")}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))
