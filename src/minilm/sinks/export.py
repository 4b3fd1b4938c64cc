"""`export_index`: an index's windows into a database table, one row per stored chunk.

Row id DOC_ID@START (the window's first character: unique within a document, and the same on every export of
the same index); fields doc_id, start, end (character offsets into the document), text (the window's text),
metadata (the document's). The vectors are the index's float32 vectors, so a nearest-neighbour search in the
database, collapsed to the best window per document, ranks documents as Index.search does with exact search.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from minilm.errors import InputError
from minilm.sinks import open_sink
from minilm.sinks.sink import Rows

if TYPE_CHECKING:
    from minilm.index import Index

BATCH = 4096  # chunks read from the index and written at a time


def export_index(index: Index, url: str, overwrite: bool = False, batch: int = BATCH) -> int:
    """Write every chunk of `index` into the table / collection named by `url`; returns the rows written.
    The destination must be new or empty, unless overwrite=True, which replaces it."""
    store = index.store
    sink = open_sink(url, index.settings["dimension"], "minilm index export")
    try:
        if overwrite:
            sink.drop()
        elif sink.count():
            raise InputError(f"{url} already holds {sink.count()} rows; export into a new table / collection, or "
                             "give --overwrite to replace it")  # fmt: skip
        written = 0
        with store.snapshot():  # one consistent state of the index, whatever a writer does meanwhile
            keys = store.keys().tolist()
            for a in range(0, len(keys), batch):
                part = keys[a : a + batch]
                windows = store.windows(part)
                vectors = store.vectors(part)  # (B, D) float32
                rows = [windows[k] for k in part]
                fields: dict[str, Sequence[Any]] = {"doc_id": [r[0] for r in rows], "start": [r[1] for r in rows],
                          "end": [r[2] for r in rows], "text": [r[3] for r in rows],
                          "metadata": [r[4] for r in rows]}  # fmt: skip
                sink.upsert(Rows([f"{r[0]}@{r[1]}" for r in rows], vectors, fields))
                written += len(part)
    finally:
        sink.close()
    return written
