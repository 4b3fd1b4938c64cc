"""Batch shapes for the onnx engine: rows per batch (short texts) and padded tokens per batch (long texts).

Configurations alternate round by round on the same texts; prints the median texts/s of each, relative to
batch_size 32 (short texts, under a token budget of 8,192 that never binds them) and to the library's default
budget of 1,024 padded tokens per batch (long texts, encoder.DEFAULT_MAX_TOKENS), and also unsorted batches (the
cost of padding). Each configuration runs the encoder's public
pipeline (prepare -> embed_units with its batch_size and max_tokens -> finish). --rss: peak RSS of a fresh
process encoding the long texts at each token budget (VmHWM; ONNX Runtime's arena grows to the largest batch).

    .venv/bin/python -m benchmarks.speed.batch_shapes [--rounds 5] [--rss]
"""

from __future__ import annotations

import argparse

import minilm
from benchmarks import harness, workloads
from minilm import batching
from minilm.encoder import DEFAULT_MAX_TOKENS

LONG_TEXTS = 64
BUDGETS = sorted({DEFAULT_MAX_TOKENS, 1024, 2048, 4096, 8192, 16384})


def peak_child(engine: str, max_tokens: int) -> None:
    """In a fresh process: encode the long texts at this token budget, report the peak RSS."""
    model = minilm.load(engine=engine, allow_download=False)
    prepared = model.prepare(workloads.scifact_abstracts()[:LONG_TEXTS])
    model.finish(prepared, model.embed_units(prepared.units, 32, max_tokens))
    harness.emit({"peak_rss_mb": harness.peak_rss_mb()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--engine", default="onnx")
    parser.add_argument("--rss", action="store_true", help="also peak RSS per token budget (fresh processes)")
    parser.add_argument("--peak-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:
        peak_child(args.engine, args.peak_child)
        return
    model = minilm.load(engine=args.engine, allow_download=False)
    short, long = workloads.sts_sentences("test")[:1000], workloads.scifact_abstracts()[:LONG_TEXTS]
    configs = [("short", b, 8192) for b in (8, 16, 32, 64, 128)] + [("long", 32, t) for t in BUDGETS]
    units = model.tokenizer(short)

    def run(config: tuple[str, int, int]) -> None:
        work, batch_size, max_tokens = config
        prepared = model.prepare(short if work == "short" else long)
        model.finish(prepared, model.embed_units(prepared.units, batch_size, max_tokens))

    def unsorted() -> None:  # batches of 32 in input order, padded to each batch's longest
        for i in range(0, len(units), 32):
            model.engine.forward(*batching.pad(units[i : i + 32], model.tokenizer.pad_id))

    runs = {config: (lambda c=config: run(c)) for config in configs} | {"unsorted": unsorted}
    times = harness.medians(harness.time_rounds(runs, args.rounds))
    print(harness.machine())
    print(f"engine {args.engine}, median of {args.rounds} alternating rounds")
    bases = {"short": (("short", 32, 8192), "batch_size 32"), "long": (("long", 32, DEFAULT_MAX_TOKENS),
             f"max_tokens {DEFAULT_MAX_TOKENS}")}  # fmt: skip
    for config in configs:
        work, batch_size, max_tokens = config
        n, (base, label) = (len(short) if work == "short" else len(long)), bases[work]
        print(f"{work:5} batch_size {batch_size:4} max_tokens {max_tokens:6}: {n / times[config]:8.1f} texts/s "
              f"({times[base] / times[config]:.2f}x {label})")  # fmt: skip
    print(f"short, unsorted batches of 32 (engine only): {len(short) / times['unsorted']:.1f} texts/s")
    if args.rss:
        for budget in BUDGETS:
            peak = harness.fresh_process(__spec__.name, "--engine", args.engine, "--peak-child", str(budget))
            print(f"long, max_tokens {budget:6}: peak RSS {peak['peak_rss_mb']:.0f} MB ({len(long)} abstracts, "
                  "fresh process)")  # fmt: skip


if __name__ == "__main__":
    main()
