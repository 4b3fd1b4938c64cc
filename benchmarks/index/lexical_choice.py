"""Why the index's lexical side is SQLite FTS5: FTS5 (as minilm.index.lexical tokenizes and queries it) against
bm25s (English stopwords, Snowball English stemmer: the issue's 68.63 setting) on SciFact test, one row per
abstract (title + text): nDCG@10, build time, the cost of adding 50 documents to a built index, and size.

bm25s builds its sparse matrix over the whole corpus at once (it has no incremental add), so an add is a rebuild;
FTS5 inserts the new rows in the same SQLite transaction as the documents. bm25s is a benchmark peer
(benchmarks/setup.sh installs it; `pip install bm25s PyStemmer`).

    python -m benchmarks.index.lexical_choice
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import harness
from benchmarks.index.scifact import mean_ndcg
from benchmarks.index.scifact_data import read_scifact
from minilm.index.lexical import TOKENIZER, match_expression

K = 10
ADDED = 50


def fts5(texts: list[str], path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"CREATE VIRTUAL TABLE lexical USING fts5(text, tokenize='{TOKENIZER}')")
    db.execute("BEGIN")
    db.executemany("INSERT INTO lexical(rowid, text) VALUES (?, ?)", list(enumerate(texts)))
    db.execute("COMMIT")
    return db


def fts5_search(db: sqlite3.Connection, query: str) -> list[int]:
    expression = match_expression(query)
    if expression is None:
        return []
    sql = "SELECT rowid FROM lexical WHERE lexical MATCH ? ORDER BY rank LIMIT ?"
    return [r for (r,) in db.execute(sql, (expression, K))]


def main() -> None:
    import bm25s
    import Stemmer

    data = read_scifact()
    texts = data.doc_texts
    print(harness.machine())
    print(f"SciFact test: {len(texts)} abstracts, {len(data.query_ids)} queries; add = {ADDED} more documents")
    print("| library | nDCG@10 | build s | add of 50 docs ms | size MiB | p50 query ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        db = fts5(texts[:-ADDED], Path(tmp) / "fts.sqlite")
        build = time.perf_counter() - t
        t = time.perf_counter()
        db.execute("BEGIN")
        db.executemany("INSERT INTO lexical(rowid, text) VALUES (?, ?)",
                       [(len(texts) - ADDED + i, x) for i, x in enumerate(texts[-ADDED:])])  # fmt: skip
        db.execute("COMMIT")
        add = time.perf_counter() - t
        ranked, lat = [], []
        for query in data.query_texts:
            t = time.perf_counter()
            rows = fts5_search(db, query)
            lat.append(time.perf_counter() - t)
            ranked.append([data.doc_ids[r] for r in rows])
        db.close()
        size = (Path(tmp) / "fts.sqlite").stat().st_size
        print(f"| SQLite FTS5 (porter unicode61, minilm's query) | {100 * mean_ndcg(ranked, data):.2f} | {build:.2f} "
              f"| {add * 1e3:.1f} | {size / 2**20:.1f} | {np.median(lat) * 1e3:.2f} |", flush=True)  # fmt: skip

    stemmer = Stemmer.Stemmer("english")

    def bm25s_index(corpus: list[str]) -> bm25s.BM25:
        model = bm25s.BM25()
        model.index(bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
        return model

    t = time.perf_counter()
    bm25s_index(texts[:-ADDED])
    build = time.perf_counter() - t
    t = time.perf_counter()
    model = bm25s_index(texts)  # an add is a rebuild over every document
    add = time.perf_counter() - t
    ranked, lat = [], []
    for query in data.query_texts:
        t = time.perf_counter()
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
        found, _ = model.retrieve(tokens, k=K, show_progress=False)
        lat.append(time.perf_counter() - t)
        ranked.append([data.doc_ids[int(i)] for i in found[0]])
    with tempfile.TemporaryDirectory() as tmp:
        model.save(tmp)
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    print(f"| bm25s (en stopwords, Snowball english) | {100 * mean_ndcg(ranked, data):.2f} | {build:.2f} "
          f"| {add * 1e3:.1f} | {size / 2**20:.1f} | {np.median(lat) * 1e3:.2f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
