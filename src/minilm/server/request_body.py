"""Request bodies read once, before any route (ASGI middleware): a size cap, a read deadline, JSON only.

- A declared Content-Length over the cap is a 413 at once; a chunked body is read up to the cap and refused as
  soon as it passes it, so a huge upload never sits in memory.
- The whole body must arrive within `read_timeout_s` of the request head (a client trickling bytes holds a
  connection and a task): past it, 408 and the connection is closed.
- A Content-Encoding (gzip, ...) is a 415: the server reads plain JSON only. Every Content-Encoding header and
  every coding listed in each is checked, so `gzip` hides behind no `identity`. A non-empty body whose
  Content-Type is not application/json (or +json) is a 415 naming the type seen, rather than a schema error.
- HeadLimitMiddleware (outside the API-key check): a request head (request line + headers) over MAX_HEAD_BYTES
  is a 431, however it arrived. connections.py refuses a head still incomplete past the limit; a complete one
  that came in one read reaches the app and is refused here.

The body read here is replayed to the app; later receive() calls (the disconnect watch) go to the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from email.message import Message as MimeHeader

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minilm.errors import shown
from minilm.server.connections import MAX_HEAD_BYTES
from minilm.server.errors import error_response


class _Refusal(Exception):
    """A body the server will not read: status, message, and the rejection reason counted in metrics."""

    def __init__(self, status: int, message: str, reason: str, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.reason, self.code = status, message, reason, code


class RequestBodyMiddleware:
    """Reads each request body under `max_bytes` and `read_timeout_s`; refuses what the routes cannot read."""

    def __init__(self, app: ASGIApp, max_bytes: int, read_timeout_s: float,
                 on_reject: Callable[[str], None] | None = None):  # fmt: skip
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout_s = read_timeout_s
        self.on_reject = on_reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope.get("headers", [])}
        try:
            _check_encodings(scope)
            self._check_head(headers)
            body = await self._read(receive)
            if body:
                _check_content_type(headers.get(b"content-type"))
        except _Refusal as refusal:
            if self.on_reject is not None:
                self.on_reject(refusal.reason)
            # the rest of an unread body would be taken as the next request: close the connection after this
            close = {"Connection": "close"} if refusal.status in (408, 413) else None
            response = error_response(scope["path"], refusal.status, refusal.message, code=refusal.code,
                                      headers=close)  # fmt: skip
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _check_head(self, headers: dict[bytes, bytes]) -> None:
        declared = headers.get(b"content-length")
        if declared is None:
            return
        try:
            length = int(declared)
        except ValueError:
            raise _Refusal(400, "the Content-Length header is not a number", "bad_request") from None
        if length > self.max_bytes:
            raise self._too_large(f"{length} bytes")

    async def _read(self, receive: Receive) -> bytes:
        try:
            return await asyncio.wait_for(self._read_all(receive), self.read_timeout_s)
        except TimeoutError:
            raise _Refusal(408, f"the request body did not arrive within {self.read_timeout_s:g} s (--body-timeout)",
                           "body_timeout", code="request_timeout") from None  # fmt: skip

    async def _read_all(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body and the disconnect
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                raise self._too_large(f"over {size} bytes")
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _too_large(self, size: str) -> _Refusal:
        message = f"the request body is {size}, over the limit of {self.max_bytes} bytes (--max-payload)"
        return _Refusal(413, message, "payload_too_large", code="payload_too_large")


class HeadLimitMiddleware:
    """431 and close for a request whose head is over MAX_HEAD_BYTES."""

    def __init__(self, app: ASGIApp, on_reject: Callable[[str], None] | None = None):
        self.app = app
        self.on_reject = on_reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = head_size(scope) if scope["type"] == "http" else 0
        if size <= MAX_HEAD_BYTES:
            await self.app(scope, receive, send)
            return
        if self.on_reject is not None:
            self.on_reject("header_too_large")
        message = f"the request head is {size} bytes, over the limit of {MAX_HEAD_BYTES} bytes (request line + headers)"
        response = error_response(scope["path"], 431, message, code="header_too_large",
                                  headers={"Connection": "close"})  # fmt: skip
        await response(scope, receive, send)


def head_size(scope: Scope) -> int:
    """The bytes of a request's head as sent: request line, each header line and the blank line after them."""
    target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
    line = len(scope["method"]) + target + (1 if scope.get("query_string") else 0) + len(" HTTP/1.1\r\n") + 1
    return line + sum(len(name) + len(value) + 4 for name, value in scope.get("headers", [])) + 2


def _check_encodings(scope: Scope) -> None:
    """Every Content-Encoding header, and every coding listed in each, must be identity (or empty)."""
    for name, value in scope.get("headers", []):
        if name.lower() != b"content-encoding":
            continue
        for coding in value.decode("latin-1").split(","):
            coding = coding.strip().lower()
            if coding not in ("", "identity"):
                raise _Refusal(415, f"Content-Encoding {shown(coding)} is not supported: send the JSON body "
                                    "uncompressed", "unsupported_media_type")  # fmt: skip


def _check_content_type(value: bytes | None) -> None:
    """A body must be declared JSON: application/json or application/<something>+json."""
    if value is None:
        raise _Refusal(415, "the request has a body but no Content-Type header: send Content-Type: "
                            "application/json", "unsupported_media_type")  # fmt: skip
    header = MimeHeader()
    header["content-type"] = value.decode("latin-1")
    subtype = header.get_content_subtype()
    if header.get_content_maintype() != "application" or not (subtype == "json" or subtype.endswith("+json")):
        raise _Refusal(415, f"Content-Type is {shown(header.get_content_type())}, but the body must be JSON: send "
                            "Content-Type: application/json", "unsupported_media_type")  # fmt: skip
