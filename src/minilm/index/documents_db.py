"""The index's source of truth: one SQLite database (WAL mode) holding documents, chunks and float32 vectors.

Every write is one transaction (BEGIN IMMEDIATE, so two writers never interleave); a crash in the middle of an
add rolls back that transaction and leaves every committed document intact. The vector-search structures
(vectors.py) are derived from this database and repaired from it on open.

Schema: meta(key, value); docs(doc_id, text, meta JSON, hash); chunks(key, doc_id, start, end, tokens, vector).
Chunk keys come from AUTOINCREMENT, so a key is never reused and keys grow with insertion order.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minilm.errors import IndexCorruptError, IndexLockedError, IndexStoreError
from minilm.index.filters import compile_where
from minilm.index.vector_file import VectorFile

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
    """An index's documents database. One connection writes (under a lock, so threads take turns); every
    thread reads through a connection of its own, so a read transaction of one thread never meets another's."""

    def __init__(self, path: Path, dimension: int | None = None):
        self.path = path
        self.dimension = dimension
        self._readers: list[sqlite3.Connection] = []
        self._local = threading.local()
        self._guard = threading.Lock()  # the list of reader connections
        self._writing = threading.Lock()  # one write transaction at a time on `db`
        self._immutable = False
        self._closed = False
        # The large layout keeps vectors in a VectorFile (chunks.vector is an empty blob there); rows inserted
        # by the open transaction wait in _pending until it commits.
        self.vector_file: VectorFile | None = None
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.db = self._connect(first=True)

    def _connect(self, first: bool = False) -> sqlite3.Connection:
        try:
            if self._immutable:
                uri = self.path.absolute().as_uri() + "?immutable=1"
                db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
                db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
                return db
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            if first:
                db.execute("PRAGMA page_size=8192")  # five 1.5 KB vectors a page, not two (new files only)
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.OperationalError as exc:  # no such folder, no permission, read-only file system
            if not self._immutable and self.path.is_file() and not os.access(self.path.parent, os.W_OK):
                # Read-only media: WAL readers cannot make their shared-memory file, and nothing can change
                # the database there, so it is read as an immutable file.
                self._immutable = True
                return self._connect()
            raise IndexStoreError(f"cannot open {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{self.path} is not a readable SQLite database ({exc})") from None
        return db

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection (opened on first use, closed by close())."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if self._closed:
            raise IndexStoreError(f"{self.path} is closed; open the index again to use it")
        if db is None:
            db = self._connect()
            db.execute("PRAGMA query_only=ON")
            with self._guard:
                self._readers.append(db)
            self._local.db = db
        return db

    def close(self) -> None:
        self._closed = True
        with self._guard:
            for db in self._readers:
                db.close()
            self._readers.clear()
        self._local = threading.local()
        self.db.close()

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file (best effort: skipped while readers hold it)."""
        with suppress(sqlite3.Error):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- transactions --------------------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; bumps the generation counter that tells readers the content changed.

        A failed write (disk full, read-only file system) rolls back and raises IndexStoreError."""
        with self._writing:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise IndexLockedError(
                        f"{self.path} is locked by another writer (waited {BUSY_TIMEOUT_S:.0f} s: {exc})"
                    ) from None
                raise _write_error(self.path, exc) from None
            rows = None
            try:
                yield self.db
                self.db.execute(
                    "INSERT INTO meta VALUES ('generation', '1') "
                    "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
                rows = self._append_pending()
                self.db.execute("COMMIT")
                if rows is not None and self.vector_file is not None:
                    self.vector_file.committed = rows
            except BaseException as exc:
                if self.db.in_transaction:  # SQLite rolls back by itself after some errors (a full disk)
                    self.db.execute("ROLLBACK")
                if rows is not None and self.vector_file is not None:
                    self.vector_file.truncate(self.vector_file.committed)
                if isinstance(exc, sqlite3.OperationalError):
                    raise _write_error(self.path, exc) from None
                raise

    def _append_pending(self) -> int | None:
        """Write the vectors inserted by this transaction to the vector file (flushed to disk before the
        commit) and record the new row count in it; None when there were none."""
        pending, self._pending = self._pending, []
        if self.vector_file is None or not pending:
            return None
        keys = np.concatenate([k for k, _ in pending])
        rows = self.vector_file.append(keys, np.concatenate([v for _, v in pending]))
        self.db.execute("INSERT INTO meta VALUES ('vector_rows', ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                        (str(rows), str(rows)))  # fmt: skip
        return rows

    def vector_rows(self) -> int:
        """Rows of the vector file that belong to committed chunks (in this thread's snapshot)."""
        row = self.reader().execute("SELECT value FROM meta WHERE key = 'vector_rows'").fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction on this thread's connection: every query inside sees one committed state (WAL
        readers never block, and never wait for a writer)."""
        db = self.reader()
        if db.in_transaction:
            yield db
            return
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

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
            rows = self.reader().execute("SELECT key, value FROM meta").fetchall()
            check = self.reader().execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.OperationalError as exc:  # e.g. the write-ahead log cannot be opened
            raise IndexStoreError(f"cannot read {self.path}: {exc}") from None
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
        row = self.reader().execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    # -- documents -----------------------------------------------------------------------------------------
    def hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """{doc_id: content hash} for those of doc_ids that are stored."""
        out: dict[str, str] = {}
        for part in param_batches(list(doc_ids)):
            marks = ",".join("?" * len(part))
            out.update(
                self.reader().execute(f"SELECT doc_id, hash FROM docs WHERE doc_id IN ({marks})", part).fetchall()
            )
        return out

    def state(self, doc_ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """{doc_id: (content hash, metadata)} for those of doc_ids that are stored."""
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        for part in param_batches(list(doc_ids)):
            marks = ",".join("?" * len(part))
            sql = f"SELECT doc_id, hash, meta FROM docs WHERE doc_id IN ({marks})"
            out.update({d: (h, json.loads(m)) for d, h, m in self.reader().execute(sql, part)})
        return out

    def insert(self, db: sqlite3.Connection, docs: Sequence[tuple[str, str, dict[str, Any], str]],
               spans: Sequence[Sequence[tuple[int, int, int]]], vectors: np.ndarray) -> np.ndarray:  # fmt: skip
        """Insert documents (doc_id, text, metadata, content hash) none of which is stored, and their windows
        (spans[i]: (start, end, tokens) of document i's windows; vectors: (total windows, D), in that order),
        inside a write transaction; returns the new chunk keys (total windows,) in that order.

        Two executemany statements, whatever the number of rows: the keys are the ones AUTOINCREMENT would give
        (one past the largest key ever used, read inside this transaction, which holds the write lock)."""
        metas = ["{}" if not m else json.dumps(m, allow_nan=False) for _, _, m, _ in docs]
        db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)",
                       [(d, t, m, h) for (d, t, _, h), m in zip(docs, metas, strict=True)])  # fmt: skip
        total = sum(len(s) for s in spans)
        if total != len(vectors):
            raise ValueError(f"{total} windows but {len(vectors)} vectors")
        first = _next_key(db)
        keys = np.arange(first, first + total, dtype=np.int64)
        owners = [doc[0] for doc, s in zip(docs, spans, strict=True) for _ in s]
        flat = [w for s in spans for w in s]
        if self.vector_file is not None:
            blobs: Iterable[bytes] = (b"" for _ in range(total))
            self._pending.append((keys, np.asarray(vectors, dtype=np.float32)))
        else:
            matrix = np.ascontiguousarray(vectors, dtype=np.float32)
            blobs = (row.tobytes() for row in matrix)
        db.executemany(
            "INSERT INTO chunks (key, doc_id, start, end, tokens, vector) VALUES (?, ?, ?, ?, ?, ?)",
            zip(keys.tolist(), owners, *zip(*flat, strict=True), blobs, strict=True) if total else [],
        )
        return keys

    def remove(self, db: sqlite3.Connection, doc_ids: Sequence[str]) -> list[int]:
        """Delete documents and their chunks inside a write transaction; returns the removed chunk keys."""
        removed: list[int] = []
        for part in param_batches(list(doc_ids)):
            marks = ",".join("?" * len(part))
            removed += [k for (k,) in db.execute(f"SELECT key FROM chunks WHERE doc_id IN ({marks})", part)]
            db.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", part)
            db.execute(f"DELETE FROM docs WHERE doc_id IN ({marks})", part)
        return removed

    def set_metadata(self, db: sqlite3.Connection, doc_id: str, meta: dict[str, Any]) -> None:
        """Replace one document's metadata inside a write transaction."""
        db.execute("UPDATE docs SET meta = ? WHERE doc_id = ?", (json.dumps(meta, allow_nan=False), doc_id))

    def ids(self) -> list[str]:
        """Every document id, sorted."""
        return [d for (d,) in self.reader().execute("SELECT doc_id FROM docs ORDER BY doc_id")]

    def chunk_counts(self) -> dict[str, int]:
        """{doc_id: number of chunks}."""
        return dict(self.reader().execute("SELECT doc_id, COUNT(*) FROM chunks GROUP BY doc_id").fetchall())

    def chunk_owners(self) -> list[tuple[str, int, int]]:
        """(doc_id, chunk key, tokens) of every chunk, ordered by document then key."""
        return self.reader().execute("SELECT doc_id, key, tokens FROM chunks ORDER BY doc_id, key").fetchall()

    def count(self) -> tuple[int, int]:
        """(documents, chunks)."""
        docs = self.reader().execute("SELECT COUNT(*) FROM docs").fetchone()[0]
        chunks = self.reader().execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)

    def documents(self, doc_ids: Iterable[str] | None = None, limit: int | None = None,
                  offset: int = 0) -> list[tuple[str, str, dict[str, Any]]]:  # fmt: skip
        """(doc_id, text, metadata) for the given ids (in that order, missing ones left out) or in id order."""
        if doc_ids is None:
            rows = (
                self.reader()
                .execute("SELECT doc_id, text, meta FROM docs ORDER BY doc_id LIMIT ? OFFSET ?", (limit or -1, offset))
                .fetchall()
            )
            return [(d, t, json.loads(m)) for d, t, m in rows]
        wanted = list(doc_ids)
        found: dict[str, tuple[str, str, dict[str, Any]]] = {}
        for part in param_batches(wanted):
            marks = ",".join("?" * len(part))
            for d, t, m in self.reader().execute(
                f"SELECT doc_id, text, meta FROM docs WHERE doc_id IN ({marks})", part
            ):
                found[d] = (d, t, json.loads(m))
        return [found[d] for d in wanted if d in found]

    def document_text(self, doc_id: str, limit: int | None = None) -> tuple[str, bool]:
        """(text, cut?): a document's text, or its first `limit` UTF-8 bytes cut back to a whole character
        (only those bytes are read into memory); ("", False) for an unknown id."""
        if limit is None:
            row = self.reader().execute("SELECT text FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()
            return (row[0], False) if row else ("", False)
        sql = "SELECT length(CAST(text AS BLOB)), substr(CAST(text AS BLOB), 1, ?) FROM docs WHERE doc_id = ?"
        row = self.reader().execute(sql, (limit, doc_id)).fetchone()
        if row is None:
            return "", False
        size, head = row
        return bytes(head).decode("utf-8", errors="ignore"), size > limit

    # -- chunks and vectors --------------------------------------------------------------------------------
    def keys(self) -> np.ndarray:
        """All chunk keys, ascending (K,) int64."""
        cursor = self.reader().execute("SELECT key FROM chunks ORDER BY key")
        parts = [np.zeros(0, dtype=np.int64)]
        while rows := cursor.fetchmany(1 << 20):  # a million at a time: no list of every row's tuple
            parts.append(np.fromiter((k for (k,) in rows), dtype=np.int64, count=len(rows)))
        return np.concatenate(parts)

    def chunks(self, keys: Sequence[int]) -> dict[int, ChunkRow]:
        out: dict[int, ChunkRow] = {}
        for part in param_batches([int(k) for k in keys]):
            marks = ",".join("?" * len(part))
            sql = f"SELECT key, doc_id, start, end, tokens FROM chunks WHERE key IN ({marks})"
            out.update({row[0]: ChunkRow(*row) for row in self.reader().execute(sql, part)})
        return out

    def windows(self, keys: Sequence[int]) -> dict[int, tuple[str, int, int, str, dict[str, Any]]]:
        """{chunk key: (doc_id, start, end, the window's text, the document's metadata)}; the window is cut
        from the text in SQL (character offsets, as Python's), so a long document is never read whole."""
        out: dict[int, tuple[str, int, int, str, dict[str, Any]]] = {}
        for part in param_batches([int(k) for k in keys]):
            marks = ",".join("?" * len(part))
            sql = ("SELECT c.key, c.doc_id, c.start, c.end, substr(d.text, c.start + 1, c.end - c.start), d.meta "
                   f"FROM chunks AS c JOIN docs AS d ON d.doc_id = c.doc_id WHERE c.key IN ({marks})")  # fmt: skip
            out.update({key: (d, a, b, t, json.loads(m)) for key, d, a, b, t, m in self.reader().execute(sql, part)})
        return out

    def vectors(self, keys: Sequence[int]) -> np.ndarray:
        """Float32 vectors (len(keys), D) in the order of keys; IndexCorruptError for a bad blob."""
        wanted = [int(k) for k in keys]
        if self.vector_file is not None:
            rows = self.vector_rows()
            pos = self.vector_file.positions(np.array(wanted, dtype=np.int64), rows)
            if np.any(pos < 0):
                raise IndexStoreError(
                    f"{self.path}: chunk keys {np.array(wanted)[pos < 0][:5].tolist()} are not stored"
                )
            return self.vector_file.vectors(pos, rows)
        found: dict[int, bytes] = {}
        for part in param_batches(wanted):
            marks = ",".join("?" * len(part))
            found.update(
                self.reader().execute(f"SELECT key, vector FROM chunks WHERE key IN ({marks})", part).fetchall()
            )
        missing = [k for k in wanted if k not in found]
        if missing:
            raise IndexStoreError(f"{self.path}: chunk keys {missing[:5]} are not stored")
        return self._decode([found[k] for k in wanted], wanted)

    def scan(self, after: int = 0, batch: int = 65536) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(keys (B,), vectors (B, D)) of the chunks with key > after, in key order, a batch at a time. From the
        vector file of a large index this includes deleted chunks' rows (the caller masks them out)."""
        if self.vector_file is not None:
            held = self.vector_rows()
            start = int(np.searchsorted(self.vector_file.keys(held), after, side="right"))
            for a, b in self.vector_file.scan(start, held, batch):
                yield np.array(self.vector_file.keys(held)[a:b]), self.vector_file.vectors(np.arange(a, b), held)
            return
        while True:
            rows = (
                self.reader()
                .execute("SELECT key, vector FROM chunks WHERE key > ? ORDER BY key LIMIT ?", (after, batch))
                .fetchall()
            )
            if not rows:
                return
            keys = [k for k, _ in rows]
            yield np.array(keys, dtype=np.int64), self._decode([v for _, v in rows], keys)
            after = keys[-1]

    def allowed_keys(self, where: dict[str, Any]) -> np.ndarray:
        """Keys of the chunks whose document metadata matches a filter checked by filters.check_where."""
        condition, params = compile_where(where)
        # the documents are matched first, each once; a join would read one document's JSON per chunk
        matching = f"SELECT doc_id FROM docs WHERE {condition}"
        sql = f"SELECT key FROM chunks WHERE doc_id IN ({matching}) ORDER BY key"
        return np.array([k for (k,) in self.reader().execute(sql, params)], dtype=np.int64)

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


def _next_key(db: sqlite3.Connection) -> int:
    """The key AUTOINCREMENT gives the next chunk: one past the largest ever used (sqlite_sequence) or held."""
    row = db.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'chunks'), 0), "
        "COALESCE((SELECT MAX(key) FROM chunks), 0))"
    ).fetchone()
    return int(row[0]) + 1


def param_batches(items: Sequence[Any], size: int = 900) -> Iterator[list[Any]]:
    """Slices short enough for SQLite's bound-parameter limit (999 in older builds)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _write_error(path: Path, exc: sqlite3.Error) -> IndexStoreError:
    return IndexStoreError(f"cannot write {path}: {exc}; nothing of this change was kept")
