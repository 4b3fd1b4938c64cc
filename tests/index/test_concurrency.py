"""One Index searched from 16 threads at once gives what serial searches give, round after round, while its
writer deletes documents between rounds (so every round starts with the readers catching up concurrently)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minilm.index import Index

THREADS, ROUNDS, DOCS = 16, 4, 5000  # a filter bitmap of 5000 bits is freed to malloc, not pymalloc


def _cases(rng: np.random.Generator, dimension: int) -> list[tuple[Any, int, dict[str, Any] | None]]:
    """(query, k, where): single vectors with and without filters, and batches of 20 (faiss's other path)."""
    cases: list[tuple[Any, int, dict[str, Any] | None]] = []
    for n in range(24):
        where = [None, {"g": 0}, {"g": 1}, {"g": 2}][n % 4]
        cases.append((rng.standard_normal(dimension).astype(np.float32), 1 + n % 7, where))
    cases += [(rng.standard_normal((20, dimension)).astype(np.float32), 5, where) for where in (None, {"g": 1})]
    return cases


def _flat(result: Any) -> list[tuple[str, float, int, int]]:
    hits = result if result and isinstance(result[0], list) else [result]
    return [(h.doc_id, h.score, h.start, h.end) for row in hits for h in row]


@pytest.mark.parametrize("search", ["exact", "hnsw"])
def test_sixteen_threads_match_serial_search_across_deletions(tiny, tmp_path: Path, search: str) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((DOCS, tiny.dimension)).astype(np.float32)
    ids = [f"v{i}" for i in range(DOCS)]
    writer = Index.create(tmp_path / "ix", tiny, search=search, cache=False)
    writer.add([f"text {i}" for i in range(DOCS)], ids=ids, metadata=[{"g": i % 3} for i in range(DOCS)],
               vectors=vectors)  # fmt: skip
    reader = Index.open(tmp_path / "ix", model=tiny)
    cases = _cases(rng, tiny.dimension)
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            for round_ in range(ROUNDS):
                for ix in (writer, reader):
                    # Concurrent first: the reader catches up with the writer's deletion inside this round.
                    jobs = [pool.submit(ix.search, q, k, where) for q, k, where in cases * 2]
                    concurrent = [_flat(job.result()) for job in jobs]
                    serial = [_flat(ix.search(q, k, where)) for q, k, where in cases]
                    assert concurrent == serial * 2, f"{search} round {round_}: threads disagree with serial"
                gone = ids[round_ * 40 : round_ * 40 + 40]
                assert writer.delete(gone) == 40
    finally:
        reader.close()
        writer.close()
