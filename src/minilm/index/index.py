"""`minilm.Index`: a persistent semantic-search index in a directory.

    index = minilm.Index.create("papers", model)             # or Index.open("papers", writable=True)
    index.add(["first text", "second text"], ids=["a", "b"], metadata=[{"lang": "en"}, {"lang": "fr"}])
    index.search("a query", k=5, where={"lang": "en"})      # [Hit(doc_id, score, start, end, text, metadata)]

Files (layout.py): index.sqlite (the truth: documents, chunks, float32 vectors; documents_db.py), vectors.npz
(the faiss structure derived from it, repaired from it on open; vectors.py, kept in step by structure.py) and
write.lock (lock.py). The class is put together from its sections: opening.py (the state of an open index),
writing.py (add, update, delete) and reading.py (search and the rest); opening and closing are here.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from pathlib import Path

from minilm.encoder import DEFAULT_OVERLAP, Encoder
from minilm.errors import IndexMismatchError, IndexStoreError, InputError
from minilm.extras import require
from minilm.index.arguments import check_count, check_search
from minilm.index.documents_db import SCHEMA_VERSION, DocumentsDB
from minilm.index.layout import DB, LOCK, VECTORS, check_files
from minilm.index.lock import WriterLock
from minilm.index.opening import check_model, disk_errors, open_cache
from minilm.index.reading import IndexReading, SearchKind
from minilm.index.vector_file import CODES, KEYS, VectorFile
from minilm.index.vectors import STORAGES
from minilm.index.writing import BATCH, ID_DIGITS, AddResult, IndexWriting, document_id

log = logging.getLogger(__name__)
HNSW_THRESHOLD = 100_000  # live chunks from which search="auto" uses HNSW instead of exact search
IVF_THRESHOLD = 200_000  # live chunks from which search="auto" of the large layout uses the inverted file
LAYOUTS = ("small", "large")

__all__ = ["BATCH", "DB", "ID_DIGITS", "LOCK", "VECTORS", "AddResult", "Index", "SearchKind", "document_id"]


class Index(IndexWriting, IndexReading):
    """A directory holding documents, their window vectors and a search structure. See the module docstring.

    Searches may run from many threads at once (each reads through its own SQLite connection and shares the
    search structure under a readers-writer lock); adds and deletes from several threads take turns."""

    @classmethod
    def create(cls, path: str | Path, model: Encoder, storage: str | None = None, search: str = "auto",
               chunk: bool = True, overlap: int | None = None, hnsw_threshold: int = HNSW_THRESHOLD,
               cache: bool | str | Path = True, layout: str = "small", ivf_threshold: int = IVF_THRESHOLD,
               recall: float = 0.95) -> Index:  # fmt: skip
        """Make a new index in `path` (created if missing, must not hold an index) and open it for writing.

        storage: "float32", "int8" or "binary" vectors in the search structure (float32 always kept on disk
        for rescoring); search: "exact", "hnsw" or "auto" (HNSW from hnsw_threshold live chunks);
        chunk: embed every 256-token window of long texts (True) or only the first, like the reference (False);
        overlap: tokens shared by neighbouring windows (default 32, less for models with short windows).
        layout="large": for millions of chunks (docs/search-index.md, "Large indexes"): vectors as int8 in a
        memory-mapped file beside index.sqlite instead of float32 in it (storage must be "int8", the default
        there); search "exact" or "ivf" (an inverted file of 48-byte codes, trained once, appended to) or
        "auto" (the inverted file from ivf_threshold live chunks); recall: the recall@10 target that sets the
        lists probed and candidates rescored by the inverted file (vectors.IVF_PLANS).
        MissingExtraError at once when the index extra (faiss) is not installed.
        """
        require("index", "an index")
        body = model.max_seq_length - 2
        overlap = min(DEFAULT_OVERLAP, body // 4) if overlap is None else check_count(overlap, "overlap", 0)
        if not 0 <= overlap < body:
            raise InputError(f"overlap must be in [0, {body - 1}] for {model.name}, got {overlap}")
        if layout not in LAYOUTS:
            raise InputError(f"layout {layout!r} is unknown; expected one of {LAYOUTS}")
        large = layout == "large"
        storage = ("int8" if large else "float32") if storage is None else storage
        if storage not in STORAGES:
            raise InputError(f"storage {storage!r} is unknown; expected one of {STORAGES}")
        if large and storage != "int8":
            raise InputError(f"layout='large' keeps int8 vectors; storage {storage!r} is not possible there")
        searches = ("auto", "exact", "ivf") if large else ("auto", "exact", "hnsw")
        if search not in searches:
            raise InputError(f"search {search!r} is unknown for layout={layout!r}; expected one of {searches}")
        if isinstance(recall, bool) or not isinstance(recall, int | float) or not 0 < recall <= 1:
            raise InputError(f"recall must be a number in (0, 1], got {recall!r}")
        hnsw_threshold = check_count(hnsw_threshold, "hnsw_threshold", 0)
        ivf_threshold = check_count(ivf_threshold, "ivf_threshold", 0)
        root = Path(path)
        if (root / DB).exists():
            raise IndexStoreError(f"{root} already holds an index; open it with Index.open")
        settings = {
            "format": SCHEMA_VERSION, "model": model.name, "model_path": str(model.folder.path),
            "sha256": model.sha256, "dimension": model.dimension, "storage": storage, "search": search,
            "chunk": chunk, "overlap": overlap, "hnsw_threshold": hnsw_threshold,
        }  # fmt: skip
        if large:
            settings.update(layout=layout, ivf_threshold=ivf_threshold, recall=float(recall))
        with disk_errors(root):
            root.mkdir(parents=True, exist_ok=True)
        check_files(root)
        lock = WriterLock(root / LOCK)
        lock.acquire()
        try:
            store = DocumentsDB(root / DB, model.dimension)
            try:
                store.create(settings)
                if large:
                    store.vector_file = VectorFile(root, model.dimension, 0, True)
            except BaseException:
                store.close()
                raise
        except BaseException:  # leave no half-made index behind: a retry must not find "an index"
            for name in (DB, DB + "-wal", DB + "-shm", KEYS, CODES):
                with suppress(OSError):
                    (root / name).unlink()
            lock.release()
            raise
        return cls(root, store, settings, model, True, lock, open_cache(cache), None)

    @classmethod
    def open(cls, path: str | Path, model: Encoder | None = None, writable: bool = False,
             search: str | None = None, cache: bool | str | Path = True) -> Index:  # fmt: skip
        """Open an existing index. writable=True takes the single-writer lock (IndexLockedError if held).

        model: the encoder for text queries and adds (default: the recorded model, loaded when first needed);
        it must have the dimension and weights digest the index was built with (IndexMismatchError).
        search: "exact" / "hnsw" / "auto" instead of the recorded setting for the structure built in memory in
        this session (the saved one is reused only when it is of the kind asked for).
        Every index file must be a regular file, not a link (UnsafeFileError names the first that is not).
        """
        check_search(search)
        root = Path(path)
        if not (root / DB).exists() and not (root / DB).is_symlink():
            raise IndexStoreError(f"{root} holds no index ({DB} is missing); create one with `minilm index create`")
        check_files(root)
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
                check_model(root, settings, model)
            if settings.get("layout") == "large":
                if search == "hnsw":
                    raise InputError(f"{root} is of layout='large', searched 'exact' or 'ivf', not 'hnsw'")
                store.vector_file = VectorFile(root, settings["dimension"], store.vector_rows(), writable)
            elif search == "ivf":
                raise InputError(f"search='ivf' needs an index of layout='large'; {root} is of the small layout")
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return cls(root, store, settings, model, writable, lock, open_cache(cache) if writable else None, search)

    def close(self) -> None:
        """Save the search structure (writers) and release the lock. The documents are safe in index.sqlite
        even when saving the structure fails (IndexStoreError): it is rebuilt from them on the next open.
        Closing twice does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.writable:
                self._structure.save_if_current()
                self.store.checkpoint()
        finally:
            with self._structure.closing():  # searches in flight end first
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
        self._structure.vectors = None  # an error is in flight: leave the saved structure be (repaired on open)
        try:
            self.close()
        except IndexStoreError as failed:  # the error in flight is the one to report
            log.warning("%s", failed)
