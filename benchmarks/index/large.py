"""minilm.Index of the large layout at 1M and 10M chunks: build, 100k-chunk append, latency, recall, memory, disk.

Vectors: real minilm vectors of the local corpora (../shared/data: STS benchmark sentences, AG News test
titles + descriptions, SciFact claims; encoded once with all-MiniLM-L6-v2 and cached in the scratch directory)
fit a clustered generator: k-means (256 centres) on the real vectors, then each generated vector is a centre
(drawn with its cluster's share) plus Gaussian noise with that cluster's per-dimension residual standard
deviation, normalized. The index holds every real corpus vector (the first rows) and N generated ones; the
queries are 200 SciFact claims that are not in it. Generation is streamed per 100k chunk and seeded by the
chunk number, so the exact float32 top-10 (the recall truth) is computed by generating the same vectors again.

    python -m benchmarks.index.large --size 1000000 --dir /scratch     # then --size 10000000
    python -m benchmarks.index.large --size 10000000 --dir /scratch --phases build   # later: truth query append query

Phases run in fresh processes (harness-style: each reports its own VmHWM and the load average at its end), each
resumable on its own: build (Index.add of the texts' ids with given vectors, 100k documents a call, 10k a
transaction; the inverted file is trained once when the index passes ivf_threshold and appended to afterwards; a
build that was stopped goes on from the chunks committed), truth (the exact float32 top-10 of every query, cached
in the scratch directory), query (open, p50/p95 of single queries through Index.search, recall@10 against the
truth, per recall plan of PLANS), append (100k more chunks into the built index, checked to extend the same
trained structure; refused once done). Each phase's figures are also appended to results-SIZE.jsonl in the
scratch directory. Memory: VmRSS after the queries (RssAnon: the process's own memory; RssFile: pages of the
memory-mapped vector file, which the kernel may drop) and VmHWM (peak).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import harness
from benchmarks.index.scale import StubModel

DATA = harness.ROOT.parent / "shared" / "data"
CHUNK = 100_000
APPENDED = 10_000_000  # the generator's chunk number of the appended vectors (no build uses it)
QUERIES = 200
K = 10
# (lists probed, candidates rescored) measured by the query phase, besides the plans of vectors.IVF_PLANS
PLANS = ((32, 200), (64, 500), (128, 1000), (256, 2000))


def proc_status() -> dict[str, float]:
    """VmRSS, VmHWM, RssAnon, RssFile of this process, MiB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[name] = int(value.split()[0]) / 1024
    return out


def real_texts() -> tuple[list[str], list[str]]:
    """(corpus texts, query texts) from ../shared/data."""
    sentences: dict[str, None] = {}
    with open(DATA / "stsbenchmark" / "sts-train.csv", encoding="utf-8") as f:
        for row in f:
            cols = row.rstrip("\n").split("\t")
            if len(cols) >= 7:
                sentences.update({cols[5]: None, cols[6]: None})
    with open(DATA / "ag_news" / "test.csv", encoding="utf-8", newline="") as f:
        news = [f"{title}. {text}" for _, title, text in csv.reader(f)][:4000]
    with open(DATA / "scifact" / "queries.jsonl", encoding="utf-8") as f:
        claims = [json.loads(line)["text"] for line in f]
    return list(sentences) + news + claims[QUERIES:], claims[:QUERIES]


def real_vectors(scratch: Path) -> tuple[np.ndarray, np.ndarray]:
    """(corpus vectors, query vectors), encoded once and cached."""
    cached = scratch / "real.npz"
    if not cached.exists():
        import minilm

        model = minilm.load("all-MiniLM-L6-v2")
        corpus, queries = real_texts()
        np.savez(cached, corpus=model.encode(corpus), queries=model.encode(queries))
    with np.load(cached) as saved:
        return saved["corpus"], saved["queries"]


class Generator:
    """Clustered unit vectors fitted to real ones (see the module docstring)."""

    def __init__(self, real: np.ndarray, clusters: int = 256):
        import faiss

        km = faiss.Kmeans(real.shape[1], clusters, niter=20, seed=1, spherical=False)
        km.train(np.ascontiguousarray(real, dtype=np.float32))
        _, assign = km.index.search(real, 1)
        assign = assign[:, 0]
        self.centres = km.centroids
        self.weights = np.bincount(assign, minlength=clusters) / len(real)
        self.spread = np.stack([(real[assign == c] - self.centres[c]).std(axis=0) if np.any(assign == c)
                                else np.full(real.shape[1], 0.03, np.float32) for c in range(clusters)])  # fmt: skip

    def chunk(self, number: int, size: int) -> np.ndarray:
        rng = np.random.default_rng(1000 + number)
        c = rng.choice(len(self.centres), size, p=self.weights)
        x = self.centres[c] + self.spread[c] * rng.standard_normal((size, self.centres.shape[1]), dtype=np.float32)
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())


def setup(scratch: Path) -> tuple[np.ndarray, np.ndarray, Generator]:
    corpus, queries = real_vectors(scratch)
    return corpus, queries, Generator(corpus)


def build(scratch: Path, size: int, ivf_threshold: int) -> dict[str, Any]:
    from minilm.index import Index

    corpus, _, gen = setup(scratch)
    path = scratch / f"ix{size}"
    t0 = time.perf_counter()
    if (path / "index.sqlite").exists():  # a build stopped before: go on from the chunks it committed
        ix = Index.open(path, writable=True, cache=False)
        first = max(0, len(ix) - len(corpus)) // CHUNK
    else:
        ix = Index.create(path, StubModel(), layout="large", ivf_threshold=ivf_threshold, cache=False)  # type: ignore[arg-type]
        first = 0
    with ix:
        ix.add([""] * len(corpus), ids=[f"r{i}" for i in range(len(corpus))], vectors=corpus, batch=10_000)
        for n in range(first, size // CHUNK):
            ids = [f"g{i}" for i in range(n * CHUNK, (n + 1) * CHUNK)]
            ix.add([""] * CHUNK, ids=ids, vectors=gen.chunk(n, CHUNK), batch=10_000)
            if n % 10 == 9 or n == first:
                print(f"  {(n + 1) * CHUNK:,} chunks, {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.1f}",
                      file=sys.stderr, flush=True)  # fmt: skip
        kind = ix._structure.vectors.search_kind if ix._structure.vectors else None
        closing = time.perf_counter()
    done = time.perf_counter()
    return {"build_s": done - t0, "from_chunk": first, "close_s": done - closing, "kind": kind,
            "cpu_s": time.process_time(), "disk_mib": dir_bytes(path) / 2**20, **proc_status()}  # fmt: skip


def truth(scratch: Path, size: int, appended: bool) -> list[set[str]]:
    """Exact float32 top-10 ids of every query over the real corpus and the generated vectors (and the appended
    ones, after the append phase)."""
    corpus, queries, gen = setup(scratch)
    cached = scratch / f"truth{size}{'-appended' if appended else ''}.json"
    if cached.exists():
        return [set(t) for t in json.loads(cached.read_text())]
    scores = queries @ corpus.T
    best = np.argsort(-scores, axis=1)[:, :K]
    top = [[(float(scores[q, i]), f"r{i}") for i in best[q]] for q in range(len(queries))]
    parts = [(n, f"g{n * CHUNK}") for n in range(size // CHUNK)] + ([(APPENDED, "a0")] if appended else [])
    for n, first in parts:
        s = queries @ gen.chunk(n, CHUNK).T
        part = np.argpartition(-s, K, axis=1)[:, :K]
        prefix, start = first[0], int(first[1:])
        for q in range(len(queries)):
            top[q] = sorted(top[q] + [(float(s[q, i]), f"{prefix}{start + i}") for i in part[q]], reverse=True)[:K]
    found = [[doc for _, doc in t] for t in top]
    cached.write_text(json.dumps(found))
    return [set(t) for t in found]


def truth_phase(scratch: Path, size: int, ivf_threshold: int) -> dict[str, Any]:
    from minilm.index import Index

    with Index.open(scratch / f"ix{size}", cache=False) as ix:
        appended = ix.store.count()[0] > len(setup(scratch)[0]) + size
    t = time.perf_counter()
    truth(scratch, size, appended)
    return {"truth_s": time.perf_counter() - t, "appended": appended, **proc_status()}


def query(scratch: Path, size: int, ivf_threshold: int,
          plans: list[tuple[int, int]] | None = None) -> dict[str, Any]:  # fmt: skip
    from minilm.index import Index, ranking
    from minilm.index.vectors import IVF_PLANS

    corpus, queries, _ = setup(scratch)
    t0 = time.perf_counter()
    ix = Index.open(scratch / f"ix{size}", cache=False)
    ix.refresh()
    open_s = time.perf_counter() - t0
    want = truth(scratch, size, appended=len(ix) > len(corpus) + size)
    out: dict[str, Any] = {"open_s": open_s, "kind": ix._structure.vectors.search_kind}  # type: ignore[union-attr]
    plans = sorted({(probes, depth) for _, probes, depth in IVF_PLANS} | set(PLANS)) if plans is None else plans
    out["default"] = list(ranking.ivf_plan(ix.settings["recall"]))
    for probes, depth in plans:
        ranking.ivf_plan = lambda recall, plan=(probes, depth): plan  # type: ignore[misc]  # this plan
        lat, recall = [], []
        for _ in range(2):  # the first round also brings the touched pages of the vector file in
            lat, recall = [], []
            for q, w in zip(queries, want, strict=True):
                t = time.perf_counter()
                hits = ix.search(q, k=K)
                lat.append(time.perf_counter() - t)
                recall.append(len({h.doc_id for h in hits} & w) / K)
        p50, p95 = (float(np.percentile(lat, p) * 1e3) for p in (50, 95))
        out[f"lists {probes}, rescored {depth}"] = {"p50_ms": p50, "p95_ms": p95, "recall": float(np.mean(recall))}
    out.update(proc_status())
    ix.close()
    return out


def append(scratch: Path, size: int, ivf_threshold: int) -> dict[str, Any]:
    from minilm.index import Index

    _, _, gen = setup(scratch)
    vectors = gen.chunk(APPENDED, CHUNK)
    ix = Index.open(scratch / f"ix{size}", writable=True, cache=False)
    if ix.store.hashes(["a0"]):
        ix.close()
        raise SystemExit(f"the append phase already ran on {scratch / f'ix{size}'}: build again to repeat it")
    t = time.perf_counter()
    ix.refresh()
    open_s = time.perf_counter() - t
    before = ix._structure.vectors
    assert before is not None
    index_before, total_before = before.index, before.index.ntotal
    t = time.perf_counter()
    ix.add([""] * CHUNK, ids=[f"a{i}" for i in range(CHUNK)], vectors=vectors, batch=10_000)
    add_s = time.perf_counter() - t
    after = ix._structure.vectors
    same = after is before and after.index is index_before and after.index.ntotal == total_before + CHUNK
    out = {"open_s": open_s, "append_s": add_s, "same_structure": same, "kind": after.search_kind if after else None}
    t = time.perf_counter()
    ix.close()
    out.update(close_s=time.perf_counter() - t, disk_mib=dir_bytes(scratch / f"ix{size}") / 2**20, **proc_status())
    return out


def plan(text: str) -> tuple[int, int]:
    """LISTS:DEPTH of --plans."""
    probes, sep, depth = text.partition(":")
    if not (sep and probes.isdigit() and depth.isdigit() and int(probes) > 0 and int(depth) > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: expected LISTS:DEPTH, two positive integers (64:500)")
    return int(probes), int(depth)


PHASES = {"build": build, "truth": truth_phase, "query": query, "append": append}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000, help="generated chunks (a multiple of 100,000)")
    parser.add_argument("--dir", required=True, help="scratch directory (the index, cached vectors)")
    parser.add_argument("--ivf-threshold", type=int, default=200_000, help="chunks from which the inverted file")
    parser.add_argument("--phase", choices=sorted(PHASES), help="run one phase in this process")
    parser.add_argument("--plans", nargs="+", type=plan, metavar="LISTS:DEPTH",
                        help="the query phase's plans (lists probed:candidates rescored), not its own")  # fmt: skip
    parser.add_argument("--phases", nargs="+", choices=sorted(PHASES), default=["build", "truth", "query", "append",
                        "truth", "query"])  # fmt: skip
    args = parser.parse_args()
    scratch = Path(args.dir)
    scratch.mkdir(parents=True, exist_ok=True)
    if args.phase:
        extra = {"plans": args.plans} if args.plans and args.phase == "query" else {}
        result = {"phase": args.phase, **PHASES[args.phase](scratch, args.size, args.ivf_threshold, **extra),
                  "load": os.getloadavg()[0], "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}  # fmt: skip
        with open(scratch / f"results-{args.size}.jsonl", "a", encoding="utf-8") as log:
            log.write(json.dumps(result) + "\n")
        print(json.dumps(result), flush=True)
        return
    print(harness.machine(), flush=True)
    real_vectors(scratch)
    for phase in args.phases:
        cmd = [sys.executable, "-m", "benchmarks.index.large", "--size", str(args.size), "--dir", str(scratch),
               "--ivf-threshold", str(args.ivf_threshold), "--phase", phase]  # fmt: skip
        if args.plans:
            cmd += ["--plans", *(f"{probes}:{depth}" for probes, depth in args.plans)]
        # stderr (progress) passes through; the phase's figures are its last stdout line
        done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "2"})
        if done.returncode:
            sys.exit(f"{phase} failed (exit status {done.returncode})")
        print(f"{phase} (N={args.size:,}): {done.stdout.strip().splitlines()[-1]}", flush=True)


if __name__ == "__main__":
    main()
