"""The evaluation data the tests read (tests/data), cut from the full data sets (default ../shared/data).

Each folder keeps only what a test reads, with its source's SOURCE.md and licence text, and a header saying
what was kept:

    stsbenchmark/  sts-test.csv whole (1,379 pairs: the published STS-B figure needs all of them), the first
                   200 lines of sts-train.csv and of sts-dev.csv
    scifact/       the 300 test queries, their qrels, and 500 documents: every relevant one plus the first
                   others in corpus order (what tests/eval/test_eval_integration.py scores)
    ag_news/       the first 600 lines of test.csv (tests/ui/test_cluster_map.py)

Usage: python scripts/make_test_data.py [--data ../shared/data] [--out tests/data]
Standard library only; the output is byte-for-byte the same for the same input.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCIFACT_DOCS = 500
AG_NEWS_ROWS = 600
STS_ROWS = 200


def head_lines(source: Path, target: Path, count: int | None) -> int:
    """Copy the first `count` lines (all when None) byte for byte; returns how many were copied."""
    with source.open("rb") as f:
        lines = f.readlines()
    kept = lines if count is None else lines[:count]
    target.write_bytes(b"".join(kept))
    return len(kept)


def write_source(src: Path, out: Path, kept: list[str]) -> None:
    """SOURCE.md: what this subset holds, then the full data set's own SOURCE.md unchanged."""
    header = ["# Subset kept for minilm's tests", "",
              "Cut from the full data set by scripts/make_test_data.py; everything else is left out:", "",
              *[f"- {line}" for line in kept], "",
              "The source, licence and format of the full data set follow, as its SOURCE.md gives them.", "",
              "---", ""]  # fmt: skip
    (out / "SOURCE.md").write_text("\n".join(header) + (src / "SOURCE.md").read_text(encoding="utf-8"))


def stsbenchmark(src: Path, out: Path) -> None:
    counts = {name: head_lines(src / name, out / name, None if name == "sts-test.csv" else STS_ROWS)
              for name in ("sts-test.csv", "sts-train.csv", "sts-dev.csv")}  # fmt: skip
    shutil.copyfile(src / "LICENSE.txt", out / "LICENSE.txt")
    kept = [f"{name}: {n} pairs" + (" (all)" if name == "sts-test.csv" else " (the first)")
            for name, n in counts.items()]  # fmt: skip
    write_source(src, out, [*kept, "LICENSE.txt: the distribution's licence text"])


def scifact(src: Path, out: Path) -> None:
    qrels_lines = (src / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
    rows = [line.rstrip("\n").split("\t") for line in qrels_lines[1:]]
    queries, relevant = {r[0] for r in rows}, {r[1] for r in rows}
    with (src / "corpus.jsonl").open(encoding="utf-8") as f:
        corpus = f.readlines()
    ids = [json.loads(line)["_id"] for line in corpus]
    keep = [i for i, d in enumerate(ids) if d in relevant]
    keep += [i for i, d in enumerate(ids) if d not in relevant][: SCIFACT_DOCS - len(keep)]
    (out / "corpus.jsonl").write_text("".join(corpus[i] for i in sorted(keep)), encoding="utf-8")
    with (src / "queries.jsonl").open(encoding="utf-8") as f:
        kept_queries = [line for line in f if json.loads(line)["_id"] in queries]
    (out / "queries.jsonl").write_text("".join(kept_queries), encoding="utf-8")
    (out / "qrels").mkdir(exist_ok=True)
    shutil.copyfile(src / "qrels" / "test.tsv", out / "qrels" / "test.tsv")
    write_source(src, out, [f"qrels/test.tsv: all {len(rows)} rows ({len(queries)} queries)",
                            f"queries.jsonl: the {len(kept_queries)} queries of qrels/test.tsv, in file order",
                            f"corpus.jsonl: {len(keep)} of {len(ids)} documents, in corpus order: the {len(relevant)} "
                            f"relevant to a test query and the first {len(keep) - len(relevant)} others"])  # fmt: skip


def ag_news(src: Path, out: Path) -> None:
    n = head_lines(src / "test.csv", out / "test.csv", AG_NEWS_ROWS)
    for name in ("classes.txt", "readme.txt"):
        shutil.copyfile(src / name, out / name)
    write_source(src, out, [f"test.csv: the first {n} rows", "classes.txt, readme.txt: unchanged (the readme "
                                                                "states the terms of use)"])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="the full data sets")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data")
    args = parser.parse_args()
    for name, cut in (("stsbenchmark", stsbenchmark), ("scifact", scifact), ("ag_news", ag_news)):
        (args.out / name).mkdir(parents=True, exist_ok=True)
        cut(args.data / name, args.out / name)
        print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()
