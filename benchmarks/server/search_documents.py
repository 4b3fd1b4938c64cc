"""Peak RSS of `minilm serve --index` answering /search with include_document: N documents of ~1 MB, k=N,
several requests at once, and how big each response is.

Builds an index of the tiny random model in a temporary folder (one window per document, so hit texts stay
short and the documents are what the responses carry), starts the server on 127.0.0.1 as a fresh process, warms
it with one small search, then sends --concurrent requests at once. Reported: the server's VmHWM before and
after (read from /proc), each response's status, size and seconds.

    .venv/bin/python -m benchmarks.server.search_documents --documents 300 --concurrent 4
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from benchmarks import harness


def _post(url: str, body: bytes) -> tuple[int, int, float]:
    start = time.perf_counter()
    request = urllib.request.Request(url, body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=900) as response:
        return response.status, len(response.read()), time.perf_counter() - start


def _build(root: Path, documents: int) -> Path:
    import minilm
    from minilm.index import Index
    from tests.conftest import write_tiny_model

    model_dir = write_tiny_model(root / "model")
    model = minilm.load(model_dir, engine="numpy")
    with Index.create(root / "ix", model, chunk=False, cache=False) as ix:
        for start in range(0, documents, 20):
            ids = [f"d{n}" for n in range(start, min(start + 20, documents))]
            ix.add([f"doc{n} " + "word " * 200_000 for n in range(start, start + len(ids))], ids=ids)
    return model_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--concurrent", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        model_dir = _build(root, args.documents)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "MINILM_HOME": str(root / "home"), "MINILM_OFFLINE": "1"}
        server = subprocess.Popen([sys.executable, "-m", "minilm.cli.main", "serve", "--port", str(port),
                                   "--engine", "numpy", "--offline", "--model", str(model_dir), "--index",
                                   str(root / "ix")], env=env, stderr=subprocess.DEVNULL)  # fmt: skip
        url = f"http://127.0.0.1:{port}/search"
        try:
            for _ in range(600):
                try:
                    _post(url, b'{"query": "doc1 word", "k": 3}')
                    break
                except OSError:
                    time.sleep(0.2)
            before = harness.peak_rss_mb(server.pid)
            body = f'{{"query": "doc1 word", "k": {args.documents}, "include_document": true}}'.encode()
            results: list[tuple[int, int, float]] = []
            threads = [
                threading.Thread(target=lambda: results.append(_post(url, body))) for _ in range(args.concurrent)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            after = harness.peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(60)
    print(harness.machine())
    print(
        f"{args.documents} documents of 1 MB, k={args.documents}, {args.concurrent} requests at once: server VmHWM "
        f"{before:.0f} MB before, {after:.0f} MB after (+{after - before:.0f} MB)"
    )
    for status, size, seconds in results:
        print(f"  {status}: {size / 1e6:.1f} MB in {seconds:.1f} s")


if __name__ == "__main__":
    main()
