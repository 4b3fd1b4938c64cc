"""SciFact test split (BEIR format, ../shared/data/scifact) and its all-MiniLM-L6-v2 vectors, cached under results/.

    .venv/bin/python -m benchmarks.index.scifact_data    # fills the cache (backends.py, scifact.py read it)

Encoding the 5,183 abstracts with the numpy engine takes minutes on a 2-core machine, so the vectors are computed
once and kept in results/scifact_vectors.npz (not in git), keyed by the model's weights digest.
"""

from __future__ import annotations

import logging

import numpy as np

from benchmarks import harness, workloads
from minilm.eval.datasets import BeirDataset

CACHE = harness.ROOT / "results" / "scifact_vectors.npz"
log = logging.getLogger("scifact")


def read_scifact() -> BeirDataset:
    """The BEIR SciFact test split, read by minilm.eval (docs as title + " " + text, as MTEB embeds them)."""
    return workloads.scifact()


def scifact_vectors(data: BeirDataset, model) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """(doc vectors (5183, 384), query vectors (300, 384)), from the cache when it matches the model's digest."""
    if CACHE.exists():
        cached = np.load(CACHE)
        same = list(cached["doc_ids"]) == data.doc_ids and list(cached.get("query_ids", [])) == data.query_ids
        if str(cached["sha256"]) == model.sha256 and same:
            return cached["doc_vectors"], cached["query_vectors"]
    log.warning("encoding %d SciFact abstracts (minutes on 2 cores); cached in %s", len(data.doc_texts), CACHE)
    queries = model.encode(data.query_texts)
    docs = model.encode(data.doc_texts, show_progress=True)
    CACHE.parent.mkdir(exist_ok=True)
    np.savez(CACHE, doc_ids=np.array(data.doc_ids), query_ids=np.array(data.query_ids), doc_vectors=docs,
             query_vectors=queries, sha256=np.array(model.sha256))  # fmt: skip
    return docs, queries


if __name__ == "__main__":
    import minilm

    logging.basicConfig(level=logging.INFO)
    d = read_scifact()
    scifact_vectors(d, minilm.load(engine="numpy"))
