"""Helpers shared by the eval tests: files written in the benchmarks' formats."""

from __future__ import annotations

import json
from pathlib import Path


def write(path: Path, text: str, newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def beir_folder(root: Path) -> Path:
    docs = [{"_id": "d1", "title": "Title", "text": "Body one."}, {"_id": "d2", "title": "", "text": "Body two."},
            {"_id": "d3", "title": "Only title", "text": ""}]  # fmt: skip
    queries = [{"_id": "q1", "text": "first?"}, {"_id": "q2", "text": "second?"}, {"_id": "q9", "text": "no qrels"}]
    write(root / "corpus.jsonl", "\n".join(json.dumps(d) for d in docs) + "\n")
    write(root / "queries.jsonl", "\n".join(json.dumps(q) for q in queries) + "\n")
    write(root / "qrels" / "test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td3\t0\nq2\td2\t1\n")
    return root
