"""minilm's engines against the peers, in one run on the same texts: writes results/bench.md and bench.json.

Measures, per stack (benchmarks/stacks.py): sentences/s and tokens/s on STS-B sentences (short) and SciFact
abstracts (long), stacks alternating round by round (median of rounds); the ratio to sentence-transformers
("st") of the same run; the share of the fp32 ceiling (numpy sgemm GFLOP/s measured in this run, divided by the
model's FLOPs per token, attention included); single-query latency p50/p95; cold start (import + load + first
vector, in a fresh process); peak RSS while encoding the SciFact workload (fresh process); installed size of
each stack's distributions; and each stack's quality: the cosine of its vectors to sentence-transformers' torch
fp32 vectors ("st", else minilm-onnx) of the same texts, median and worst over both workloads (an int8 stack that
is fast but breaks some vectors shows here). Stacks whose packages are missing are reported as skipped.

    bash benchmarks/setup.sh && benchmarks/.venv/bin/python -m benchmarks.speed.bench [--quick] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks import harness, workloads
from benchmarks.harness import ChildFailed
from benchmarks.speed import sizes, stacks

H, LAYERS, FFN = 384, 6, 1536
LINEAR_FLOPS = 2 * LAYERS * (4 * H * H + 2 * H * FFN)  # per token: Q, K, V, output, FFN up and down (21.2 M)


def flops(lengths: np.ndarray) -> float:
    """FLOPs to embed texts of these token counts: linear layers + attention (QK^T and PV: 4 T H per layer)."""
    n = lengths.astype(np.float64)
    return float(np.sum(n * LINEAR_FLOPS + 4 * n * n * H * LAYERS))


def sgemm_gflops(size: int = 1024, repeats: int = 10) -> float:
    """numpy float32 matrix multiply rate (best of repeats): the machine's fp32 ceiling."""
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    b = a.T.copy()
    a @ b
    best = min(harness.timed(lambda: a @ b) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def in_fresh_process(name: str, mode: str, texts: list[str], tmp: Path) -> dict[str, object]:
    """Cold start (mode "cold") or peak RSS over the texts ("rss") of one stack, in a fresh process (cold.py)."""
    path = tmp / f"texts-{mode}.json"
    path.write_text(json.dumps(texts))
    try:
        result = harness.fresh_process("benchmarks.speed.cold", name, mode, str(path))
    except ChildFailed as exc:
        return {"error": str(exc)}
    return {"cold_s": result["cold_s"]} if mode == "cold" else result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tiny sample, one round: keeps the script working")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stacks", nargs="*", default=stacks.STACKS)
    parser.add_argument("--out", type=Path, default=harness.ROOT / "results")
    args = parser.parse_args()

    import minilm

    short, long = workloads.sts_sentences("test")[:2000], workloads.scifact_abstracts()[:300]
    queries, rounds = workloads.sts_sentences("dev")[:200], args.rounds
    if args.quick:
        short, long, queries, rounds = short[:64], long[:4], queries[:10], 1
    tok = minilm.load(engine="numpy", allow_download=False).tokenizer
    lengths = {k: np.array([len(t) for t in tok(v)]) for k, v in (("stsb", short), ("scifact", long))}
    texts = {"stsb": short, "scifact": long}

    loaded, report = {}, {}
    for name in args.stacks:
        try:
            loaded[name] = stacks.load(name)
            loaded[name](short[:2])  # warm-up (and, for st-onnx, the one-time export)
        except Exception as exc:  # a peer that does not install or load is reported, not fatal
            report[name] = {"skipped": f"{type(exc).__name__}: {exc}"[:300]}
    gflops = sgemm_gflops()
    vectors: dict[str, dict[str, np.ndarray]] = {n: {} for n in loaded}

    def run(name: str, work: str) -> None:
        vectors[name][work] = np.asarray(loaded[name](texts[work]), dtype=np.float32)

    runs = {(n, w): (lambda n=n, w=w: run(n, w)) for w in ("stsb", "scifact") for n in loaded}
    seconds = harness.time_rounds(runs, rounds)  # alternating: each stack sees the same machine in each round
    times = {n: {w: seconds[(n, w)] for w in ("stsb", "scifact")} for n in loaded}
    gflops = max(gflops, sgemm_gflops())  # before and after, best of both

    tmp = args.out / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    for name, encode in loaded.items():
        entry: dict[str, object] = {"quality": quality(vectors, name)}
        for work in ("stsb", "scifact"):
            t = harness.median(times[name][work])
            entry[work] = {
                "texts_per_s": len(texts[work]) / t,
                "tokens_per_s": float(lengths[work].sum()) / t,
                "ceiling_share": flops(lengths[work]) / t / (gflops * 1e9),
                "seconds": times[name][work],
            }
        lat = [harness.timed(lambda e=encode, q=q: e([q])) * 1e3 for q in queries]
        entry["latency_ms"] = {"p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95))}
        entry.update(in_fresh_process(name, "cold", short[:1], tmp))
        entry.update(in_fresh_process(name, "rss", long, tmp))
        entry["installed_mb"] = sizes.stack_mb(stacks.DISTRIBUTIONS[name])
        report[name] = entry
    for entry in report.values():
        for work in ("stsb", "scifact"):
            if "st" in loaded and work in entry:
                st_rate = len(texts[work]) / harness.median(times["st"][work])
                entry[work]["vs_st"] = entry[work]["texts_per_s"] / st_rate  # type: ignore[index]

    meta = {
        "machine": harness.machine(),
        "sgemm_gflops": gflops, "linear_mflops_per_token": LINEAR_FLOPS / 1e6, "rounds": rounds,
        "stsb": {"texts": len(short), "mean_tokens": float(lengths["stsb"].mean())},
        "scifact": {"texts": len(long), "mean_tokens": float(lengths["scifact"].mean())}, "quick": args.quick,
    }  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps({"meta": meta, "stacks": report}, indent=2))
    (args.out / "bench.md").write_text(markdown(meta, report))
    print(markdown(meta, report))


def quality(vectors: dict[str, dict[str, np.ndarray]], name: str) -> dict[str, float | str]:
    """Cosine of a stack's vectors to the reference stack's (st, else minilm-onnx), over both workloads."""
    reference = next((r for r in ("st", "minilm-onnx") if r in vectors), None)
    if reference is None:
        return {}
    cos = np.concatenate([_cosines(vectors[name][w], vectors[reference][w]) for w in ("stsb", "scifact")])
    return {"reference": reference, "median": float(np.median(cos)), "worst": float(cos.min())}


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def markdown(meta: dict, report: dict) -> str:  # type: ignore[type-arg]
    def cell(entry: dict, work: str, key: str, fmt: str) -> str:  # type: ignore[type-arg]
        value = entry.get(work, {}).get(key)
        return format(value, fmt) if value is not None else "-"

    lines = [
        f"{meta['machine']}; numpy sgemm {meta['sgemm_gflops']:.0f} GFLOP/s; median of {meta['rounds']} "
        f"alternating rounds; STS-B {meta['stsb']['texts']} sentences (mean {meta['stsb']['mean_tokens']:.1f} "
        f"tokens), SciFact {meta['scifact']['texts']} abstracts (mean {meta['scifact']['mean_tokens']:.0f} tokens)",
        "",
        "| stack | STS-B sent/s | tokens/s | vs st | ceiling | SciFact docs/s | tokens/s | vs st | ceiling | "
        "query p50 ms | p95 ms | cold start s | peak RSS MB | installed MB | cos median | cos worst |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, e in report.items():
        if "skipped" in e:
            lines.append(f"| {name} | skipped: {e['skipped']} |" + " |" * 14)
            continue
        row = [name]
        for work in ("stsb", "scifact"):
            row += [cell(e, work, "texts_per_s", ".1f"), cell(e, work, "tokens_per_s", ".0f"),
                    cell(e, work, "vs_st", ".2f") + "x", cell(e, work, "ceiling_share", ".0%")]  # fmt: skip
        row += [f"{e['latency_ms']['p50']:.1f}", f"{e['latency_ms']['p95']:.1f}"]
        row += [
            f"{e['cold_s']:.2f}" if "cold_s" in e else "-",
            f"{e['peak_rss_mb']:.0f}" if "peak_rss_mb" in e else "-",
        ]
        row += [f"{e['installed_mb']:.0f}"]
        q = e.get("quality", {})
        row += [f"{q['median']:.5f}", f"{q['worst']:.4f}"] if q else ["-", "-"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
