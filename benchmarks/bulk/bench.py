"""Bulk encoding benchmark: the streaming encoder against Encoder.encode, Ray's scaling and overhead, and memory
over a long run of short texts. Every measurement runs in its own fresh process (so peak RSS, its VmHWM, is its
own); with --rounds N the compared runs alternate N times and medians are printed.

    python -m benchmarks.bulk.bench                 # 600 SciFact abstracts, Ray 1 and 2 actors, 1,000,000 short rows
    python -m benchmarks.bulk.bench --smoke         # 120 abstracts, 10,000 short rows
    python -m benchmarks.bulk.bench --rows 200000 --no-ray

Figures printed: rows/s and peak RSS (MB) per run; the streaming/library rate ratio; Ray 2 actors / 1 actor
(single-thread actors); Ray vs plain streaming at equal cores (1 thread); RSS of the long run sampled every
second (min / max over each tenth of the run). Texts: ../shared/data/scifact/corpus.jsonl abstracts, and AG
News titles (../shared/data/ag_news/test.csv) suffixed with their row number for the long run.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.workloads import DATA

RUN = itertools.count()  # each run writes its own output folder (a folder already written would be resumed)


# -- children: one measurement each, printing one JSON line ---------------------------------------------------------
def child(args: argparse.Namespace) -> None:
    import minilm

    model = minilm.load(engine=args.engine, threads=args.threads)
    if args.mode == "library":
        with open(args.input, encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for line in f]
        start = time.perf_counter()
        model.encode(texts)
        rows = len(texts)
    else:
        from minilm.bulk import encode_files

        ray: bool | str = False
        if args.mode == "ray":
            import ray as ray_module

            ray_module.init(num_cpus=args.actors * args.threads, include_dashboard=False, logging_level="ERROR")
            ray = True
        start = time.perf_counter()
        # off Ray the loaded model already has its threads; Ray's actors take theirs from threads=
        result = encode_files(args.input, args.out, model=model, shard_size=args.shard_size, ray=ray,
                              actors=args.actors if ray else None, threads=args.threads if ray else None)  # fmt: skip
        rows = result.rows
    seconds = time.perf_counter() - start
    harness.emit({"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "peak_rss_mb": harness.peak_rss_mb()})


# -- the parent: inputs, children, figures ------------------------------------------------------------------------
def measure(mode: str, input_path: Path, out: Path | None, opts: argparse.Namespace, threads: int | None = None,
            actors: int = 1, shard_size: int = 10_000, sample: bool = False) -> dict[str, Any]:  # fmt: skip
    """One run in a fresh process: rows, seconds, rows_per_s, peak_rss_mb (and rss_samples, once a second)."""
    cmd = ["--child", mode, "--input", str(input_path), "--engine", opts.engine, "--actors", str(actors),
           "--shard-size", str(shard_size)]  # fmt: skip
    if out is not None:
        cmd += ["--out", str(out.with_name(f"{out.name}-{next(RUN)}"))]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    return harness.fresh_process(__spec__.name, *cmd, sample_rss=1.0 if sample else None)


def alternating(opts: argparse.Namespace, runs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each run (a call of measure) --rounds times, alternating; per run the round of median rows/s."""
    results = harness.alternate(runs, opts.rounds)
    return {name: sorted(rs, key=lambda r: r["rows_per_s"])[len(rs) // 2] for name, rs in results.items()}


def write_scifact(path: Path, n: int) -> Path:
    with open(DATA / "scifact" / "corpus.jsonl", encoding="utf-8") as src, open(path, "w", encoding="utf-8") as f:
        for i, line in enumerate(src):
            if i == n:
                break
            doc = json.loads(line)
            f.write(json.dumps({"id": doc["_id"], "text": doc["title"] + " " + doc["text"]}) + "\n")
    return path


def write_short(path: Path, n: int) -> Path:
    with open(DATA / "ag_news" / "test.csv", encoding="utf-8", newline="") as f:
        titles = [row[1] for row in csv.reader(f)]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"text": f"{titles[i % len(titles)]} ({i})"}) + "\n")
    return path


def line(label: str, r: dict[str, Any]) -> str:
    return f"  {label:<44} {r['rows']:>8} rows {r['rows_per_s']:>9.1f} rows/s  peak RSS {r['peak_rss_mb']:>7.1f} MB"


def compare_library(opts: argparse.Namespace, work: Path) -> None:
    texts = write_scifact(work / "scifact.jsonl", opts.docs)
    print(f"\nstreaming encoder vs Encoder.encode ({opts.docs} SciFact abstracts, engine {opts.engine})")
    got = alternating(opts, {
        "library": lambda: measure("library", texts, None, opts),
        "bulk": lambda: measure("bulk", texts, work / "bulk", opts, shard_size=max(1, opts.docs // 3)),
    })  # fmt: skip
    lib, bulk = got["library"], got["bulk"]
    print(line("Encoder.encode", lib))
    print(line(f"encode_files (shards of {max(1, opts.docs // 3)})", bulk))
    print(f"  streaming / library rate: {bulk['rows_per_s'] / lib['rows_per_s']:.3f}")


def compare_ray(opts: argparse.Namespace, work: Path) -> None:
    texts = write_scifact(work / "scifact.jsonl", opts.docs)
    shard = max(1, opts.docs // 8)
    print(f"\nRay (single-thread actors, shards of {shard} abstracts; cluster start not counted)")
    got = alternating(opts, {
        "plain": lambda: measure("bulk", texts, work / "plain1", opts, threads=1, shard_size=shard),
        "one": lambda: measure("ray", texts, work / "ray1", opts, threads=1, actors=1, shard_size=shard),
        "two": lambda: measure("ray", texts, work / "ray2", opts, threads=1, actors=2, shard_size=shard),
    })  # fmt: skip
    plain, one, two = got["plain"], got["one"], got["two"]
    print(line("plain streaming, 1 thread", plain))
    print(line("Ray, 1 actor x 1 thread", one))
    print(line("Ray, 2 actors x 1 thread", two))
    print(f"  scaling 2 actors / 1 actor: {two['rows_per_s'] / one['rows_per_s']:.2f}x")
    print(f"  Ray overhead at 1 core: {1 - one['rows_per_s'] / plain['rows_per_s']:+.1%} of the plain rate")


def long_run(opts: argparse.Namespace, work: Path) -> None:
    texts = write_short(work / "short.jsonl", opts.rows)
    print(f"\nlong run: {opts.rows} short texts (AG News titles), RSS sampled every second")
    r = measure("bulk", texts, work / "long", opts, shard_size=max(1, opts.rows // 20), sample=True)
    print(line("encode_files", r))
    samples = [mb for _, mb in r["rss_samples"]]
    tenth = max(1, len(samples) // 10)
    for k in range(0, len(samples), tenth):
        part = samples[k : k + tenth]
        print(f"  {k / len(samples):>4.0%} of the run: RSS {min(part):7.1f} - {max(part):7.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="small sizes: 120 abstracts, 10,000 short rows")
    parser.add_argument("--docs", type=int, default=None, help="SciFact abstracts (default 600)")
    parser.add_argument("--rows", type=int, default=None, help="short rows of the long run (default 1,000,000)")
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds of the compared runs (median)")
    parser.add_argument("--child", default=None, dest="mode", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--actors", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--shard-size", type=int, default=10_000, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.mode:
        child(opts)
        return
    opts.docs = opts.docs or (120 if opts.smoke else 600)
    opts.rows = opts.rows or (10_000 if opts.smoke else 1_000_000)
    print(harness.machine())
    with tempfile.TemporaryDirectory() as tmp:
        compare_library(opts, Path(tmp))
        if not opts.no_ray:
            compare_ray(opts, Path(tmp))
        long_run(opts, Path(tmp))


if __name__ == "__main__":
    main()
