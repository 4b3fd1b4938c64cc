"""What a metadata filter adds to an Index query: search p50 without a filter, with one key and with two keys,
and the SQL that finds the allowed chunks in the two forms measured (documents matched first, the form
documents_db.py uses, against a join that reads one document's JSON per chunk).

Random unit vectors, one chunk per document, metadata {"tenant": 50 values, "year": 20 values, "lang": "en"}.

    .venv/bin/python -m benchmarks.index.filters [--sizes 20000 100000] [--queries 50]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks import harness
from benchmarks.index.scale import StubModel, unit
from minilm.index import Index

FILTERS = {"none": None, "one key": {"tenant": "t7"}, "two keys": {"year": 2007, "lang": "en"}}
SQL = {
    "documents first (used)": "SELECT key FROM chunks WHERE doc_id IN (SELECT doc_id FROM docs "
    "WHERE json_extract(meta, ?) = json_extract(?, '$')) ORDER BY key",
    "join per chunk": "SELECT c.key FROM chunks c JOIN docs d USING (doc_id) "
    "WHERE json_extract(d.meta, ?) = json_extract(?, '$') ORDER BY c.key",
}


def p50_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()
    return float(np.percentile([harness.timed(fn) for _ in range(repeats)], 50) * 1e3)


def search_p50(index: Index, queries: np.ndarray, where: dict[str, object] | None) -> float:
    """p50 ms of one query at a time (k=10), cycling through the queries."""
    turn = iter(range(10**9))
    return p50_ms(lambda: index.search(queries[next(turn) % len(queries)], k=10, where=where), len(queries))


def sql_p50(index: Index, sql: str) -> float:
    """p50 ms of one form of the allowed-chunks query for {"tenant": "t7"}."""
    reader = index.store.reader()
    return p50_ms(lambda: reader.execute(sql, ['$."tenant"', '"t7"']).fetchall(), 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    print(harness.machine())
    rng = np.random.default_rng(0)
    print("| documents | " + " | ".join(f"search p50 ms, filter: {f}" for f in FILTERS) + " | "
          + " | ".join(f"allowed chunks ms, {s}" for s in SQL) + " |")  # fmt: skip
    print("| --- |" + " --- |" * (len(FILTERS) + len(SQL)))
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp, Index.create(Path(tmp) / "ix", StubModel(), search="exact",  # type: ignore[arg-type]
                                                                   cache=False) as index:  # fmt: skip
            meta = [{"tenant": f"t{i % 50}", "year": 2000 + i % 20, "lang": "en"} for i in range(n)]
            index.add([""] * n, ids=[str(i) for i in range(n)], metadata=meta, vectors=unit(n, rng), batch=50_000)
            queries = unit(args.queries, rng)
            cells = [search_p50(index, queries, where) for where in FILTERS.values()]
            cells += [sql_p50(index, sql) for sql in SQL.values()]
            print(f"| {n:,} | " + " | ".join(f"{c:.1f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
