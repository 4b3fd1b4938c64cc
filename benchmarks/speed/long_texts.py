"""Work per text for long texts: CPU and peak memory of one huge text (truncated), and chunking time per character.

Each measurement runs in a fresh process (peak RSS via /proc/self/status VmHWM, reset once the model has run), so
one does not hide another's peak. Prints the CPU model, then:
- truncate: a text of --mb megabytes ("word " repeated) -> CPU s, wall s, peak RSS over the loaded model's;
- chunk: texts of --chars characters each -> wall s, s per 100,000 characters (flat = linear), peak RSS over.

    .venv/bin/python benchmarks/long_texts.py [--engine onnx] [--mb 5] [--chars 25000 50000 100000]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys

PROBE = """
import json, sys, time
from pathlib import Path
import minilm

def memory_mb(field):
    return next(int(l.split()[1]) / 1024 for l in Path("/proc/self/status").read_text().splitlines()
                if l.startswith(field + ":"))

engine, on_long, chars = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = minilm.load(engine=engine, allow_download=False)
text = ("word " * (chars // 5 + 1))[:chars]
model.encode(text[:10_000], on_long=on_long)
Path("/proc/self/clear_refs").write_text("5")
footprint = memory_mb("VmRSS")
cpu, wall = time.process_time(), time.perf_counter()
model.encode(text, on_long=on_long)
print(json.dumps({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
                  "over": memory_mb("VmHWM") - footprint}))
"""


def probe(engine: str, on_long: str, chars: int) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", PROBE, engine, on_long, str(chars)], capture_output=True,
                          text=True, check=True)  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="onnx")
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--chars", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    args = parser.parse_args()
    print(f"cpu: {cpu_model()}, engine {args.engine}")
    big = probe(args.engine, "truncate", int(args.mb * 1_000_000))
    print(f"truncate, {args.mb:g} MB text: {big['cpu']:.2f} s CPU, {big['wall']:.2f} s wall, "
          f"peak RSS +{big['over']:.0f} MB over the loaded model")  # fmt: skip
    for chars in args.chars:
        got = probe(args.engine, "chunk", chars)
        print(f"chunk, {chars:,} characters: {got['wall']:.1f} s wall, {got['wall'] / chars * 1e5:.1f} s per "
              f"100,000 characters, peak RSS +{got['over']:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
