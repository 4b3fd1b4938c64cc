"""GET /ui: a small search page over POST /search, shipped as plain files in server/ui/ (no build step, no CDN).

The page holds no data, so it is served without an API key (auth.OPEN_PATHS); it asks for a key itself, keeps
it in the tab's sessionStorage and sends it as `Authorization: Bearer` with each /search.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from starlette.responses import Response

router = APIRouter(include_in_schema=False)

FILES = {"/ui": ("index.html", "text/html; charset=utf-8"), "/ui/app.js": ("app.js", "text/javascript; charset=utf-8"),
         "/ui/style.css": ("style.css", "text/css; charset=utf-8")}  # fmt: skip
PATHS = frozenset(FILES)
# The page runs only its own script and style, talks only to this server, and no other site may frame it.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
          "frame-ancestors 'none'")  # fmt: skip


def _read(name: str) -> bytes:
    return resources.files("minilm.server").joinpath("ui", name).read_bytes()


def _serve(path: str) -> None:
    name, media_type = FILES[path]
    body = _read(name)  # read once, when the app is made

    @router.get(path)
    async def page() -> Response:
        return Response(body, media_type=media_type, headers={"Content-Security-Policy": POLICY,
                                                              "Cache-Control": "no-cache"})  # fmt: skip


for _path in FILES:
    _serve(_path)
