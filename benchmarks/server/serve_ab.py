"""Two source trees' servers under the same load, in alternating rounds: is one slower than the other?

Starts `minilm serve` twice on 127.0.0.1 from the same Python, each with PYTHONPATH pointing at one tree's
src/ (e.g. a `git worktree` of an earlier commit and this checkout), then in each of --rounds rounds runs
serve_load's scenario (the same aiohttp load generator, OpenAI requests of 1 and 32 STS-B sentences, base64)
at --concurrency against each server in turn, the order reversed every other round (harness.alternate). Only
one server is under load at a time; the other sits idle. Prints sentences/s per round and the median of each,
and the median over rounds of B / A.

    git worktree add /tmp/old ea57ea9
    .venv/bin/python -m benchmarks.server.serve_ab --a /tmp/old/src --b src --engine onnx --rounds 5
    git worktree remove /tmp/old
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks import harness
from benchmarks.server.serve_load import free_port, scenario, sentences


def start(src: Path, engine: str) -> tuple[subprocess.Popen[bytes], str]:
    """`minilm serve` with `src` first on the import path; (process, url) once /health says ok."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    cmd = [sys.executable, "-m", "minilm.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--engine", engine, "--max-queue", "8192"]  # fmt: skip
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server from {src} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return process, url
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server from {src} was not ready in 180 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=Path, required=True, help="src/ of the first tree (the baseline)")
    parser.add_argument("--b", type=Path, required=True, help="src/ of the second tree")
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--sizes", default="1,32", help="sentences per request")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    texts = sentences(2000)
    sizes = [int(s) for s in args.sizes.split(",")]
    servers = {"A": start(args.a, args.engine), "B": start(args.b, args.engine)}
    print(harness.machine())
    print(f"A = {args.a}, B = {args.b}; engine {args.engine}, concurrency {args.concurrency}, {args.duration:g} s "
          "per scenario")  # fmt: skip

    def load(name: str) -> dict[int, float]:
        process, url = servers[name]
        figures = {}
        for size in sizes:
            r = asyncio.run(scenario(url, process.pid, texts, size, args.concurrency, args.duration, 10**9, "base64"))
            if r["errors"]:
                raise SystemExit(f"server {name}: {r['errors']} requests failed")
            figures[size] = r["sentences_per_s"]
        print(f"{name}: " + ", ".join(f"{size}-sentence {figures[size]:.0f}/s" for size in sizes), flush=True)
        return figures

    try:
        for name in servers:  # warm-up: one short run each, not counted
            process, url = servers[name]
            asyncio.run(scenario(url, process.pid, texts, max(sizes), args.concurrency, 2.0, 10**9, "base64"))
        results = harness.alternate({name: lambda name=name: load(name) for name in servers}, args.rounds)
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=60)
    for size in sizes:
        a = [r[size] for r in results["A"]]
        b = [r[size] for r in results["B"]]
        ratio = harness.median(y / x for x, y in zip(a, b, strict=True))
        print(f"{size}-sentence requests at concurrency {args.concurrency}: A median {harness.median(a):.0f}, B "
              f"median {harness.median(b):.0f} sentences/s; B / A median over {len(a)} rounds {ratio:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
