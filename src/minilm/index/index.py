"""`minilm.Index`: a persistent semantic-search index in a directory.

    index = minilm.Index.create("papers", model)             # or Index.open("papers", writable=True)
    index.add(["first text", "second text"], ids=["a", "b"], metadata=[{"lang": "en"}, {"lang": "fr"}])
    index.search("a query", k=5, where={"lang": "en"})      # [Hit(doc_id, score, start, end, text, metadata)]

Files: index.sqlite (the truth: documents, chunks, float32 vectors; documents_db.py), vectors.npz (the faiss
structure derived from it, repaired from it on open; vectors.py) and write.lock (lock.py).
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from minilm.encoder import DEFAULT_OVERLAP, Encoder
from minilm.errors import IndexMismatchError, IndexStoreError, InputError
from minilm.index.arguments import check_count, check_ids, check_metadata, check_search, check_where, unit_rows
from minilm.index.documents_db import SCHEMA_VERSION, DocumentsDB
from minilm.index.embedding_cache import EmbeddedWindows, EmbeddingCache, embed_documents, text_hash
from minilm.index.lock import WriterLock
from minilm.index.ranking import Hit, search_one
from minilm.index.rwlock import ReadWriteLock
from minilm.index.vectors import STORAGES, VectorIndex
from minilm.io.readers import Record
from minilm.pooling import l2_normalize

log = logging.getLogger(__name__)
DB, VECTORS, LOCK = "index.sqlite", "vectors.npz", "write.lock"
SearchKind = Literal["auto", "exact", "hnsw"]
ID_DIGITS = 16  # hex digits of a text's sha256 that make the id of a document added without one
HNSW_THRESHOLD = 100_000  # live chunks from which search="auto" uses HNSW instead of exact search
BATCH = 256  # documents embedded and committed per transaction


@dataclass(frozen=True)
class AddResult:
    """What an add did: documents added new, replaced (new text), unchanged (same text) and chunks written."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    chunks: int = 0


class Index:
    """A directory holding documents, their window vectors and a search structure. See the module docstring.

    Searches may run from many threads at once (each reads through its own SQLite connection and shares the
    search structure under a readers-writer lock); adds and deletes from several threads take turns."""

    def __init__(self, path: Path, store: DocumentsDB, settings: dict[str, Any], model: Encoder | None,
                 writable: bool, lock: WriterLock | None, cache: EmbeddingCache | None,
                 search: str | None):  # fmt: skip
        self.path, self.store, self.settings = path, store, settings
        self.writable, self._lock, self._cache = writable, lock, cache
        self._model = model
        self._search_override = search
        self._vectors: VectorIndex | None = None
        self._generation = -1
        # Searches share the structure (reading); catching up and changing it is exclusive (writing).
        self._structure = ReadWriteLock()
        self._adding = threading.Lock()  # one add/delete at a time from this object
        self._loading = threading.Lock()
        self._closed = False

    # -- opening -------------------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, model: Encoder, storage: str = "float32", search: str = "auto",
               chunk: bool = True, overlap: int | None = None, hnsw_threshold: int = HNSW_THRESHOLD,
               cache: bool | str | Path = True) -> Index:  # fmt: skip
        """Make a new index in `path` (created if missing, must not hold an index) and open it for writing.

        storage: "float32", "int8" or "binary" vectors in the search structure (float32 always kept on disk
        for rescoring); search: "exact", "hnsw" or "auto" (HNSW from hnsw_threshold live chunks);
        chunk: embed every 256-token window of long texts (True) or only the first, like the reference (False);
        overlap: tokens shared by neighbouring windows (default 32, less for models with short windows).
        """
        body = model.max_seq_length - 2
        overlap = min(DEFAULT_OVERLAP, body // 4) if overlap is None else check_count(overlap, "overlap", 0)
        if not 0 <= overlap < body:
            raise InputError(f"overlap must be in [0, {body - 1}] for {model.name}, got {overlap}")
        if storage not in STORAGES:
            raise InputError(f"storage {storage!r} is unknown; expected one of {STORAGES}")
        if search not in ("auto", "exact", "hnsw"):
            raise InputError(f"search {search!r} is unknown; expected 'auto', 'exact' or 'hnsw'")
        hnsw_threshold = check_count(hnsw_threshold, "hnsw_threshold", 0)
        root = Path(path)
        if (root / DB).exists():
            raise IndexStoreError(f"{root} already holds an index; open it with Index.open")
        settings = {
            "format": SCHEMA_VERSION, "model": model.name, "model_path": str(model.folder.path),
            "sha256": model.sha256, "dimension": model.dimension, "storage": storage, "search": search,
            "chunk": chunk, "overlap": overlap, "hnsw_threshold": hnsw_threshold,
        }  # fmt: skip
        with _disk_errors(root):
            root.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(root / LOCK)
        lock.acquire()
        try:
            store = DocumentsDB(root / DB, model.dimension)
            try:
                store.create(settings)
            except BaseException:
                store.close()
                raise
        except BaseException:  # leave no half-made index behind: a retry must not find "an index"
            for name in (DB, DB + "-wal", DB + "-shm"):
                with suppress(OSError):
                    (root / name).unlink()
            lock.release()
            raise
        return cls(root, store, settings, model, True, lock, _open_cache(cache), None)

    @classmethod
    def open(cls, path: str | Path, model: Encoder | None = None, writable: bool = False,
             search: str | None = None, cache: bool | str | Path = True) -> Index:  # fmt: skip
        """Open an existing index. writable=True takes the single-writer lock (IndexLockedError if held).

        model: the encoder for text queries and adds (default: the recorded model, loaded when first needed);
        it must have the dimension and weights digest the index was built with (IndexMismatchError).
        search: "exact" / "hnsw" / "auto" instead of the recorded setting for the structure built in memory in
        this session (the saved one is reused only when it is of the kind asked for).
        """
        check_search(search)
        root = Path(path)
        if not (root / DB).is_file():
            raise IndexStoreError(f"{root} holds no index ({DB} is missing); create one with `minilm index create`")
        lock = None
        if writable:
            lock = WriterLock(root / LOCK)
            lock.acquire()
        try:
            store = DocumentsDB(root / DB)
            settings = store.settings()
            if settings.get("format") != SCHEMA_VERSION:
                raise IndexMismatchError(f"{root} has index format {settings.get('format')}, expected {SCHEMA_VERSION}")
            if model is not None:
                _check_model(root, settings, model)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return cls(root, store, settings, model, writable, lock, _open_cache(cache) if writable else None, search)

    def close(self) -> None:
        """Save the search structure (writers) and release the lock. The documents are safe in index.sqlite
        even when saving the structure fails (IndexStoreError): it is rebuilt from them on the next open.
        Closing twice does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            current = self._vectors is not None and self._generation == self.store.generation()
            if self.writable and current and self._vectors is not None and self._search_override is None:
                self._vectors.save(self.path / VECTORS, self._generation)
            if self.writable:
                self.store.checkpoint()
        finally:
            with self._structure.writing():  # searches in flight end first
                self.store.close()
            if self._cache is not None:
                self._cache.close()
            if self._lock is not None:
                self._lock.release()
            self.writable = False

    def __enter__(self) -> Index:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is None:
            self.close()
            return
        self._vectors = None  # an error is in flight: leave the saved structure be (it is repaired on open)
        try:
            self.close()
        except IndexStoreError as failed:  # the error in flight is the one to report
            log.warning("%s", failed)

    @property
    def model(self) -> Encoder:
        """The encoder of this index (loaded from the recorded model on first use, and checked)."""
        with self._loading:  # threads searching a fresh reader load the model once
            if self._model is None:
                from minilm.errors import ModelNotFoundError
                from minilm.loading import load

                try:
                    model = load(self.settings["model"])
                except ModelNotFoundError:  # a model loaded from a folder is recorded by that folder's path
                    model = load(self.settings["model_path"])
                _check_model(self.path, self.settings, model)
                self._model = model
        return self._model

    # -- writing -------------------------------------------------------------------------------------------
    def add(self, texts: Sequence[str] | Iterable[Record], ids: Sequence[str] | None = None,
            metadata: Sequence[dict[str, Any]] | None = None, vectors: np.ndarray | None = None,
            batch: int = BATCH, replace: bool = False) -> AddResult:  # fmt: skip
        """Add documents (texts with ids and metadata, or Records); commits every `batch` documents.

        Without ids, a document's id is the first 16 hex digits of its text's sha256 (`document_id`), so
        adding the same text again changes nothing (repeats count as unchanged) and different texts never share
        an id. A document already
        stored under its id with the same text and metadata is left as is. One stored with another text or
        other metadata is replaced only with replace=True; otherwise IndexStoreError names it and nothing is
        written. `vectors` (N, D) skips embedding (one window per document)."""
        checked = _records(texts, ids, metadata)
        records = _dedupe(checked)
        batch = check_count(batch, "batch")
        if vectors is not None:
            vectors = unit_rows(vectors, self.settings["dimension"], "vectors")
            if len(vectors) != len(records):
                raise InputError(f"{len(records)} documents but {len(vectors)} vectors")
        self._need_writer()
        with self._adding:
            if not replace:
                self._refuse_replacing(records)
            total = AddResult(unchanged=len(checked) - len(records))  # repeats within this add
            for start in range(0, len(records), batch):
                part = records[start : start + batch]
                part_vectors = None if vectors is None else vectors[start : start + batch]
                try:
                    total = _sum(total, self._add_batch(part, part_vectors))
                except IndexStoreError as exc:
                    if start == 0:
                        raise
                    raise type(exc)(f"{exc} (the {start} documents before it were committed; adding the same "
                                    "input again skips them)") from None  # fmt: skip
        return total

    def add_vectors(self, path: str | Path, batch: int = BATCH) -> AddResult:
        """Add the documents of a bulk output directory (`minilm encode -i ... -o DIR --with-text`, float32)
        with their precomputed vectors, one window per document, without embedding anything. The output's
        model digest and dimension must be the index's (IndexMismatchError)."""
        from minilm.bulk.vectors import batches, checked_manifest

        manifest = checked_manifest(path, self.settings["sha256"], self.settings["dimension"], self.settings["model"])
        total = AddResult()
        for ids, texts, vectors in batches(manifest, batch):
            total = _sum(total, self.add(texts, ids=ids, vectors=vectors, batch=batch))
        return total

    def update(self, texts: Sequence[str] | Iterable[Record], ids: Sequence[str] | None = None,
               metadata: Sequence[dict[str, Any]] | None = None) -> AddResult:  # fmt: skip
        """Replace documents that must already be stored (IndexStoreError names the first missing id)."""
        records = _records(texts, ids, metadata)
        known = self.store.hashes([r.id for r in records])
        missing = [r.id for r in records if r.id not in known]
        if missing:
            raise IndexStoreError(f"cannot update {len(missing)} unknown documents (first: {missing[0]!r})")
        return self.add(records, replace=True)

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id (a list of str); returns how many were stored."""
        wanted = check_ids(ids)
        self._need_writer()
        with self._adding:
            known = self.store.hashes(wanted)
            with self._structure.writing():
                vi = self._sync()
                with self.store.write() as db:
                    removed = self.store.remove(db, list(known))
                vi.remove(np.array(removed, dtype=np.int64))
                self._generation = self.store.generation()
        return len(known)

    def _refuse_replacing(self, records: list[Record]) -> None:
        stored = self.store.state([r.id for r in records])
        changed = [r.id for r in records if r.id in stored and stored[r.id] != (text_hash(r.text), r.meta)]
        if changed:
            raise IndexStoreError(
                f"{len(changed)} of these documents are stored under the same id with another text or other "
                f"metadata (first: {changed[0]!r}); nothing was added. Pass replace=True (CLI: --replace) to "
                "replace them, or give new ids"
            )

    def _add_batch(self, records: list[Record], vectors: np.ndarray | None) -> AddResult:
        hashes = [text_hash(r.text) for r in records]
        stored = self.store.state([r.id for r in records])
        fresh = [i for i, r in enumerate(records) if r.id not in stored or stored[r.id][0] != hashes[i]]
        same = [i for i, r in enumerate(records) if r.id in stored and stored[r.id][0] == hashes[i]]
        retagged = [i for i in same if stored[records[i].id][1] != records[i].meta]
        if vectors is not None:
            embedded = [EmbeddedWindows([(0, len(records[i].text), 1)], vectors[i : i + 1]) for i in fresh]
        else:
            embedded = embed_documents(
                self.model, [records[i].text for i in fresh], self.settings["chunk"], self.settings["overlap"],
                self._cache,
            )  # fmt: skip
        new_keys: list[int] = []
        with self._structure.writing():
            vi = self._sync()
            with self.store.write() as db:
                removed = self.store.remove(db, [records[i].id for i in fresh if records[i].id in stored])
                for i, emb in zip(fresh, embedded, strict=True):
                    r = records[i]
                    new_keys += self.store.insert(db, r.id, r.text, r.meta, hashes[i], emb.spans, emb.vectors)
                for i in retagged:
                    self.store.set_metadata(db, records[i].id, records[i].meta)
            vi.remove(np.array(removed, dtype=np.int64))
            vi.add(np.array(new_keys, dtype=np.int64), np.concatenate([e.vectors for e in embedded]) if embedded
                   else np.zeros((0, self.settings["dimension"]), np.float32))  # fmt: skip
            self._generation = self.store.generation()
        replaced = sum(1 for i in fresh if records[i].id in stored) + len(retagged)
        return AddResult(len(fresh) + len(retagged) - replaced, replaced, len(same) - len(retagged), len(new_keys))

    def _need_writer(self) -> None:
        if not self.writable:
            raise IndexStoreError(f"{self.path} is open read-only; open it with writable=True to change it")

    # -- the search structure ------------------------------------------------------------------------------
    def search_kind(self, live: int | None = None) -> str:
        """'exact' or 'hnsw': the structure this session builds (the setting, or for 'auto' the chunk count)."""
        kind = self._search_override or self.settings["search"]
        if kind != "auto":
            return str(kind)
        live = self.store.count()[1] if live is None else live
        return "hnsw" if live >= self.settings["hnsw_threshold"] else "exact"

    def refresh(self) -> None:
        """Catch up with what other processes committed since this one last looked (readers call it)."""
        with self._structure.writing():
            self._sync()

    @contextmanager
    def _reading(self) -> Iterator[VectorIndex]:
        """A read snapshot of the database and, shared with other searches, the search structure of exactly
        that snapshot's generation (caught up first, exclusively, when it is behind)."""
        while True:
            with self.store.snapshot():
                generation = self.store.generation()
                with self._structure.reading():
                    if self._vectors is not None and self._generation == generation:
                        yield self._vectors
                        return
            with self._structure.writing():
                self._sync()

    def _sync(self) -> VectorIndex:
        """The search structure at the latest committed generation; the caller holds the structure exclusively."""
        with self.store.snapshot():
            generation = self.store.generation()
            if self._vectors is not None and generation == self._generation:
                return self._vectors
            dim, storage = self.settings["dimension"], self.settings["storage"]
            keys = self.store.keys()
            kind = self.search_kind(len(keys))
            vi = self._vectors if self._vectors is not None and self._vectors.search_kind == kind else None
            if vi is None and (self.path / VECTORS).exists():
                try:
                    vi, _ = VectorIndex.load(self.path / VECTORS, dim, storage, kind)
                except IndexMismatchError as exc:
                    log.info("%s; building a %s structure from %s", exc, kind, DB)
                except IndexStoreError as exc:
                    log.warning("%s; rebuilding it from %s", exc, DB)
            if vi is None or (len(vi.keys) > 1000 and vi.live_count < len(vi.keys) // 2):
                vi = VectorIndex(dim, storage, kind)
            # Catch up with the committed state: mask what was deleted, append what was added since.
            vi.alive &= np.isin(vi.keys, keys)
            after = int(vi.keys[-1]) if len(vi.keys) else 0
            if np.any(keys > after):
                log.info("indexing %d chunks of %s (%s, %s)", int(np.sum(keys > after)), self.path, storage, kind)
            for batch_keys, batch_vectors in self.store.scan(after):
                vi.add(batch_keys, batch_vectors)
            self._vectors, self._generation = vi, generation
        return vi

    # -- reading -------------------------------------------------------------------------------------------
    @overload
    def search(self, query: str, k: int = 10, where: dict[str, Any] | None = None, search: SearchKind | None = None,
               ef: int | None = None) -> list[Hit]: ...  # fmt: skip
    @overload
    def search(self, query: list[str] | tuple[str, ...], k: int = 10, where: dict[str, Any] | None = None,
               search: SearchKind | None = None, ef: int | None = None) -> list[list[Hit]]: ...  # fmt: skip
    @overload
    def search(self, query: np.ndarray, k: int = 10, where: dict[str, Any] | None = None,
               search: SearchKind | None = None, ef: int | None = None) -> list[Hit] | list[list[Hit]]: ...  # fmt: skip
    def search(self, query: str | Sequence[str] | np.ndarray, k: int = 10, where: dict[str, Any] | None = None,
               search: SearchKind | None = None, ef: int | None = None) -> list[Hit] | list[list[Hit]]:  # fmt: skip
        """Top-k documents for a text, a list of texts, or vectors (D,) / (Q, D): a list of Hit (per query for
        several), best first, each with its best window. where={"field": value} keeps documents whose metadata
        has those values. search="exact" scans every vector for this call even on an HNSW index; "hnsw" needs
        an index searched through its HNSW graph. Candidates of int8/binary storage are rescored with the
        float32 vectors. Safe to call from many threads at once."""
        k, where, kind = check_count(k, "k"), check_where(where), check_search(search)
        ef = None if ef is None else check_count(ef, "ef")
        single, q = self._queries(query)
        with self._reading() as vi:
            if kind == "hnsw" and vi.search_kind != "hnsw":
                raise InputError(self._no_graph())
            allowed = self.store.allowed_keys(where) if where else None
            hits = [search_one(self.store, self.settings, vi, row, k, allowed, ef, kind == "exact") for row in q]
        return hits[0] if single else hits

    def _queries(self, query: Any) -> tuple[bool, np.ndarray]:
        """(one query?, unit query vectors (Q, D))."""
        if isinstance(query, np.ndarray):
            return query.ndim == 1, unit_rows(query, self.settings["dimension"], "query vector")
        if isinstance(query, str):
            return True, self.model.encode([query])
        if isinstance(query, Sequence) and all(isinstance(t, str) for t in query):
            return False, self.model.encode(list(query)) if query else np.zeros((0, self.settings["dimension"]))
        raise InputError(f"query is {type(query).__name__}; expected a str, a list of str or a numpy vector")

    def _no_graph(self) -> str:
        setting = self.settings["search"]
        why = f"created with search={setting!r}"
        if setting == "auto":
            why += f", which builds a graph from {self.settings['hnsw_threshold']} chunks"
        return (f"search='hnsw' needs an HNSW graph, but {self.path} is searched exactly ({why}); use "
                "search='exact', or create the index with search='hnsw'")  # fmt: skip

    def get(self, doc_id: str) -> tuple[str, dict[str, Any]] | None:
        """(text, metadata) of a document, or None."""
        found = self.store.documents(check_ids([doc_id], "doc_id"))
        return (found[0][1], found[0][2]) if found else None

    def ids(self) -> list[str]:
        """Every document id, sorted."""
        return self.store.ids()

    def documents(self, limit: int | None = None, offset: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) in id order."""
        limit = None if limit is None else check_count(limit, "limit", 0)
        return self.store.documents(None, limit, check_count(offset, "offset", 0))

    def chunk_counts(self) -> dict[str, int]:
        """{document id: number of stored windows}."""
        return self.store.chunk_counts()

    def __len__(self) -> int:
        return self.store.count()[0]

    def doc_vectors(self) -> tuple[list[str], np.ndarray]:
        """(ids, one vector per document (N, D)): its windows averaged weighted by token count, normalized."""
        with self.store.snapshot():
            rows = self.store.chunk_owners()
            if not rows:
                return [], np.zeros((0, self.settings["dimension"]), np.float32)
            vectors = self.store.vectors([r[1] for r in rows])  # (K, D)
        doc_ids = [r[0] for r in rows]
        ids = list(dict.fromkeys(doc_ids))
        owner = np.searchsorted(np.array(ids), np.array(doc_ids))  # ids are sorted, so are doc_ids
        weights = np.array([max(r[2], 1) for r in rows], dtype=np.float32)
        sums = np.zeros((len(ids), vectors.shape[1]), np.float32)
        np.add.at(sums, owner, vectors * weights[:, None])
        return ids, l2_normalize(sums)

    def stats(self) -> dict[str, Any]:
        """Counts, settings, search kind and file sizes."""
        docs, chunks = self.store.count()
        files = {p.name: p.stat().st_size for p in sorted(self.path.iterdir()) if p.is_file()}
        return {
            "path": str(self.path), "documents": docs, "chunks": chunks, "model": self.settings["model"],
            "sha256": self.settings["sha256"], "dimension": self.settings["dimension"],
            "storage": self.settings["storage"], "search": self.search_kind(chunks),
            "chunk": self.settings["chunk"], "overlap": self.settings["overlap"], "files": files,
        }  # fmt: skip


def document_id(text: str) -> str:
    """The id of a document added without one: the first 16 hex digits of its text's sha256."""
    return text_hash(text)[:ID_DIGITS]


@contextmanager
def _disk_errors(path: Path) -> Iterator[None]:
    """OSError (read-only file system, no permission, full disk) as a one-line IndexStoreError."""
    try:
        yield
    except OSError as exc:
        name = errno.errorcode.get(exc.errno or 0, "")
        raise IndexStoreError(f"cannot write {path}: {exc.strerror or exc}" + (f" ({name})" if name else "")) from None


def _check_model(root: Path, settings: dict[str, Any], model: Encoder) -> None:
    if model.dimension != settings["dimension"]:
        raise IndexMismatchError(
            f"{root} was built with {settings['model']} (dimension {settings['dimension']}); the model given has "
            f"dimension {model.dimension}"
        )
    if model.sha256 != settings["sha256"]:
        raise IndexMismatchError(
            f"{root} was built with {settings['model']} (weights sha256 {settings['sha256'][:12]}…); the model "
            f"given, {model.name}, has sha256 {model.sha256[:12]}…: its vectors would not be comparable"
        )


def _open_cache(cache: bool | str | Path) -> EmbeddingCache | None:
    """The shared embedding cache, or None (it only saves work: a cache that cannot be opened is skipped)."""
    if cache is False:
        return None
    try:
        return EmbeddingCache(None if cache is True else Path(cache))
    except (OSError, sqlite3.Error) as exc:
        log.warning("embedding cache not used: %s", exc)
        return None


def _records(texts: Sequence[str] | Iterable[Record], ids: Sequence[str] | None,
             metadata: Sequence[dict[str, Any]] | None) -> list[Record]:  # fmt: skip
    """Checked records: str texts, str ids (derived from the text where none is given), JSON metadata."""
    if isinstance(texts, str | bytes | Mapping) or not isinstance(texts, Iterable):
        raise InputError(f"texts must be a list of str, got {type(texts).__name__}; for one document pass [text]")
    items: list[Any] = list(texts)
    if items and all(isinstance(t, Record) for t in items):
        if ids is not None or metadata is not None:
            raise InputError("ids and metadata come inside Records; do not pass them as well")
        ids, metadata, items = [r.id for r in items], [r.meta for r in items], [r.text for r in items]
    for n, t in enumerate(items):
        if not isinstance(t, str):
            raise InputError(f"document {n} is {type(t).__name__}, expected str")
    doc_ids = [document_id(t) for t in items] if ids is None else check_ids(ids)
    if len(doc_ids) != len(items):
        raise InputError(f"{len(items)} texts but {len(doc_ids)} ids")
    if metadata is None:
        metas: list[dict[str, Any]] = [{} for _ in items]
    elif isinstance(metadata, Sequence) and len(metadata) == len(items):
        metas = [check_metadata(m, f"metadata[{n}]") for n, m in enumerate(metadata)]
    else:
        raise InputError(f"metadata must be a list of one dict per text ({len(items)}), got {type(metadata).__name__}")
    return [Record(t, d, m) for t, d, m in zip(items, doc_ids, metas, strict=True)]


def _dedupe(records: list[Record]) -> list[Record]:
    """The records with repeats of one (id, text, metadata) dropped; one id with two contents is an error."""
    first: dict[str, Record] = {}
    for r in records:
        seen = first.setdefault(r.id, r)
        if seen is not r and (seen.text, seen.meta) != (r.text, r.meta):
            raise InputError(f"document id {r.id!r} appears twice in one add, with different contents")
    return list(first.values())


def _sum(a: AddResult, b: AddResult) -> AddResult:
    return AddResult(a.added + b.added, a.replaced + b.replaced, a.unchanged + b.unchanged, a.chunks + b.chunks)
