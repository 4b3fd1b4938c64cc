"""Run in a fresh process by bench.py and int8/openvino_int8.py: one stack's cold start or its peak memory.

    python -m benchmarks.speed.cold STACK cold TEXTS.json   # import + load + first vector (of the first text)
    python -m benchmarks.speed.cold STACK rss TEXTS.json    # peak RSS (VmHWM) after encoding all the texts

STACK is a name of benchmarks/speed/stacks.py (minilm-ENGINE, st, fastembed, ...). Prints one JSON line: cold_s
and peak_rss_mb. The clock starts before anything of the stack is imported (stacks.py imports only numpy; each
stack's packages are imported when it loads).
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks import harness  # noqa: E402
from benchmarks.speed import stacks  # noqa: E402


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[1] not in ("cold", "rss"):
        raise SystemExit(__doc__)
    name, mode, texts_file = argv
    texts = json.loads(Path(texts_file).read_text())
    encode = stacks.load(name)
    encode(texts[:1] if mode == "cold" else texts)
    harness.emit({"cold_s": time.perf_counter() - START, "peak_rss_mb": harness.peak_rss_mb()} if mode == "cold"
                 else {"peak_rss_mb": harness.peak_rss_mb()})  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
