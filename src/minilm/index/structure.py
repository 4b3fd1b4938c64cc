"""The search structure of an open index, kept in step with SQLite: one VectorIndex at the generation of the
database state it answers for, shared by searches and caught up (exclusively) when the database moved on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from minilm.errors import IndexMismatchError, IndexStoreError
from minilm.index.documents_db import DocumentsDB
from minilm.index.layout import DB, VECTORS
from minilm.index.rwlock import ReadWriteLock
from minilm.index.vectors import IVF_LISTS, TRAIN_PER_LIST, VectorIndex

log = logging.getLogger(__name__)


class SearchStructure:
    """Searches share the structure (reading); catching up and changing it is exclusive (writing)."""

    def __init__(self, path: Path, store: DocumentsDB, settings: dict[str, Any], override: str | None):
        self.path, self.store, self.settings, self.override = path, store, settings, override
        self.vectors: VectorIndex | None = None
        self.generation = -1
        self.saved = -1  # the generation vectors.npz holds, when this session read or wrote it (else -1)
        self._lock = ReadWriteLock()

    @property
    def large(self) -> bool:
        return bool(self.settings.get("layout") == "large")

    def kind(self, live: int | None = None) -> str:
        """'exact', 'hnsw' or 'ivf': the structure this session builds (the setting, or for 'auto' the chunk
        count: HNSW from hnsw_threshold chunks, or for the large layout the inverted file from ivf_threshold)."""
        kind = self.override or self.settings["search"]
        if kind != "auto":
            return str(kind)
        live = self.store.count()[1] if live is None else live
        if self.large:
            return "ivf" if live >= self.settings["ivf_threshold"] else "exact"
        return "hnsw" if live >= self.settings["hnsw_threshold"] else "exact"

    @contextmanager
    def reading(self) -> Iterator[VectorIndex]:
        """A read snapshot of the database and, shared with other searches, the structure of exactly that
        snapshot's generation (caught up first, exclusively, when it is behind). Every read of the database
        inside the block sees the state the structure holds."""
        while True:
            with self.store.snapshot():
                generation = self.store.generation()
                with self._lock.reading():
                    if self.vectors is not None and self.generation == generation:
                        yield self.vectors
                        return
            self.refresh()

    @contextmanager
    def changing(self) -> Iterator[VectorIndex]:
        """The structure, caught up and held exclusively, for a write transaction and the same change made to it;
        it is marked current when the block ends."""
        with self._lock.writing():
            vi = self._sync()
            if self.large and self.override is None and self.kind(vi.live_count) != vi.search_kind:
                # A large index that grew past ivf_threshold trains its inverted file now, once.
                self.vectors = None
                vi = self._sync()
            yield vi
            self.generation = self.store.generation()

    @contextmanager
    def closing(self) -> Iterator[None]:
        """Exclusive hold while the index closes: searches in flight end first."""
        with self._lock.writing():
            yield

    def refresh(self) -> None:
        """Catch up with what was committed since the structure was last brought in step."""
        with self._lock.writing():
            self._sync()

    def save_if_current(self) -> None:
        """Write vectors.npz when the structure is the one recorded for this index and holds the latest state
        (unless the file already holds that state: an index opened for writing and left unchanged is not
        rewritten)."""
        current = self.vectors is not None and self.generation == self.store.generation()
        if current and self.vectors is not None and self.override is None and self.saved != self.generation:
            self.vectors.save(self.path / VECTORS, self.generation)
            self.saved = self.generation

    def _sync(self) -> VectorIndex:
        """The structure at the latest committed generation; the caller holds it exclusively."""
        with self.store.snapshot():
            generation = self.store.generation()
            if self.vectors is not None and generation == self.generation:
                return self.vectors
            dim, storage = self.settings["dimension"], self.settings["storage"]
            keys = self.store.keys()
            kind = self.kind(len(keys))
            vi = self.vectors if self.vectors is not None and self.vectors.search_kind == kind else None
            saved = self.saved if vi is not None else -1
            if vi is None and (self.path / VECTORS).exists():
                try:
                    vi, saved = VectorIndex.load(self.path / VECTORS, dim, storage, kind)
                except IndexMismatchError as exc:
                    log.info("%s; building a %s structure from %s", exc, kind, DB)
                except IndexStoreError as exc:
                    log.warning("%s; rebuilding it from %s", exc, DB)
            if vi is None or (len(vi.keys) > 1000 and vi.live_count < len(vi.keys) // 2):
                vi, saved = VectorIndex(dim, storage, kind), -1
                if kind == "ivf":
                    vi.train(self._sample())
            # Catch up with the committed state: append what was added since, mask what was deleted.
            after = int(vi.keys[-1]) if len(vi.keys) else 0
            if np.any(keys > after):
                log.info("indexing %d chunks of %s (%s, %s)", int(np.sum(keys > after)), self.path, storage, kind)
            for batch_keys, batch_vectors in self.store.scan(after):
                vi.add(batch_keys, batch_vectors)
            vi.keep(_members(vi.keys, keys))
            self.vectors, self.generation, self.saved = vi, generation, saved
        return vi

    def _sample(self) -> np.ndarray:
        """Training vectors for an inverted file: rows of the vector file drawn at random (a fixed seed)."""
        vf = self.store.vector_file
        if vf is None:
            raise IndexMismatchError(f"{self.path} keeps no vector file: search='ivf' needs layout='large'")
        rows = self.store.vector_rows()
        size = min(rows, IVF_LISTS * TRAIN_PER_LIST)
        picked = np.sort(np.random.default_rng(0).choice(rows, size, replace=False))
        return vf.vectors(picked, rows)


def _members(held: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether each of the ascending keys `held` is among the ascending `keys` (np.isin without its sort)."""
    if len(keys) == 0:
        return np.zeros(len(held), dtype=bool)
    pos = np.minimum(np.searchsorted(keys, held), len(keys) - 1)
    return np.asarray(keys[pos] == held)
