"""minilm's web export against Transformers.js in headless Chromium, on the same exported ONNX files.

    .venv/bin/python -m benchmarks.web.bench --precision int8 fp32

For each precision: `minilm export web` once; Transformers.js 4 (@huggingface/transformers' browser build, from
tests/export/js/node_modules, which scripts/test installs) reads the same model file as onnx/model_quantized.onnx
(q8) or onnx/model.onnx (fp32), with its own tokenizer.json from minilm's export layout. Both run on
onnxruntime-web's wasm backend, one thread (the page is not cross-origin isolated), fed runs of --batch texts in
the data's order: minilm sorts each run by length, Transformers.js pads to a run's longest. `--minilm-batch 0`
gives minilm the whole list in one call, as its users call it (it sorts all of it by length and runs batches of
16 inside), while Transformers.js keeps runs of --batch (one call with the whole list pads every text to the
longest). Each library gets a fresh Chromium per precision (the order swapped between precisions). Printed:
sentences/s on 2,000 STS-B test sentences, docs/s on 300 SciFact abstracts, single-query p50 on 50 SciFact
queries, the time from navigation start to the first query vector on the browser's first load (cold: no script or
wasm compiled yet) and the median of --reloads loads after it (the renderer has compiled them before; no HTTP
cache either way), minilm's load stages, the bytes the page fetched and the export's size on disk.
"""

from __future__ import annotations

import argparse
import http.server
import shutil
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import harness, workloads
from minilm.export import layout, source
from minilm.export.web import export_web

HERE = Path(__file__).resolve().parent
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json",
         ".html": "text/html", ".onnx": "application/octet-stream"}  # fmt: skip
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]  # fmt: skip


class Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = TYPES

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def build(root: Path, precision: str, node_modules: Path) -> int:
    """The served folder: bench page, minilm's export in site/, Transformers.js in tjs/ reading the same ONNX."""
    shutil.copyfile(HERE / "page.html", root / "page.html")
    shutil.rmtree(root / "site", ignore_errors=True)  # the other precision's model file would stay beside it
    manifest = export_web(root / "site", precision=precision, max_size=10**10)
    tjs = root / "tjs"
    tjs.mkdir(exist_ok=True)
    shutil.copyfile(node_modules / "@huggingface" / "transformers" / "dist" / "transformers.min.js",
                    tjs / "transformers.min.js")  # fmt: skip
    for wasm in (node_modules / "onnxruntime-web" / "dist").glob("ort-wasm-simd-threaded*"):
        shutil.copyfile(wasm, tjs / wasm.name)
    model = root / "tjs-models" / "minilm"
    src = source.read(None)
    layout.config_files(src, model)
    layout.tokenizer_files(src, model)
    (model / "onnx").mkdir(exist_ok=True)
    name = "model_quantized.onnx" if precision == "int8" else "model.onnx"
    (model / "onnx" / name).unlink(missing_ok=True)
    (model / "onnx" / name).symlink_to(root / "site" / manifest["model_file"])
    return int(manifest["bytes_without_index"])


def chromium(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.remote.remote_connection import RemoteConnection

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver_path = shutil.which("chromedriver")
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    # one embed call of a whole list (--minilm-batch 0) keeps the page from answering any command until it
    # returns, minutes on a loaded machine: selenium's HTTP read timeout (120 s) would end the run
    executor = driver.command_executor
    assert isinstance(executor, RemoteConnection)  # Chrome's own: a ChromiumRemoteConnection
    executor.client_config.timeout = 3600
    return driver


def in_page(driver: Any, call: str, *args: Any) -> Any:
    """`call` (a promise expression on `b`, the page's bench) awaited by polling: one WebDriver command may not
    last longer than selenium's HTTP timeout (120 s), a run of 2,000 sentences can."""
    driver.execute_script("window.job = null; window.bench.then(b => " + call + ").then(r => { window.job = {r}; }, "
                          "e => { window.job = {e: String(e)}; })", *args)  # fmt: skip
    while (job := driver.execute_script("return window.job")) is None:
        time.sleep(0.5)
    if "e" in job:
        raise RuntimeError(f"the page failed: {job['e']}")
    return job["r"]


def measure(driver: Any, url: str, sentences: list[str], abstracts: list[str], queries: list[str],
            batch: int, reloads: int) -> dict[str, Any]:  # fmt: skip
    """The first load in a fresh browser (cold: nothing compiled yet), `reloads` more loads of the page in it (the
    renderer has compiled the scripts and wasm before), then throughput on the last load."""
    driver.get(url)
    first = in_page(driver, "b.firstVectorMs")
    fetched = in_page(driver, "b.fetched()")
    marks = in_page(driver, "b.marks()")
    warm = []
    for _ in range(reloads):
        driver.get(url)
        warm.append(in_page(driver, "b.firstVectorMs"))
    sts = in_page(driver, "b.embedAll(arguments[0], arguments[1])", sentences, batch)
    docs = in_page(driver, "b.embedAll(arguments[0], arguments[1])", abstracts, batch)
    singles = in_page(driver, "b.singles(arguments[0])", queries)
    return {"sentences_per_s": len(sentences) / (sts["ms"] / 1000), "docs_per_s": len(abstracts) / (docs["ms"] / 1000),
            "p50_ms": float(np.median(singles)), "first_vector_ms": first, "fetched_bytes": fetched,
            "reload_first_vector_ms": float(np.median(warm)) if warm else float("nan"),
            "first_sentence": np.array(sts["first"], np.float32), "marks": marks}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--precision", nargs="+", default=["int8", "fp32"], choices=["int8", "fp32"])
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--abstracts", type=int, default=300)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--batch", type=int, default=16, help="texts per embed call (default 16)")
    parser.add_argument("--minilm-batch", type=int, default=None,
                        help="texts per embed call for minilm alone (0: the whole list in one call, as its embed "
                             "sorts by length and batches inside; default: --batch)")  # fmt: skip
    parser.add_argument("--reloads", type=int, default=3, help="loads after the first, in the same browser")
    parser.add_argument(
        "--node-modules", type=Path, default=HERE.parents[1] / "tests" / "export" / "js" / "node_modules"
    )
    args = parser.parse_args()
    sentences = workloads.sts_sentences()[: args.sentences]
    abstracts = workloads.scifact_abstracts()[: args.abstracts]
    queries = workloads.scifact().query_texts[: args.queries]
    minilm_batch = args.batch if args.minilm_batch is None else args.minilm_batch
    print(harness.machine())
    print(f"{len(sentences)} STS-B sentences, {len(abstracts)} SciFact abstracts, {len(queries)} queries, "
          f"batch {args.batch}, minilm batch {minilm_batch}, one wasm thread")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="minilm-web-bench-") as tmp:
        root = Path(tmp)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/page.html"
        try:
            print("| precision | library | sentences/s | docs/s | query p50 ms | first vector ms (cold) | "
                  "first vector ms (reload) | fetched MB | export MB (disk) |")  # fmt: skip
            print("|---|---|---|---|---|---|---|---|---|")
            for turn, precision in enumerate(args.precision):
                size = build(root, precision, args.node_modules)
                libs = ["minilm", "transformers.js"] if turn % 2 == 0 else ["transformers.js", "minilm"]
                results = {}
                for lib in libs:  # each library in its own fresh browser
                    driver = chromium(root / f"profile-{precision}-{lib}")
                    driver.set_script_timeout(3600)
                    try:
                        results[lib] = measure(driver, f"{base}?lib={lib}&precision={precision}", sentences,
                                               abstracts, queries, minilm_batch if lib == "minilm" else args.batch,
                                               args.reloads)  # fmt: skip
                    finally:
                        driver.quit()
                for lib in ("minilm", "transformers.js"):
                    r = results[lib]
                    disk = f"{size / 1e6:.1f}" if lib == "minilm" else "-"
                    print(f"| {precision} | {lib} | {r['sentences_per_s']:.1f} | {r['docs_per_s']:.2f} | "
                          f"{r['p50_ms']:.1f} | {r['first_vector_ms']:.0f} | {r['reload_first_vector_ms']:.0f} | "
                          f"{r['fetched_bytes'] / 1e6:.1f} | {disk} |")  # fmt: skip
                a, b = results["minilm"]["first_sentence"], results["transformers.js"]["first_sentence"]
                print(f"  {precision}: minilm / Transformers.js sentences/s "
                      f"{results['minilm']['sentences_per_s'] / results['transformers.js']['sentences_per_s']:.2f}x, "
                      f"docs/s {results['minilm']['docs_per_s'] / results['transformers.js']['docs_per_s']:.2f}x; "
                      f"cosine of their first STS-B vectors {float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)):.6f}",
                      flush=True)  # fmt: skip
                marks = results["minilm"]["marks"]
                print(f"  {precision}: minilm's load, ms from navigation start: "
                      + ", ".join(f"{name.removeprefix('minilm:')} {ms:.0f}" for name, ms in sorted(marks.items(),
                                  key=lambda m: m[1])) + f", first vector {results['minilm']['first_vector_ms']:.0f}",
                      flush=True)  # fmt: skip
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    main()
