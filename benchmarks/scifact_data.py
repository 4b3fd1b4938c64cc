"""SciFact test split (BEIR format, ../shared/data/scifact) and its all-MiniLM-L6-v2 vectors, cached under results/.

Encoding the 5,183 abstracts with the numpy engine takes minutes on a 2-core machine, so the vectors are computed
once and kept in results/scifact_vectors.npz (not in git), keyed by the model's weights digest.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCIFACT = ROOT.parent / "shared" / "data" / "scifact"
CACHE = ROOT / "results" / "scifact_vectors.npz"
log = logging.getLogger("scifact")


@dataclass
class SciFact:
    """Corpus (ids, texts as title + " " + text), test queries (ids, texts) and qrels {query: {doc: score}}."""

    doc_ids: list[str]
    doc_texts: list[str]
    query_ids: list[str]
    query_texts: list[str]
    qrels: dict[str, dict[str, int]]


def read_scifact(root: Path = SCIFACT) -> SciFact:
    """The BEIR SciFact test split: docs joined as title + " " + text (sentence-transformers' BEIR convention)."""
    docs = [json.loads(line) for line in (root / "corpus.jsonl").open(encoding="utf-8")]
    queries = {q["_id"]: q["text"] for q in map(json.loads, (root / "queries.jsonl").open(encoding="utf-8"))}
    qrels: dict[str, dict[str, int]] = {}
    for line in (root / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, did, score = line.split("\t")
        qrels.setdefault(qid, {})[did] = int(score)
    qids = sorted(qrels)
    return SciFact(
        [d["_id"] for d in docs], [d["title"] + " " + d["text"] for d in docs], qids, [queries[q] for q in qids], qrels
    )


def scifact_vectors(data: SciFact, model) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """(doc vectors (5183, 384), query vectors (300, 384)), from the cache when it matches the model's digest."""
    if CACHE.exists():
        cached = np.load(CACHE)
        if str(cached["sha256"]) == model.sha256 and list(cached["doc_ids"]) == data.doc_ids:
            return cached["doc_vectors"], cached["query_vectors"]
    log.warning("encoding %d SciFact abstracts (minutes on 2 cores); cached in %s", len(data.doc_texts), CACHE)
    queries = model.encode(data.query_texts)
    docs = model.encode(data.doc_texts, show_progress=True)
    CACHE.parent.mkdir(exist_ok=True)
    np.savez(CACHE, doc_ids=np.array(data.doc_ids), doc_vectors=docs, query_vectors=queries,
             sha256=np.array(model.sha256))  # fmt: skip
    return docs, queries


if __name__ == "__main__":
    import minilm

    logging.basicConfig(level=logging.INFO)
    d = read_scifact()
    scifact_vectors(d, minilm.load(engine="numpy"))
