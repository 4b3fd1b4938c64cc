"""A cap on request body size (ASGI middleware): past it, 413 before the body is parsed.

A declared Content-Length over the cap is refused at once; a chunked body is read up to the cap and refused
as soon as it passes it, so a huge upload never sits in memory.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minilm.server.errors import error_response


class BodyLimitMiddleware:
    """Refuses request bodies over max_bytes with a 413 JSON error."""

    def __init__(self, app: ASGIApp, max_bytes: int, on_reject: Callable[[], None] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.on_reject = on_reject

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        if self.on_reject is not None:
            self.on_reject()
        message = f"the request body is {size}, over the limit of {self.max_bytes} bytes (--max-payload)"
        await error_response(scope["path"], 413, message, code="payload_too_large")(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await error_response(scope["path"], 400, "the Content-Length header is not a number")(
                    scope, receive, send
                )
                return
            if length > self.max_bytes:
                await self._refuse(scope, receive, send, f"{length} bytes")
                return
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): buffer up to the cap, then replay the body to the app.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, f"over {size} bytes")
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
