"""Writing to an index: adding, replacing and deleting documents, each batch one SQLite transaction and the same
change made to the search structure while it is held exclusively."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minilm.errors import IndexStoreError, InputError, shown
from minilm.index.arguments import check_count, check_ids, check_metadata, check_vectors
from minilm.index.embedding_cache import embed_documents, text_hash
from minilm.index.filters import check_text
from minilm.index.opening import IndexState
from minilm.io.readers import Record
from minilm.progress import progress_bar

ID_DIGITS = 16  # hex digits of a text's sha256 that make the id of a document added without one
BATCH = 256  # documents embedded and committed per transaction


@dataclass(frozen=True)
class AddResult:
    """What an add did: documents added new, replaced (new text), unchanged (same text) and chunks written."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    chunks: int = 0


class IndexWriting(IndexState):
    """The writing half of `Index` (see index.py)."""

    def add(self, texts: Sequence[str] | Iterable[Record], ids: Sequence[str] | None = None,
            metadata: Sequence[dict[str, Any]] | None = None, vectors: np.ndarray | None = None,
            batch: int = BATCH, replace: bool = False, show_progress: bool | None = False) -> AddResult:  # fmt: skip
        """Add documents (texts with ids and metadata, or Records); commits every `batch` documents.

        Without ids, a document's id is the first 16 hex digits of its text's sha256 (`document_id`), so
        adding the same text again changes nothing (repeats count as unchanged) and different texts never share
        an id. A document already stored under its id with the same text and metadata is left as is. One stored
        with another text or other metadata is replaced only with replace=True; otherwise IndexStoreError names
        it and nothing is written. `vectors` (N, D) skips embedding (one window per document).
        show_progress: a bar over the documents on stderr (None: when stderr is a terminal and not quiet)."""
        checked = _records(texts, ids, metadata)
        records = _dedupe(checked)
        batch = check_count(batch, "batch")
        if vectors is not None:
            vectors = check_vectors(vectors, self.settings["dimension"], "vectors")
            if len(vectors) != len(records):
                raise InputError(f"{len(records)} documents but {len(vectors)} vectors")
        self._need_writer()
        with self._adding, progress_bar(len(records), show_progress, "adding", "doc") as bar:
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
                bar.update(len(part))
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
               metadata: Sequence[dict[str, Any]] | None = None,
               show_progress: bool | None = False) -> AddResult:  # fmt: skip
        """Replace documents that must already be stored (IndexStoreError names the first missing id)."""
        records = _records(texts, ids, metadata)
        known = self.store.hashes([r.id for r in records])
        missing = [r.id for r in records if r.id not in known]
        if missing:
            raise IndexStoreError(f"cannot update {len(missing)} unknown documents (first: {shown(missing[0])})")
        return self.add(records, replace=True, show_progress=show_progress)

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id (a list of str); returns how many were stored."""
        wanted = check_ids(ids)
        self._need_writer()
        with self._adding:
            known = self.store.hashes(wanted)
            with self._structure.changing() as vi:
                with self.store.write() as db:
                    removed = self.store.remove(db, list(known))
                vi.remove(np.array(removed, dtype=np.int64))
        return len(known)

    def _refuse_replacing(self, records: list[Record]) -> None:
        stored = self.store.state([r.id for r in records])
        changed = [r.id for r in records if r.id in stored and stored[r.id] != (text_hash(r.text), r.meta)]
        if changed:
            raise IndexStoreError(
                f"{len(changed)} of these documents are stored under the same id with another text or other "
                f"metadata (first: {shown(changed[0])}); nothing was added. Pass replace=True (CLI: --replace) to "
                "replace them, or give new ids"
            )

    def _add_batch(self, records: list[Record], vectors: np.ndarray | None) -> AddResult:
        hashes = [text_hash(r.text) for r in records]
        stored = self.store.state([r.id for r in records])
        fresh = [i for i, r in enumerate(records) if r.id not in stored or stored[r.id][0] != hashes[i]]
        same = [i for i, r in enumerate(records) if r.id in stored and stored[r.id][0] == hashes[i]]
        retagged = [i for i in same if stored[records[i].id][1] != records[i].meta]
        if vectors is not None:  # one window per document: the vector given
            spans = [[(0, len(records[i].text), 1)] for i in fresh]
            window_vectors = vectors[fresh]
        else:
            embedded = embed_documents(
                self.model, [records[i].text for i in fresh], self.settings["chunk"], self.settings["overlap"],
                self._cache,
            )  # fmt: skip
            spans = [e.spans for e in embedded]
            window_vectors = (np.concatenate([e.vectors for e in embedded]) if embedded
                              else np.zeros((0, self.settings["dimension"]), np.float32))  # fmt: skip
        docs = [(records[i].id, records[i].text, records[i].meta, hashes[i]) for i in fresh]
        with self._structure.changing() as vi:
            with self.store.write() as db:
                removed = self.store.remove(db, [records[i].id for i in fresh if records[i].id in stored])
                new_keys = self.store.insert(db, docs, spans, window_vectors)
                for i in retagged:
                    self.store.set_metadata(db, records[i].id, records[i].meta)
            vi.remove(np.array(removed, dtype=np.int64))
            vi.add(new_keys, window_vectors)
        replaced = sum(1 for i in fresh if records[i].id in stored) + len(retagged)
        return AddResult(len(fresh) + len(retagged) - replaced, replaced, len(same) - len(retagged), len(new_keys))


def document_id(text: str) -> str:
    """The id of a document added without one: the first 16 hex digits of its text's sha256."""
    return text_hash(text)[:ID_DIGITS]


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
        check_text(t, f"document {n}")
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
            raise InputError(f"document id {shown(r.id)} appears twice in one add, with different contents")
    return list(first.values())


def _sum(a: AddResult, b: AddResult) -> AddResult:
    return AddResult(a.added + b.added, a.replaced + b.replaced, a.unchanged + b.unchanged, a.chunks + b.chunks)
