"""Prepare the demonstrations' training files from ../shared/data (nothing is copied into the repository).

    python scripts/training_data.py scifact-pairs OUT.jsonl   # SciFact train: (query, cited abstract) pairs
    python scripts/training_data.py sentences OUT.jsonl [N]    # distillation sentences (no STS-B test text)

The files are read by minilm.eval's readers. SciFact pairs use only the train qrels; documents are
title + " " + text, as MTEB encodes them. The distillation sentences are STS-B train/dev, SICK train/trial, MSRP
train and AG News texts, minus any sentence that occurs in STS-B test (so the STS-B test figure is not trained
on) and without the STS12-16 files (STS-B's sources).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from minilm.eval.datasets import StsPairs, read_ag_news, read_beir, read_sick, read_stsb

ROOT = Path(__file__).resolve().parents[1]
DATA = next(p for p in (ROOT.parent / "shared", Path("/work/shared")) if p.is_dir()) / "data"


def scifact_pairs(out: Path) -> int:
    data = read_beir(DATA / "scifact", split="train")
    corpus = dict(zip(data.doc_ids, data.doc_texts, strict=True))
    queries = dict(zip(data.query_ids, data.query_texts, strict=True))
    rows = [(queries[q], corpus[d]) for q, docs in data.qrels.items() for d, grade in docs.items() if grade > 0]
    with out.open("w", encoding="utf-8") as f:
        for anchor, positive in rows:
            f.write(json.dumps({"anchor": anchor, "positive": positive}) + "\n")
    return len(rows)


def _texts(pairs: StsPairs) -> list[str]:
    return [t for a, b in zip(pairs.sentences1, pairs.sentences2, strict=True) for t in (a, b)]


def _msrp(path: Path) -> list[str]:
    """The two sentences of each row of MSRP's TSV (header: Quality, #1 ID, #2 ID, #1 String, #2 String)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()[1:]
    return [t for line in lines for t in line.split("\t")[3:5]]


def sentences(out: Path, limit: int = 0) -> int:
    held_out = set(_texts(read_stsb(DATA / "stsbenchmark/sts-test.csv")))
    texts = [t for split in ("train", "dev") for t in _texts(read_stsb(DATA / f"stsbenchmark/sts-{split}.csv"))]
    for name in ("SICK_train.txt", "SICK_trial.txt"):
        texts += _texts(read_sick([DATA / "sick" / name]))
    texts += _msrp(DATA / "msrp/msr-para-train.tsv")
    texts += read_ag_news(DATA / "ag_news/test.csv").texts
    unique = [t for t in dict.fromkeys(t.strip() for t in texts) if t and t not in held_out]
    if limit:  # a reduced budget: an evenly spread subset, so every source is represented
        unique = unique[:: max(1, len(unique) // limit)][:limit]
    with out.open("w", encoding="utf-8") as f:
        for t in unique:
            f.write(json.dumps({"text": t}) + "\n")
    return len(unique)


if __name__ == "__main__":
    kind, target = sys.argv[1], Path(sys.argv[2])
    n = scifact_pairs(target) if kind == "scifact-pairs" else sentences(target, int(sys.argv[3]) if sys.argv[3:] else 0)
    print(f"wrote {n} rows to {target}", file=sys.stderr)
