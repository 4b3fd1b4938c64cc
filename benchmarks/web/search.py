"""Searching an exported index in the page: the index files' sizes per storage and the search latency in one
headless Chromium, next to `Index.search` in Python on the same index and queries.

    .venv/bin/python -m benchmarks.web.search [--precision int8] [--queries 50]

The SciFact subset of tests/data (500 abstracts, title + text, chunked) is indexed once per storage (int8,
binary; embedded once through a shared embedding cache) and exported with `export_web(..., index=...)`. Printed
per storage: the bytes of each index file (and gzip -6 of all, what a compressing server would send), the time
from navigation start to `window.minilm.ready` (model and index loaded), and the median / p90 over the queries
of: `search(text, 10)` in the page (embedding included), `search(vector, 10)` in the page (the search alone, the
query vectors computed in Python), and `Index.search(text, k=10)` in Python.

    .venv/bin/python -m benchmarks.web.search --synthetic 100000

The same for an index of that many random unit vectors (one window per document, added with their vectors):
how the search alone, `search(vector, 10)` in the page, grows with the windows scanned.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import json
import shutil
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

import minilm
from benchmarks import harness
from minilm.export.web import export_web
from minilm.index import Index

SCIFACT = harness.ROOT / "tests" / "data" / "scifact"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json",
         ".html": "text/html", ".css": "text/css"}  # fmt: skip
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip
TIMES = """const done = arguments[arguments.length - 1];
(async () => {
  const model = await window.minilm.ready, out = [];
  for (const q of arguments[0]) {
    const t = performance.now();
    await model.search(q, 10);
    out.push(performance.now() - t);
  }
  return out;
})().then(done, e => done(String(e)));"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = TYPES

    def log_message(self, format: str, *args: Any) -> None:
        pass


def chromium(profile: Path) -> Any:
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(shutil.which("chromedriver")))


def build(root: Path, model: minilm.Encoder, storage: str) -> Path:
    docs = [json.loads(line) for line in (SCIFACT / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    with Index.create(root / f"index-{storage}", model, storage=storage, cache=root / "cache") as index:
        index.add([d["title"] + "\n" + d["text"] for d in docs], ids=[d["_id"] for d in docs])
    return root / f"index-{storage}"


def synthetic(root: Path, model: minilm.Encoder, storage: str, count: int) -> Path:
    vectors = np.random.default_rng(0).standard_normal((count, model.dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with Index.create(root / f"random-{storage}", model, storage=storage, search="exact", cache=False) as index:
        index.add([f"document {i}" for i in range(count)], ids=[f"d{i}" for i in range(count)], vectors=vectors,
                  batch=20_000)  # fmt: skip
    return root / f"random-{storage}"


def stats(ms: list[float]) -> str:
    return f"p50 {np.percentile(ms, 50):.1f} ms, p90 {np.percentile(ms, 90):.1f} ms"


def in_page(site: Path, profile: Path, queries: list[Any]) -> tuple[float, list[float]]:
    """(ms from navigation start to window.minilm.ready, ms per query)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = chromium(profile)
    try:
        driver.set_script_timeout(600)
        driver.get(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        ready = driver.execute_script("return window.minilm.ready.then(() => performance.now())")
        times = driver.execute_async_script(TIMES, queries)
        if isinstance(times, str):
            raise RuntimeError(times)
        return float(ready), times
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", default="int8", choices=["int8", "fp32"])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--synthetic", type=int, default=0, help="windows of a random-vector index instead")
    args = parser.parse_args()
    lines = (SCIFACT / "queries.jsonl").read_text(encoding="utf-8").splitlines()[: args.queries]
    queries = [json.loads(line)["text"] for line in lines]
    model = minilm.load(allow_download=False)
    print(f"machine: {harness.machine()}; precision {args.precision}; {len(queries)} SciFact queries, k=10")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        vectors = model.encode(queries)
        for storage in ("int8", "binary"):
            if args.synthetic:
                index_path = synthetic(root, model, storage, args.synthetic)
                site = root / f"site-{storage}"
                entry = export_web(site, precision=args.precision, index=index_path, storage=storage)["index"]
                _, alone = in_page(site, root / f"profile-{storage}-v", [v.tolist() for v in vectors])
                size = sum(f["bytes"] for f in entry["files"].values())
                print(f"{storage}: {entry['chunks']:,} random windows, index files {size:,} bytes; "
                      f"page search(vector): {stats(alone)}")  # fmt: skip
                continue
            index_path = build(root, model, storage)
            site = root / f"site-{storage}"
            entry = export_web(site, precision=args.precision, index=index_path, storage=storage)["index"]
            files = {name: file["bytes"] for name, file in entry["files"].items()}
            packed = sum(len(gzip.compress((site / f["path"]).read_bytes(), 6)) for f in entry["files"].values())
            print(f"{storage}: {entry['documents']} documents, {entry['chunks']} windows; index files {files}, "
                  f"{sum(files.values()):,} bytes in all, {packed:,} gzipped")  # fmt: skip
            ready, texts = in_page(site, root / f"profile-{storage}-t", queries)
            _, alone = in_page(site, root / f"profile-{storage}-v", [v.tolist() for v in vectors])
            python = []
            with Index.open(index_path, model) as index:
                index.search(queries[0], k=10)  # structure built, model warm
                for query in queries:
                    started = time.perf_counter()
                    index.search(query, k=10)
                    python.append((time.perf_counter() - started) * 1000)
            print(f"  page ready {ready:.0f} ms after navigation start")
            print(f"  page search(text): {stats(texts)}; page search(vector): {stats(alone)}; "
                  f"Index.search(text) in Python: {stats(python)}")  # fmt: skip


if __name__ == "__main__":
    main()
