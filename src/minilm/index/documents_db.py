"""The index's source of truth: one SQLite database (WAL mode) holding documents, chunks and float32 vectors.

Every write is one transaction (BEGIN IMMEDIATE, so two writers never interleave); a crash in the middle of an
add rolls back that transaction and leaves every committed document intact. The vector-search structures
(vectors.py) are derived from this database and repaired from it on open.

Schema: meta(key, value); docs(doc_id, text, meta JSON, hash); chunks(key, doc_id, start, end, tokens, vector).
Chunk keys come from AUTOINCREMENT, so a key is never reused and keys grow with insertion order.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minilm.errors import IndexCorruptError, IndexLockedError, IndexStoreError

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 5.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    doc_id TEXT PRIMARY KEY, text TEXT NOT NULL, meta TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    key INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    tokens INTEGER NOT NULL, vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS docs_hash ON docs(hash);
"""


@dataclass(frozen=True)
class ChunkRow:
    """One stored window: its key, document, character span [start, end) and token count."""

    key: int
    doc_id: str
    start: int
    end: int
    tokens: int


class DocumentsDB:
    """An index's documents database. Readers and one writer may use the same file at once."""

    def __init__(self, path: Path, dimension: int | None = None):
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA page_size=8192")  # five 1.5 KB vectors a page, not two (new files only)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{path} is not a readable SQLite database ({exc})") from None
        self.dimension = dimension

    def close(self) -> None:
        self.db.close()

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file (best effort: skipped while readers hold it)."""
        with suppress(sqlite3.OperationalError):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- transactions --------------------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; bumps the generation counter that tells readers the content changed."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise IndexLockedError(
                f"{self.path} is locked by another writer (waited {BUSY_TIMEOUT_S:.0f} s: {exc})"
            ) from None
        try:
            yield self.db
            self.db.execute(
                "INSERT INTO meta VALUES ('generation', '1') "
                "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every query inside sees the same committed state (WAL readers never block)."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def create(self, settings: dict[str, Any]) -> None:
        """Make the tables and record the settings (model, dimension, storage, chunking)."""
        with self.write() as db:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in settings.items()])

    def settings(self) -> dict[str, Any]:
        """The recorded settings; IndexCorruptError when the file is not a minilm index database."""
        try:
            rows = self.db.execute("SELECT key, value FROM meta").fetchall()
            check = self.db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{self.path} cannot be read as an index database ({exc})") from None
        if check != "ok":
            raise IndexCorruptError(f"{self.path} failed SQLite's integrity check: {check}")
        values = {k: json.loads(v) for k, v in rows}
        if "dimension" not in values:
            raise IndexStoreError(f"{self.path} holds no minilm index settings")
        self.dimension = int(values["dimension"])
        return values

    def generation(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    # -- documents -----------------------------------------------------------------------------------------
    def hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """{doc_id: content hash} for those of doc_ids that are stored."""
        out: dict[str, str] = {}
        for part in _parts(list(doc_ids)):
            marks = ",".join("?" * len(part))
            out.update(self.db.execute(f"SELECT doc_id, hash FROM docs WHERE doc_id IN ({marks})", part).fetchall())
        return out

    def insert(self, db: sqlite3.Connection, doc_id: str, text: str, meta: dict[str, Any], digest: str,
               spans: Sequence[tuple[int, int, int]], vectors: np.ndarray) -> list[int]:  # fmt: skip
        """Insert (or replace) one document and its chunks inside a write transaction; returns the new keys."""
        self.remove(db, [doc_id])
        db.execute("INSERT INTO docs VALUES (?, ?, ?, ?)", (doc_id, text, json.dumps(meta), digest))
        keys = []
        for (start, end, tokens), vector in zip(spans, vectors, strict=True):
            cur = db.execute(
                "INSERT INTO chunks (doc_id, start, end, tokens, vector) VALUES (?, ?, ?, ?, ?)",
                (doc_id, start, end, tokens, np.ascontiguousarray(vector, dtype=np.float32).tobytes()),
            )
            keys.append(int(cur.lastrowid or 0))
        return keys

    def remove(self, db: sqlite3.Connection, doc_ids: Sequence[str]) -> list[int]:
        """Delete documents and their chunks inside a write transaction; returns the removed chunk keys."""
        removed: list[int] = []
        for part in _parts(list(doc_ids)):
            marks = ",".join("?" * len(part))
            removed += [k for (k,) in db.execute(f"SELECT key FROM chunks WHERE doc_id IN ({marks})", part)]
            db.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", part)
            db.execute(f"DELETE FROM docs WHERE doc_id IN ({marks})", part)
        return removed

    def count(self) -> tuple[int, int]:
        """(documents, chunks)."""
        docs = self.db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
        chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)

    def documents(self, doc_ids: Iterable[str] | None = None, limit: int | None = None,
                  offset: int = 0) -> list[tuple[str, str, dict[str, Any]]]:  # fmt: skip
        """(doc_id, text, metadata) for the given ids (in that order, missing ones left out) or in id order."""
        if doc_ids is None:
            rows = self.db.execute(
                "SELECT doc_id, text, meta FROM docs ORDER BY doc_id LIMIT ? OFFSET ?", (limit or -1, offset)
            ).fetchall()
            return [(d, t, json.loads(m)) for d, t, m in rows]
        wanted = list(doc_ids)
        found: dict[str, tuple[str, str, dict[str, Any]]] = {}
        for part in _parts(wanted):
            marks = ",".join("?" * len(part))
            for d, t, m in self.db.execute(f"SELECT doc_id, text, meta FROM docs WHERE doc_id IN ({marks})", part):
                found[d] = (d, t, json.loads(m))
        return [found[d] for d in wanted if d in found]

    # -- chunks and vectors --------------------------------------------------------------------------------
    def keys(self) -> np.ndarray:
        """All chunk keys, ascending (K,) int64."""
        rows = self.db.execute("SELECT key FROM chunks ORDER BY key").fetchall()
        return np.array([k for (k,) in rows], dtype=np.int64)

    def chunks(self, keys: Sequence[int]) -> dict[int, ChunkRow]:
        out: dict[int, ChunkRow] = {}
        for part in _parts([int(k) for k in keys]):
            marks = ",".join("?" * len(part))
            sql = f"SELECT key, doc_id, start, end, tokens FROM chunks WHERE key IN ({marks})"
            out.update({row[0]: ChunkRow(*row) for row in self.db.execute(sql, part)})
        return out

    def vectors(self, keys: Sequence[int]) -> np.ndarray:
        """Float32 vectors (len(keys), D) in the order of keys; IndexCorruptError for a bad blob."""
        wanted = [int(k) for k in keys]
        found: dict[int, bytes] = {}
        for part in _parts(wanted):
            marks = ",".join("?" * len(part))
            found.update(self.db.execute(f"SELECT key, vector FROM chunks WHERE key IN ({marks})", part).fetchall())
        missing = [k for k in wanted if k not in found]
        if missing:
            raise IndexStoreError(f"{self.path}: chunk keys {missing[:5]} are not stored")
        return self._decode([found[k] for k in wanted], wanted)

    def scan(self, after: int = 0, batch: int = 65536) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(keys (B,), vectors (B, D)) of the chunks with key > after, in key order, a batch at a time."""
        while True:
            rows = self.db.execute(
                "SELECT key, vector FROM chunks WHERE key > ? ORDER BY key LIMIT ?", (after, batch)
            ).fetchall()
            if not rows:
                return
            keys = [k for k, _ in rows]
            yield np.array(keys, dtype=np.int64), self._decode([v for _, v in rows], keys)
            after = keys[-1]

    def allowed_keys(self, where: dict[str, Any]) -> np.ndarray:
        """Keys of the chunks whose document metadata has every key = value of `where` (JSON equality)."""
        clauses, params = [], []
        for name, value in where.items():
            clauses.append("json_extract(d.meta, ?) = json_extract(?, '$')")
            params += [f'$."{name}"', json.dumps(value)]
        sql = f"SELECT c.key FROM chunks c JOIN docs d USING (doc_id) WHERE {' AND '.join(clauses)} ORDER BY c.key"
        return np.array([k for (k,) in self.db.execute(sql, params)], dtype=np.int64)

    def _decode(self, blobs: list[bytes], keys: list[int]) -> np.ndarray:
        assert self.dimension is not None
        size = 4 * self.dimension
        for key, blob in zip(keys, blobs, strict=True):
            if len(blob) != size:
                raise IndexCorruptError(
                    f"{self.path}: chunk {key} has a vector of {len(blob)} bytes, expected {size} "
                    f"({self.dimension} float32)"
                )
        if not blobs:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), self.dimension)


def _parts(items: list[Any], size: int = 900) -> Iterator[list[Any]]:
    """Slices short enough for SQLite's bound-parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
