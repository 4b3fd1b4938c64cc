"""No page of this server may be framed by another site (clickjacking): every response says so.

Each response gets `X-Frame-Options: DENY` (older browsers) and a Content-Security-Policy `frame-ancestors
'none'` (current ones): added to the policy a route already sets (the search page's), or as the whole policy
where it sets none (the API docs, JSON answers), which restricts nothing else.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FRAME_ANCESTORS = "frame-ancestors 'none'"


class NoFramingMiddleware:
    """Adds X-Frame-Options: DENY and CSP frame-ancestors 'none' to every HTTP response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Frame-Options"] = "DENY"
                policy = headers.get("Content-Security-Policy")
                if policy is None:
                    headers["Content-Security-Policy"] = FRAME_ANCESTORS
                elif "frame-ancestors" not in policy:
                    headers["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {FRAME_ANCESTORS}"
            await send(message)

        await self.app(scope, receive, send_with_headers)
