"""Load test of `minilm serve` on loopback: throughput and latency under concurrency, vs the library itself.

Starts the server as a subprocess on 127.0.0.1 (a free port), then for each request size (1 and 32 STS-B
sentences) and concurrency (1, 8, 64) keeps that many requests in flight for --duration seconds (and at most
--max-requests requests), and reports sentences/s and p50/p99 latency. Requests ask for base64 vectors, as
the openai Python client does by default (--encoding float for JSON arrays).

The share of the library's own batch throughput (Encoder.encode, batch 32, same engine, same sentences) is
measured in --rounds alternating rounds, because this machine's speed drifts by 20-40% within minutes: each
round times the library (the server idle), then the server at the highest concurrency for each request size,
then the library again; each server figure is divided by the mean of the library runs on either side, and the
median over rounds is reported. The server's RSS is sampled once a second over the whole run; --soak SECONDS
adds a steady run at the highest concurrency to see whether memory stays flat.

Traffic goes only to 127.0.0.1, and every loop is bounded in time and count.

    benchmarks/.venv/bin/python -m benchmarks.server.serve_load --duration 20 --rounds 3 --soak 300 --engine onnx \
        --out results/serve.json

(benchmarks/setup.sh installs aiohttp, the load generator, there.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

from benchmarks import harness, workloads


def sentences(limit: int) -> list[str]:
    """Unique STS-B test sentences (~15 tokens each), in file order."""
    return workloads.sts_sentences("test")[:limit]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "minilm.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--engine", args.engine, "--max-queue", "8192"]  # fmt: skip
    if args.model:
        cmd += ["--model", args.model]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return process, url
        except OSError:  # refused while starting, or 503 (HTTPError) while loading
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("server not ready in 180 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used, from /proc (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def scenario(url: str, server_pid: int, texts: list[str], size: int, concurrency: int, duration: float,
                   max_requests: int, encoding: str) -> dict[str, float]:  # fmt: skip
    """Keep `concurrency` requests of `size` sentences in flight for `duration` s; sentences/s and latency.

    The load generator shares the machine with the server, so it is aiohttp (a fraction of httpx's CPU per
    request at concurrency 64); its CPU use is reported beside the server's.
    """
    import aiohttp

    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.monotonic() + duration
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(url, connector=connector, timeout=aiohttp.ClientTimeout(total=300)) as client:

        async def worker(w: int) -> None:
            nonlocal sent, errors
            at = w * size
            while time.monotonic() < deadline and sent < max_requests:
                sent += 1
                batch = [texts[(at + i) % len(texts)] for i in range(size)]
                at += concurrency * size
                started = time.perf_counter()
                body = {"model": "m", "input": batch, "encoding_format": encoding}
                async with client.post("/v1/embeddings", json=body) as r:
                    if r.status != 200:
                        errors += 1
                        await r.read()
                        continue
                    await r.json()  # the client's decoding is part of the cost a caller pays
                latencies.append(time.perf_counter() - started)

        started, cpu = time.perf_counter(), time.process_time()
        server_cpu = cpu_seconds(server_pid)
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu, server_cpu = time.process_time() - cpu, cpu_seconds(server_pid) - server_cpu
    ms = np.array(latencies) * 1000
    return {
        "size": size,
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "sentences_per_s": len(latencies) * size / elapsed,
        "p50_ms": float(np.percentile(ms, 50)) if len(ms) else float("nan"),
        "p99_ms": float(np.percentile(ms, 99)) if len(ms) else float("nan"),
        "client_cores": cpu / elapsed,  # the load generator shares the machine: its CPU is the server's loss
        "server_cores": server_cpu / elapsed,
    }


class Library:
    """The library itself on the same engine and sentences, loaded once in this process."""

    def __init__(self, args: argparse.Namespace, texts: list[str]):
        import minilm

        self.model = minilm.load(args.model, engine=args.engine)  # all cores, as a library user gets it
        self.model.encode(texts[:64])  # warm-up
        self.texts, self.count = texts, args.library_sentences

    def throughput(self) -> float:
        """Encoder.encode, batch 32: sentences/s (median of 3 runs)."""
        texts = self.texts[: self.count]
        return harness.median(self.count / harness.timed(lambda: self.model.encode(texts, batch_size=32))
                              for _ in range(3))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", type=int, default=None, help="the server's --threads")
    parser.add_argument("--workers", type=int, default=None, help="the server's --workers")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--max-requests", type=int, default=20000, help="requests per scenario at most")
    parser.add_argument("--concurrency", default="1,8,64")
    parser.add_argument("--sizes", default="1,32", help="sentences per request")
    parser.add_argument("--encoding", choices=("float", "base64"), default="base64")
    parser.add_argument("--library-sentences", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3, help="alternating library / server rounds for the share")
    parser.add_argument("--soak", type=float, default=0.0, help="seconds of steady load at the top concurrency")
    parser.add_argument("--out", default=None, help="write the figures as JSON here")
    args = parser.parse_args()

    texts = sentences(2000)
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    top = max(concurrencies)
    library = Library(args, texts)

    def run(size: int, concurrency: int, duration: float, max_requests: int) -> dict[str, float]:
        return asyncio.run(scenario(url, process.pid, texts, size, concurrency, duration, max_requests,
                                    args.encoding))  # fmt: skip

    process, url = start_server(args)
    sampler = harness.RssSampler(process.pid)
    sampler.start()
    print(harness.machine())
    results, rounds, soak = [], [], None
    try:
        print(f"{'size':>4} {'conc':>4} {'requests':>8} {'sent/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
              f"{'server cores':>12} {'client cores':>12}")  # fmt: skip
        for size in sizes:
            for concurrency in concurrencies:
                r = run(size, concurrency, args.duration, args.max_requests)
                results.append(r)
                print(f"{size:>4} {concurrency:>4} {r['requests']:>8} {r['sentences_per_s']:>8.0f} "
                      f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['errors']:>6} {r['server_cores']:>12.2f} "
                      f"{r['client_cores']:>12.2f}", flush=True)  # fmt: skip
        before = library.throughput()
        for k in range(args.rounds):
            served = {size: run(size, top, args.duration, args.max_requests)["sentences_per_s"] for size in sizes}
            after = library.throughput()
            rounds.append({"library_before": before, "library_after": after, "server": served})
            print(f"round {k + 1}: library {before:.0f} / {after:.0f} sentences/s; server at concurrency {top}: "
                  + ", ".join(f"{size}-sentence {served[size]:.0f} ({served[size] / ((before + after) / 2):.0%})"
                              for size in sizes), flush=True)  # fmt: skip
            before = after
        if args.soak > 0:
            rss_before = harness.rss_mb(process.pid)
            soak = run(max(sizes), top, args.soak, 10**9)
            soak.update(rss_before_mb=rss_before, rss_after_mb=harness.rss_mb(process.pid))
            print(f"soak {args.soak:.0f} s: {soak['sentences_per_s']:.0f} sentences/s, RSS "
                  f"{soak['rss_before_mb']:.0f} -> {soak['rss_after_mb']:.0f} MB", flush=True)  # fmt: skip
    finally:
        sampler.stop.set()
        process.terminate()
        process.wait(timeout=60)
    shares = {}
    for size in sizes:
        ratios = [r["server"][size] / ((r["library_before"] + r["library_after"]) / 2) for r in rounds]
        if ratios:
            shares[size] = harness.median(ratios)
            print(
                f"server at concurrency {top}, {size}-sentence requests: median {shares[size]:.0%} of the "
                f"library's batch throughput over {len(ratios)} rounds ({', '.join(f'{x:.0%}' for x in ratios)})"
            )
    rss = [mb for _, mb in sampler.samples]
    if rss:
        print(f"server RSS over the run: start {rss[0]:.0f} MB, max {max(rss):.0f} MB, end {rss[-1]:.0f} MB "
              f"({len(rss)} samples)")  # fmt: skip
    if args.out:
        Path(args.out).write_text(json.dumps({"scenarios": results, "rounds": rounds, "shares": shares, "soak": soak,
                                              "rss_mb": sampler.samples, "encoding": args.encoding,
                                              "load_average": os.getloadavg(), "cpu": harness.cpu_model()},
                                             indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
