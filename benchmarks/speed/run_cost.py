"""What one engine call costs beyond its tokens, in padded tokens: the fit behind batching.RUN_COST_TOKENS.

Times engine.forward on full batches of R rows x T tokens (R in --rows, T in --tokens: the small batches where the
per-call cost shows), shapes alternating round by round, the median seconds per call of each shape over --rounds;
then fits seconds = a * (R x T) + b by least squares. b / a is the run cost: the padded tokens one more call is
worth. Prints, per engine, the fit and the run cost.

    .venv/bin/python -m benchmarks.speed.run_cost [--engines onnx onnx-int8 numpy] [--threads 2] [--rounds 3]
"""

from __future__ import annotations

import argparse

import numpy as np

import minilm
from benchmarks import harness


def fit(shapes: list[tuple[int, int]], seconds: list[float]) -> tuple[float, float]:
    """(a, b) of seconds = a * rows * tokens + b, least squares."""
    tokens = np.array([r * t for r, t in shapes], dtype=np.float64)
    design = np.stack([tokens, np.ones_like(tokens)], axis=1)
    (a, b), *_ = np.linalg.lstsq(design, np.array(seconds), rcond=None)
    return float(a), float(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", nargs="+", default=["onnx", "onnx-int8", "numpy"])
    parser.add_argument("--threads", type=int, default=None, help="engine threads (default: the engine's own)")
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--tokens", type=int, nargs="+", default=[8, 16, 24, 32, 48])
    parser.add_argument("--calls", type=int, default=10, help="calls per shape and round (their median is taken)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(harness.machine())
    shapes = [(r, t) for r in args.rows for t in args.tokens]
    print(f"{len(shapes)} shapes ({min(args.rows)}-{max(args.rows)} rows x {min(args.tokens)}-{max(args.tokens)} "
          f"tokens), median of {args.calls} calls per round, median of {args.rounds} alternating rounds")  # fmt: skip
    print("| engine | threads | seconds per padded token | seconds per call | run cost (padded tokens) |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.engines:
        model = minilm.load(engine=name, threads=args.threads, allow_download=False)
        token = model.tokenizer(["word"])[0][1]  # an ordinary word piece, not a special token
        batches = {(r, t): (np.full((r, t), token, np.int64), np.full(r, t, np.int64)) for r, t in shapes}

        def per_call(batch: tuple[np.ndarray, np.ndarray], engine=model.engine) -> float:
            return harness.median(harness.timed(lambda: engine.forward(*batch)) for _ in range(args.calls))

        for batch in batches.values():  # warm-up: the runtime's buffers for every shape
            model.engine.forward(*batch)
        runs = {shape: (lambda b=batch: per_call(b)) for shape, batch in batches.items()}
        seconds = harness.medians(harness.alternate(runs, args.rounds))
        a, b = fit(shapes, [seconds[s] for s in shapes])
        threads = getattr(model.engine, "threads", None) or args.threads or "-"
        print(f"| {name} | {threads} | {a:.3g} | {b:.3g} | {b / a:.0f} |", flush=True)


if __name__ == "__main__":
    main()
