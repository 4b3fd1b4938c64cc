"""Prepare the demonstrations' training files from ../shared/data (nothing is copied into the repository).

    python benchmarks/training_data.py scifact-pairs OUT.jsonl   # SciFact train: (query, cited abstract) pairs
    python benchmarks/training_data.py sentences OUT.jsonl [N]    # distillation sentences (no STS-B test text)

SciFact pairs use only the train qrels; documents are title + " " + text, as MTEB encodes them. The distillation
sentences are STS-B train/dev, SICK train/trial, MSRP train and AG News texts, minus any sentence that occurs in
STS-B test (so the STS-B test figure is not trained on) and without the STS12-16 files (STS-B's sources).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def scifact_pairs(out: Path) -> int:
    queries = {q["_id"]: q["text"] for q in map(json.loads, (DATA / "scifact/queries.jsonl").open())}
    corpus = {d["_id"]: f"{d['title']} {d['text']}" for d in map(json.loads, (DATA / "scifact/corpus.jsonl").open())}
    rows = list(csv.DictReader((DATA / "scifact/qrels/train.tsv").open(), delimiter="\t"))
    with out.open("w") as f:
        for r in rows:
            f.write(json.dumps({"anchor": queries[r["query-id"]], "positive": corpus[r["corpus-id"]]}) + "\n")
    return len(rows)


def _sts_sentences(path: Path) -> list[str]:
    return [t for line in path.open() for t in line.rstrip("\n").split("\t")[5:7]]


def sentences(out: Path, limit: int = 0) -> int:
    held_out = set(_sts_sentences(DATA / "stsbenchmark/sts-test.csv"))
    texts = _sts_sentences(DATA / "stsbenchmark/sts-train.csv") + _sts_sentences(DATA / "stsbenchmark/sts-dev.csv")
    for name in ("SICK_train.txt", "SICK_trial.txt"):
        texts += [t for r in csv.DictReader((DATA / "sick" / name).open(), delimiter="\t")
                  for t in (r["sentence_A"], r["sentence_B"])]  # fmt: skip
    with (DATA / "msrp/msr-para-train.tsv").open() as f:
        next(f)
        texts += [t for line in f for t in line.rstrip("\n").split("\t")[3:5]]
    texts += [f"{r[1]} {r[2]}" for r in csv.reader((DATA / "ag_news/test.csv").open())]
    unique = [t for t in dict.fromkeys(t.strip() for t in texts) if t and t not in held_out]
    if limit:  # a reduced budget: an evenly spread subset, so every source is represented
        unique = unique[:: max(1, len(unique) // limit)][:limit]
    with out.open("w") as f:
        for t in unique:
            f.write(json.dumps({"text": t}) + "\n")
    return len(unique)


if __name__ == "__main__":
    kind, target = sys.argv[1], Path(sys.argv[2])
    n = scifact_pairs(target) if kind == "scifact-pairs" else sentences(target, int(sys.argv[3]) if sys.argv[3:] else 0)
    print(f"wrote {n} rows to {target}", file=sys.stderr)
