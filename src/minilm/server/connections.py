"""How uvicorn treats connections: timeouts, a connection cap, and a deadline for the request head.

uvicorn closes idle keep-alive connections (`timeout_keep_alive`) and answers 503 past `limit_concurrency`, but it
has no limit on the time a client takes to send a request's headers: a client trickling one byte at a time holds
its connection for ever, and with httptools no limit on their size either. `HeaderDeadline` adds both to uvicorn's
own HTTP protocol class (httptools when installed, else h11): a connection must complete a request head within
`header_timeout_s` of connecting or of its previous response (else 408), in at most MAX_HEAD_BYTES (else 431);
either way the connection is then closed. The body's deadline is request_body.py's (an ASGI middleware).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from minilm.server.config import ServerConfig

MAX_HEAD_BYTES = 64 * 1024  # request line + headers; browsers and HTTP clients send well under 8 KiB


class HeaderDeadline:
    """Mixin for a uvicorn HTTP protocol: 408 and close when a request head is not complete in time."""

    header_timeout_s: float = 10.0
    # set by the uvicorn protocol this is mixed into
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        timer = getattr(self, "_head_timer", None)
        if timer is not None:
            timer.cancel()
        super().connection_lost(exc)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self._waiting_for_head():
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(431, "Request Header Fields Too Large", f"the request head is over {MAX_HEAD_BYTES} bytes")

    def _arm(self) -> None:
        timer = getattr(self, "_head_timer", None)
        if timer is not None:
            timer.cancel()
        self._armed_cycle, self._head_bytes = self.cycle, 0
        self._head_timer = self.loop.call_later(self.header_timeout_s, self._expire)

    def _waiting_for_head(self) -> bool:
        # a new request head since arming replaced the cycle; a request still in progress is the body's business
        cycle = self.cycle
        return cycle is self._armed_cycle and (cycle is None or cycle.response_complete)

    def _expire(self) -> None:
        if self._waiting_for_head():
            message = f"no complete request head within {self.header_timeout_s:g} s (--header-timeout)"
            self._refuse(408, "Request Timeout", message)

    def _refuse(self, status: int, reason: str, message: str) -> None:
        """Answer a request whose head never completed (no ASGI cycle exists for it) and close."""
        if self.transport.is_closing():
            return
        body = orjson.dumps({"error": message, "error_type": "Validation"})
        head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nconnection: close\r\n"
                f"content-length: {len(body)}\r\n\r\n")  # fmt: skip
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()


def protocol_class(header_timeout_s: float) -> type:
    """uvicorn's HTTP protocol class (the one it would pick itself) with the request-head deadline."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    return type(f"HeaderDeadline{AutoHTTPProtocol.__name__}", (HeaderDeadline, AutoHTTPProtocol),
                {"header_timeout_s": header_timeout_s})  # fmt: skip


def uvicorn_settings(config: ServerConfig) -> dict[str, Any]:
    """uvicorn.Config keyword arguments for the connection limits of `config`."""
    return {
        "http": protocol_class(config.header_timeout_s),
        "timeout_keep_alive": config.keep_alive_s,
        "limit_concurrency": config.max_connections,
        "timeout_graceful_shutdown": config.shutdown_timeout_s,
    }
