"""Optional Bearer API keys, checked before any route runs (ASGI middleware).

Keys come from $MINILM_API_KEYS (comma-separated) or a key file (see config.read_api_keys). With no key the
server is open, which is the default on loopback; `minilm serve` warns when it binds a public interface open.
GET (and HEAD) of /health, / and /ping (the health probes), /metrics and the API docs stay open so that probes
and scrapers need no key; POST / (text-embeddings-inference's embed route) needs one like every other route.
The search page (/ui) is open too: it holds no data and sends the key the user gives it with each /search.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from minilm.server.errors import error_response

OPEN_PATHS = frozenset({"/health", "/", "/ping", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc",
                        "/openapi.json", "/ui", "/ui/app.js", "/ui/style.css"})  # fmt: skip
OPEN_METHODS = frozenset({"GET", "HEAD"})


class AuthMiddleware:
    """Refuses requests without `Authorization: Bearer <one of the keys>` with a 401 JSON error."""

    def __init__(self, app: ASGIApp, keys: frozenset[str], on_reject: Callable[[], None] | None = None):
        self.app = app
        self.keys = [k.encode() for k in keys]
        self.on_reject = on_reject

    def _allowed(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, token = value.partition(b" ")
                if scheme.lower() != b"bearer":
                    return False
                token = token.strip()
                # compare against every key in constant time, so timing does not reveal a prefix
                return any([hmac.compare_digest(token, key) for key in self.keys])
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.keys
            or (scope["path"] in OPEN_PATHS and scope["method"] in OPEN_METHODS)
            or scope["method"] == "OPTIONS"  # CORS preflight carries no credentials
            or self._allowed(scope)
        ):
            await self.app(scope, receive, send)
            return
        if self.on_reject is not None:
            self.on_reject()
        response = error_response(
            scope["path"], 401, "missing or wrong API key: send 'Authorization: Bearer <key>'",
            code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
        await response(scope, receive, send)
