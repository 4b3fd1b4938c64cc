"""The texts the benchmarks run on, read from ../shared/data: STS-B sentences and pairs, SciFact abstracts."""

from __future__ import annotations

import json
from pathlib import Path

from minilm.eval.datasets import BeirDataset, read_beir, read_stsb

ROOT = Path(__file__).resolve().parents[1]
# the data sets' folder beside the checkout (a missing one shows as the path a reader could not open)
PLACES = (Path.cwd().parent / "shared", ROOT.parent / "shared", Path("/work/shared"))
SHARED = next((p for p in PLACES if p.is_dir()), ROOT.parent / "shared")
DATA = SHARED / "data"
GOLDEN = SHARED / "golden"


def sts_rows(split: str = "test") -> list[tuple[str, str, float]]:
    """(sentence 1, sentence 2, gold score) of STS-B's split (minilm.eval's reader)."""
    pairs = read_stsb(DATA / "stsbenchmark" / f"sts-{split}.csv")
    return list(zip(pairs.sentences1, pairs.sentences2, pairs.scores.tolist(), strict=True))


def sts_sentences(split: str = "test") -> list[str]:
    """The unique sentences of an STS-B split, in first-seen order."""
    return list(dict.fromkeys(s for a, b, _ in sts_rows(split) for s in (a, b)))


def scifact() -> BeirDataset:
    """SciFact's BEIR test split (minilm.eval's reader: documents as title + " " + text, the MTEB convention)."""
    return read_beir(DATA / "scifact")


def scifact_abstracts() -> list[str]:
    """SciFact corpus documents as title + " " + text."""
    return scifact().doc_texts


def golden_texts() -> list[str]:
    """The 297 texts of ../shared/golden."""
    return list(json.loads((GOLDEN / "all-MiniLM-L6-v2.json").read_text())["texts"])
