"""The texts the benchmarks run on, read from ../shared/data: STS-B sentences and pairs, SciFact abstracts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = next(p for p in (Path.cwd().parent / "shared", ROOT.parent / "shared", Path("/work/shared")) if p.is_dir())
DATA = SHARED / "data"
GOLDEN = SHARED / "golden"


def sts_rows(split: str = "test") -> list[tuple[str, str, float]]:
    """(sentence 1, sentence 2, gold score) of STS-B's split."""
    path = DATA / "stsbenchmark" / f"sts-{split}.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r[5], r[6], float(r[4])) for r in rows if len(r) >= 7]


def sts_sentences(split: str = "test") -> list[str]:
    """The unique sentences of an STS-B split, in first-seen order."""
    return list(dict.fromkeys(s for a, b, _ in sts_rows(split) for s in (a, b)))


def scifact_abstracts() -> list[str]:
    """SciFact corpus documents as title + " " + text (the MTEB convention)."""
    docs = []
    with (DATA / "scifact" / "corpus.jsonl").open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            text = d["text"] if isinstance(d["text"], str) else " ".join(d["text"])
            docs.append(f"{d.get('title', '')} {text}".strip())
    return docs


def golden_texts() -> list[str]:
    """The 297 texts of ../shared/golden."""
    return list(json.loads((GOLDEN / "all-MiniLM-L6-v2.json").read_text())["texts"])
