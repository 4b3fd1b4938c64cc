"""An exported web folder served by a static server on localhost and opened in headless Chromium (tests/ui's)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from tests.ui.browser import chromium

# what a static server must say for ES modules and wasm (python's own table lacks .mjs before 3.12)
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json",
         ".html": "text/html", ".css": "text/css", ".onnx": "application/octet-stream"}  # fmt: skip
ISOLATION = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = TYPES
    isolated = False
    encoded = False  # send NAME.gz files with Content-Encoding: gzip (fetch then inflates them itself)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        if self.isolated:
            for name, value in ISOLATION.items():
                self.send_header(name, value)
        if self.encoded and self.path.endswith(".gz"):
            self.send_header("Content-Encoding", "gzip")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(folder: Path, isolated: bool = False, encoded: bool = False) -> Iterator[str]:
    """`folder` on http://127.0.0.1:PORT/ (with COOP/COEP headers when `isolated`, .gz files sent with
    Content-Encoding: gzip when `encoded`), as python -m http.server."""
    handler = type("FolderHandler", (Handler,), {"isolated": isolated, "encoded": encoded})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def page(folder: Path, profile: Path, isolated: bool = False, path: str = "index.html",
         encoded: bool = False) -> Iterator[Any]:  # fmt: skip
    """Chromium on the served folder's page, after window.minilm.ready resolved (raises with its error if not)."""
    with serve(folder, isolated, encoded) as url:
        driver = chromium(profile)
        try:
            driver.set_script_timeout(300)
            driver.get(url + path)
            error = driver.execute_script("return window.minilm.ready.then(() => null, e => String(e))")
            if error is not None:
                raise AssertionError(f"the page's model did not load: {error}")
            yield driver
        finally:
            driver.quit()
