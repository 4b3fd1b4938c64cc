"""Work per text for long texts: CPU and peak memory of one huge text (truncated), and chunking time per character.

Each measurement runs in a fresh process (peak RSS via /proc/self/status VmHWM, reset once the model has run), so
one does not hide another's peak. Prints the CPU model, then:
- truncate: a text of --mb megabytes ("word " repeated) -> CPU s, wall s, peak RSS over the loaded model's;
- chunk: texts of --chars characters each -> wall s, s per 100,000 characters (flat = linear), peak RSS over.

    .venv/bin/python -m benchmarks.speed.long_texts [--engine onnx] [--mb 5] [--chars 25000 50000 100000]
"""

from __future__ import annotations

import argparse
import time

from benchmarks import harness


def probe(engine: str, on_long: str, chars: int) -> None:
    """In a fresh process: encode one text of `chars` characters; CPU s, wall s, peak RSS over the loaded model."""
    import minilm

    model = minilm.load(engine=engine, allow_download=False)
    text = ("word " * (chars // 5 + 1))[:chars]
    model.encode(text[:10_000], on_long=on_long)
    harness.reset_peak()
    footprint = harness.rss_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    model.encode(text, on_long=on_long)
    harness.emit({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
                  "over": harness.peak_rss_mb() - footprint})  # fmt: skip


def in_fresh_process(engine: str, on_long: str, chars: int) -> dict[str, float]:
    return harness.fresh_process(__spec__.name, "--probe", engine, on_long, str(chars))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="onnx")
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--chars", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    parser.add_argument("--probe", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(args.probe[0], args.probe[1], int(args.probe[2]))
        return
    print(f"{harness.machine()}; engine {args.engine}")
    big = in_fresh_process(args.engine, "truncate", int(args.mb * 1_000_000))
    print(f"truncate, {args.mb:g} MB text: {big['cpu']:.2f} s CPU, {big['wall']:.2f} s wall, "
          f"peak RSS +{big['over']:.0f} MB over the loaded model")  # fmt: skip
    for chars in args.chars:
        got = in_fresh_process(args.engine, "chunk", chars)
        print(f"chunk, {chars:,} characters: {got['wall']:.1f} s wall, {got['wall'] / chars * 1e5:.1f} s per "
              f"100,000 characters, peak RSS +{got['over']:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
