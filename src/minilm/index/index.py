"""`minilm.Index`: a persistent semantic-search index in a directory.

    index = minilm.Index.create("papers", model)             # or Index.open("papers", writable=True)
    index.add(["first text", "second text"], ids=["a", "b"], metadata=[{"lang": "en"}, {"lang": "fr"}])
    index.search("a query", k=5, where={"lang": "en"})      # [Hit(doc_id, score, start, end, text, metadata)]

Files: index.sqlite (the truth: documents, chunks, float32 vectors; store.py), vectors.npz (the faiss
structure derived from it, repaired from it on open; vectors.py) and write.lock (lock.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minilm.encoder import DEFAULT_OVERLAP, Encoder
from minilm.errors import IndexMismatchError, IndexStoreError, InputError
from minilm.index.cache import Embedded, EmbeddingCache, embed_documents, text_hash
from minilm.index.lock import WriterLock
from minilm.index.store import SCHEMA_VERSION, Store
from minilm.index.vectors import STORAGES, VectorIndex
from minilm.io.readers import Record
from minilm.pooling import l2_normalize

log = logging.getLogger(__name__)
DB, VECTORS, LOCK = "index.sqlite", "vectors.npz", "write.lock"
HNSW_THRESHOLD = 100_000  # live chunks from which search="auto" uses HNSW instead of exact search
RESCORE = {"float32": 1, "int8": 4, "binary": 10}  # candidates fetched per wanted hit before float rescoring
BATCH = 256  # documents embedded and committed per transaction


@dataclass(frozen=True)
class Hit:
    """A search result: the document, its best-matching window [start, end) and that window's cosine score."""

    doc_id: str
    score: float
    start: int
    end: int
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AddResult:
    """What an add did: documents added new, replaced (new text), unchanged (same text) and chunks written."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    chunks: int = 0


class Index:
    """A directory holding documents, their window vectors and a search structure. See the module docstring."""

    def __init__(self, path: Path, store: Store, settings: dict[str, Any], model: Encoder | None,
                 writable: bool, lock: WriterLock | None, cache: EmbeddingCache | None,
                 search: str | None):  # fmt: skip
        self.path, self.store, self.settings = path, store, settings
        self.writable, self._lock, self._cache = writable, lock, cache
        self._model = model
        self._search_override = search
        self._vectors: VectorIndex | None = None
        self._generation = -1

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
        overlap = min(DEFAULT_OVERLAP, body // 4) if overlap is None else overlap
        if not 0 <= overlap < body:
            raise InputError(f"overlap must be in [0, {body - 1}] for {model.name}, got {overlap}")
        if storage not in STORAGES:
            raise InputError(f"storage {storage!r} is unknown; expected one of {STORAGES}")
        if search not in ("auto", "exact", "hnsw"):
            raise InputError(f"search {search!r} is unknown; expected 'auto', 'exact' or 'hnsw'")
        root = Path(path)
        if (root / DB).exists():
            raise IndexStoreError(f"{root} already holds an index; open it with Index.open")
        root.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(root / LOCK)
        lock.acquire()
        settings = {
            "format": SCHEMA_VERSION, "model": model.name, "model_path": str(model.folder.path),
            "sha256": model.sha256, "dimension": model.dimension, "storage": storage, "search": search,
            "chunk": chunk, "overlap": overlap, "hnsw_threshold": hnsw_threshold,
        }  # fmt: skip
        store = Store(root / DB, model.dimension)
        store.create(settings)
        return cls(root, store, settings, model, True, lock, _open_cache(cache), None)

    @classmethod
    def open(cls, path: str | Path, model: Encoder | None = None, writable: bool = False,
             search: str | None = None, cache: bool | str | Path = True) -> Index:  # fmt: skip
        """Open an existing index. writable=True takes the single-writer lock (IndexLockedError if held).

        model: the encoder for text queries and adds (default: the recorded model, loaded when first needed);
        it must have the dimension and weights digest the index was built with (IndexMismatchError).
        search: override the recorded "exact" / "hnsw" / "auto" for this session.
        """
        root = Path(path)
        if not (root / DB).is_file():
            raise IndexStoreError(f"{root} holds no index ({DB} is missing); create one with `minilm index create`")
        lock = None
        if writable:
            lock = WriterLock(root / LOCK)
            lock.acquire()
        try:
            store = Store(root / DB)
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
        """Save the search structure (writers) and release the lock."""
        if self.writable and self._vectors is not None and self._generation == self.store.generation():
            self._vectors.save(self.path / VECTORS, self._generation)
        if self.writable:
            self.store.checkpoint()
        self.store.close()
        if self._cache is not None:
            self._cache.close()
        if self._lock is not None:
            self._lock.release()
        self.writable = False

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def model(self) -> Encoder:
        """The encoder of this index (loaded from the recorded model on first use, and checked)."""
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
            batch: int = BATCH) -> AddResult:  # fmt: skip
        """Add or replace documents (texts with ids and metadata, or Records). An id already stored with the
        same text is left as is (metadata updated); with another text it is replaced. `vectors` (N, D) skips
        embedding (one window per document). Commits every `batch` documents."""
        records = _records(texts, ids, metadata)
        if vectors is not None and len(vectors) != len(records):
            raise InputError(f"{len(records)} documents but {len(vectors)} vectors")
        seen: set[str] = set()
        for r in records:
            if r.id in seen:
                raise InputError(f"document id {r.id!r} appears twice in one add")
            seen.add(r.id)
        total = AddResult()
        for start in range(0, len(records), batch):
            part = records[start : start + batch]
            part_vectors = None if vectors is None else vectors[start : start + batch]
            total = _sum(total, self._add_batch(part, part_vectors))
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
        """Like add, for documents that must already be stored (IndexStoreError names the first missing id)."""
        records = _records(texts, ids, metadata)
        known = self.store.hashes([r.id for r in records])
        missing = [r.id for r in records if r.id not in known]
        if missing:
            raise IndexStoreError(f"cannot update {len(missing)} unknown documents (first: {missing[0]!r})")
        return self.add(records)

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id; returns how many were stored."""
        self._need_writer()
        vi = self._search_structure()
        known = self.store.hashes(list(ids))
        with self.store.write() as db:
            removed = self.store.remove(db, list(known))
        vi.remove(np.array(removed, dtype=np.int64))
        self._generation = self.store.generation()
        return len(known)

    def _add_batch(self, records: list[Record], vectors: np.ndarray | None) -> AddResult:
        self._need_writer()
        vi = self._search_structure()
        hashes = [text_hash(r.text) for r in records]
        stored = self.store.hashes([r.id for r in records])
        fresh = [i for i, r in enumerate(records) if stored.get(r.id) != hashes[i]]
        same = [i for i, r in enumerate(records) if stored.get(r.id) == hashes[i]]
        if vectors is not None:
            vectors = np.asarray(vectors, dtype=np.float32)
            if vectors.ndim != 2 or vectors.shape[1] != self.settings["dimension"]:
                raise InputError(f"vectors must be (N, {self.settings['dimension']}), got {vectors.shape}")
            embedded = [Embedded([(0, len(records[i].text), 1)], l2_normalize(vectors[i : i + 1])) for i in fresh]
        else:
            embedded = embed_documents(
                self.model, [records[i].text for i in fresh], self.settings["chunk"], self.settings["overlap"],
                self._cache,
            )  # fmt: skip
        new_keys: list[int] = []
        with self.store.write() as db:
            removed = self.store.remove(db, [records[i].id for i in fresh if records[i].id in stored])
            for i, emb in zip(fresh, embedded, strict=True):
                r = records[i]
                new_keys += self.store.insert(db, r.id, r.text, r.meta, hashes[i], emb.spans, emb.vectors)
            for i in same:
                db.execute("UPDATE docs SET meta = ? WHERE doc_id = ?", (json.dumps(records[i].meta), records[i].id))
        vi.remove(np.array(removed, dtype=np.int64))
        vi.add(np.array(new_keys, dtype=np.int64), np.concatenate([e.vectors for e in embedded]) if embedded else
               np.zeros((0, self.settings["dimension"]), np.float32))  # fmt: skip
        self._generation = self.store.generation()
        replaced = sum(1 for i in fresh if records[i].id in stored)
        return AddResult(len(fresh) - replaced, replaced, len(same), len(new_keys))

    def _need_writer(self) -> None:
        if not self.writable:
            raise IndexStoreError(f"{self.path} is open read-only; open it with writable=True to change it")

    # -- the search structure ------------------------------------------------------------------------------
    def search_kind(self, live: int | None = None) -> str:
        """'exact' or 'hnsw': what search uses now (the setting, or for 'auto' the live chunk count)."""
        kind = self._search_override or self.settings["search"]
        if kind != "auto":
            return str(kind)
        live = self.store.count()[1] if live is None else live
        return "hnsw" if live >= self.settings["hnsw_threshold"] else "exact"

    def refresh(self) -> None:
        """Catch up with what other processes committed since this one last looked (readers call it)."""
        self._search_structure()

    def _search_structure(self) -> VectorIndex:
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
            except IndexStoreError as exc:
                log.warning("%s; rebuilding it from %s", exc, DB)
        if vi is None or (len(vi.keys) > 1000 and vi.live_count < len(vi.keys) // 2):
            vi = VectorIndex(dim, storage, kind)
        # Sync with the committed state: mask what was deleted, append what was added since.
        vi.alive &= np.isin(vi.keys, keys)
        after = int(vi.keys[-1]) if len(vi.keys) else 0
        if np.any(keys > after):
            log.info("indexing %d chunks of %s (%s, %s)", int(np.sum(keys > after)), self.path, storage, kind)
        for batch_keys, batch_vectors in self.store.scan(after):
            vi.add(batch_keys, batch_vectors)
        self._vectors, self._generation = vi, generation
        return vi

    # -- reading -------------------------------------------------------------------------------------------
    def search(self, query: str | Sequence[str] | np.ndarray, k: int = 10, where: dict[str, Any] | None = None,
               search: str | None = None, ef: int | None = None) -> Any:  # fmt: skip
        """Top-k documents for a text, a list of texts, or vectors (D,) / (Q, D): a list of Hit (per query for
        several), best first, each with its best window. where={"field": value} keeps documents whose metadata
        has those values. Candidates of int8/binary storage are rescored with the float32 vectors."""
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        single = isinstance(query, str) or (isinstance(query, np.ndarray) and query.ndim == 1)
        if isinstance(query, np.ndarray):
            q = np.atleast_2d(np.asarray(query, dtype=np.float32))
            if q.shape[1] != self.settings["dimension"]:
                raise InputError(f"query vectors have dimension {q.shape[1]}, the index {self.settings['dimension']}")
            q = l2_normalize(q)
        else:
            q = self.model.encode([query] if isinstance(query, str) else list(query))
        if search is not None:
            self._search_override = search
        with self.store.snapshot():  # one committed state for the whole search, while a writer goes on
            vi = self._search_structure()
            allowed = self.store.allowed_keys(where) if where else None
            hits = [self._search_one(vi, row, k, allowed, ef) for row in q]
        return hits[0] if single else hits

    def _search_one(self, vi: VectorIndex, q: np.ndarray, k: int, allowed: np.ndarray | None,
                    ef: int | None) -> list[Hit]:  # fmt: skip
        factor = RESCORE[self.settings["storage"]]
        live = vi.live_count if allowed is None else len(allowed)
        want = min(k * factor * (2 if self.settings["chunk"] else 1), live)
        while True:
            extra = {} if ef is None else {"ef": max(ef, want)}
            if vi.search_kind == "hnsw" and ef is None:
                extra = {"ef": max(128, want)}
            keys, scores = vi.search(q[None], want, allowed, **extra)
            keys, scores = keys[0][keys[0] >= 0], scores[0][keys[0] >= 0]
            if factor > 1 and len(keys):  # rescore the candidates with the stored float32 vectors
                scores = self.store.vectors(keys.tolist()) @ q
                order = np.argsort(-scores, kind="stable")
                keys, scores = keys[order], scores[order]
            # Only the best candidates need their documents looked up, unless they collapse to fewer than k.
            head = k * 4 if self.settings["chunk"] else k
            best = self._collapse(keys[:head], scores[:head])
            if len(best) < k and len(keys) > head:
                best = self._collapse(keys, scores)
            if len(best) >= k or want >= live:
                break
            want = min(want * 2, live)
        return self._hits(best[:k])

    def _collapse(self, keys: np.ndarray, scores: np.ndarray) -> list[tuple[int, float]]:
        """Best window per document: [(chunk key, score)] best first."""
        rows = self.store.chunks(keys.tolist())
        best: dict[str, tuple[int, float]] = {}
        for key, score in zip(keys.tolist(), scores.tolist(), strict=True):
            doc = rows[key].doc_id
            if doc not in best or score > best[doc][1]:
                best[doc] = (key, score)
        return sorted(best.values(), key=lambda kv: -kv[1])

    def _hits(self, best: list[tuple[int, float]]) -> list[Hit]:
        rows = self.store.chunks([key for key, _ in best])
        docs = {d: (t, m) for d, t, m in self.store.documents({rows[key].doc_id for key, _ in best})}
        out = []
        for key, score in best:
            row = rows[key]
            text, meta = docs[row.doc_id]
            out.append(Hit(row.doc_id, float(score), row.start, row.end, text[row.start : row.end], meta))
        return out

    def get(self, doc_id: str) -> tuple[str, dict[str, Any]] | None:
        """(text, metadata) of a document, or None."""
        found = self.store.documents([doc_id])
        return (found[0][1], found[0][2]) if found else None

    def ids(self) -> list[str]:
        """Every document id, sorted."""
        return [d for (d,) in self.store.db.execute("SELECT doc_id FROM docs ORDER BY doc_id")]

    def documents(self, limit: int | None = None, offset: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) in id order."""
        return self.store.documents(None, limit, offset)

    def __len__(self) -> int:
        return self.store.count()[0]

    def doc_vectors(self) -> tuple[list[str], np.ndarray]:
        """(ids, one vector per document (N, D)): its windows averaged weighted by token count, normalized."""
        rows = self.store.db.execute("SELECT doc_id, key, tokens FROM chunks ORDER BY doc_id, key").fetchall()
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
    if cache is False:
        return None
    return EmbeddingCache(None if cache is True else Path(cache))


def _records(texts: Sequence[str] | Iterable[Record], ids: Sequence[str] | None,
             metadata: Sequence[dict[str, Any]] | None) -> list[Record]:  # fmt: skip
    items = list(texts)
    if all(isinstance(t, Record) for t in items) and items:
        return items  # type: ignore[return-value]
    for n, t in enumerate(items):
        if not isinstance(t, str):
            raise InputError(f"document {n} is {type(t).__name__}, expected str")
    if ids is not None and len(ids) != len(items):
        raise InputError(f"{len(items)} texts but {len(ids)} ids")
    if metadata is not None and len(metadata) != len(items):
        raise InputError(f"{len(items)} texts but {len(metadata)} metadata entries")
    return [
        Record(str(t), str(ids[n]) if ids is not None else text_hash(str(t))[:16],
               dict(metadata[n]) if metadata is not None else {})
        for n, t in enumerate(items)
    ]  # fmt: skip


def _sum(a: AddResult, b: AddResult) -> AddResult:
    return AddResult(a.added + b.added, a.replaced + b.replaced, a.unchanged + b.unchanged, a.chunks + b.chunks)
