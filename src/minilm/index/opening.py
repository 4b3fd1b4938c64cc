"""Opening an index directory: the state every open `Index` holds, its model, and the checks made on the way in
(the recorded format, the model's dimension and weights digest, the embedding cache)."""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from minilm.encoder import Encoder
from minilm.errors import IndexMismatchError, IndexStoreError
from minilm.index import lexical
from minilm.index.documents_db import DocumentsDB
from minilm.index.embedding_cache import EmbeddingCache
from minilm.index.lock import WriterLock
from minilm.index.structure import SearchStructure

log = logging.getLogger(__name__)


class IndexState:
    """What an open index holds: its folder, database, settings, search structure, model, lock and cache."""

    def __init__(self, path: Path, store: DocumentsDB, settings: dict[str, Any], model: Encoder | None,
                 writable: bool, lock: WriterLock | None, cache: EmbeddingCache | None,
                 search: str | None):  # fmt: skip
        self.path, self.store, self.settings = path, store, settings
        self.writable, self._lock, self._cache = writable, lock, cache
        self._model = model
        self._structure = SearchStructure(path, store, settings, search)
        self._adding = threading.Lock()  # one add/delete at a time from this object
        self._loading = threading.Lock()
        self._closed = False
        self.lexical_built: int | None = None  # windows indexed when this open made the lexical side
        if writable and not lexical.present(store.db):  # a new index, or one made before the lexical side
            log.info("%s: building the lexical index of its windows", path)
            self.lexical_built = self.reindex_lexical()

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
                check_model(self.path, self.settings, model)
                self._model = model
        return self._model

    def search_kind(self, live: int | None = None) -> str:
        """'exact' or 'hnsw': the structure this session builds (the setting, or for 'auto' the chunk count)."""
        return self._structure.kind(live)

    def refresh(self) -> None:
        """Catch up with what other processes committed since this one last looked (readers call it)."""
        self._structure.refresh()

    def reindex_lexical(self) -> int:
        """Make the lexical (BM25) side from the stored windows in one transaction, or remake it; returns the
        windows indexed. A writable open does it for an index made before minilm kept one; a read-only user runs
        `minilm index reindex-lexical DIR`. Every add and delete after it keeps it in step (lexical.py)."""
        self._need_writer()
        with self._adding, self.store.write() as db:
            return lexical.create(db)

    def _need_writer(self) -> None:
        if not self.writable:
            raise IndexStoreError(f"{self.path} is open read-only; open it with writable=True to change it")


def check_model(root: Path, settings: dict[str, Any], model: Encoder) -> None:
    """IndexMismatchError unless `model` has the dimension and weights digest the index was built with."""
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


@contextmanager
def disk_errors(path: Path) -> Iterator[None]:
    """OSError (read-only file system, no permission, full disk) as a one-line IndexStoreError."""
    try:
        yield
    except OSError as exc:
        name = errno.errorcode.get(exc.errno or 0, "")
        raise IndexStoreError(f"cannot write {path}: {exc.strerror or exc}" + (f" ({name})" if name else "")) from None


def open_cache(cache: bool | str | Path) -> EmbeddingCache | None:
    """The shared embedding cache, or None (it only saves work: a cache that cannot be opened is skipped)."""
    if cache is False:
        return None
    try:
        return EmbeddingCache(None if cache is True else Path(cache))
    except (OSError, sqlite3.Error) as exc:
        log.warning("embedding cache not used: %s", exc)
        return None
