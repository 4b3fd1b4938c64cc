"""The lexical side of an index: an SQLite FTS5 table over the stored windows, ranked by BM25.

One row per non-empty window (rowid = chunk key) holding that window's text, tokenized by FTS5's `porter` stemmer over
`unicode61` (case and diacritics folded). Triggers on `chunks` insert and delete the rows, so the table changes in
the same transaction as the documents and their vectors: a crash or a rollback leaves both sides as they were, and
no writer (this version's or an older one's) can bring them out of step.

A query keeps its whitespace-separated pieces that hold a letter or digit and are not English stopwords; each
piece is one FTS5 phrase (so `E-1043` matches the tokens `e` `1043` next to each other) and the phrases are
joined by OR. A window's score is FTS5's bm25() negated (higher is better; k1 = 1.2, b = 0.75).

The choice of FTS5 over a BM25 library (bm25s) and its measurements are in docs/benchmarks.md
("Hybrid search").
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import numpy as np

from minilm.errors import IndexStoreError
from minilm.index.filters import compile_where

TABLE = "lexical"
TOKENIZER = "porter unicode61 remove_diacritics 2"
REINDEX_COMMAND = "minilm index reindex-lexical"
SCHEMA = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(text, tokenize='{TOKENIZER}')",
    # A document's row is written before its chunks (DocumentsDB.insert), so the window's text can be cut from it.
    # An empty window (a document of no text) gets no row: it matches no query.
    f"""CREATE TRIGGER {TABLE}_insert AFTER INSERT ON chunks WHEN NEW.end > NEW.start BEGIN
        INSERT INTO {TABLE}(rowid, text)
        SELECT NEW.key, substr(d.text, NEW.start + 1, NEW.end - NEW.start) FROM docs AS d WHERE d.doc_id = NEW.doc_id;
    END""",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON chunks BEGIN DELETE FROM {TABLE} WHERE rowid = OLD.key; END",
)
# English function words left out of queries (they carry no topic and match nearly every document).
_STOPWORD_TEXT = """\
a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
once only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"\w+")


def present(db: sqlite3.Connection) -> bool:
    """Whether the database has the lexical table (indexes made before it existed do not)."""
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone()
    return row is not None


def create(db: sqlite3.Connection) -> int:
    """Make the table and its triggers inside a write transaction and fill it from the stored chunks (a table
    already there is rebuilt); returns the number of windows indexed."""
    for name in (f"{TABLE}_insert", f"{TABLE}_delete"):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    db.execute(f"DROP TABLE IF EXISTS {TABLE}")
    for statement in SCHEMA:
        db.execute(statement)
    db.execute(
        f"INSERT INTO {TABLE}(rowid, text) SELECT c.key, substr(d.text, c.start + 1, c.end - c.start) "
        "FROM chunks AS c JOIN docs AS d ON d.doc_id = c.doc_id WHERE c.end > c.start ORDER BY c.key"
    )
    return int(db.execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0])


def match_expression(query: str) -> str | None:
    """The FTS5 query for a text (see the module docstring); None when nothing in it can match."""
    phrases = []
    for piece in query.split():
        words = _WORD.findall(piece.lower())
        if words and not (len(words) == 1 and words[0] in STOPWORDS):
            phrases.append('"' + piece.replace('"', '""') + '"')
    return " OR ".join(dict.fromkeys(phrases)) or None


def search(db: sqlite3.Connection, query: str, limit: int,
           where: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray, list[str]]:  # fmt: skip
    """(chunk keys (n,), scores (n,), their documents' ids) of the `limit` best windows for a text, best first,
    inside the caller's read snapshot; `where` (checked by filters.check_where) keeps the windows of matching
    documents."""
    expression = match_expression(query)
    if expression is None:
        return np.zeros(0, np.int64), np.zeros(0, np.float32), []
    sql = f"SELECT rowid, bm25({TABLE}) AS score FROM {TABLE} WHERE {TABLE} MATCH ?"
    params: list[Any] = [expression]
    if where:
        condition, extra = compile_where(where)
        sql += f" AND rowid IN (SELECT key FROM chunks WHERE doc_id IN (SELECT doc_id FROM docs WHERE {condition}))"
        params += extra
    try:
        # only the windows kept are joined to their chunk rows
        ranked = f"SELECT s.rowid, s.score, c.doc_id FROM ({sql} ORDER BY rank LIMIT ?) AS s "
        rows = db.execute(ranked + "JOIN chunks AS c ON c.key = s.rowid ORDER BY s.score", [*params, limit]).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            raise IndexStoreError(missing_message()) from None
        raise
    keys = np.array([key for key, _, _ in rows], dtype=np.int64)
    return keys, -np.array([score for _, score, _ in rows], dtype=np.float32), [doc for _, _, doc in rows]


def missing_message(path: object = "this index") -> str:
    return (f"{path} has no lexical index (it was made before minilm kept one); add it with "
            f"`{REINDEX_COMMAND} {path}` (or Index.open(..., writable=True).reindex_lexical()), then search "
            "with mode='lexical' or 'hybrid'")  # fmt: skip
