"""The batched add path (DocumentsDB.insert: two executemany statements a transaction) writes the rows one insert
per row would: keys as AUTOINCREMENT gives them (never reused after a delete), each window's span and vector, a
lexical row for every non-empty window; and vectors.npz is written only when the structure changed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from minilm.index import Index
from minilm.index.embedding_cache import text_hash
from minilm.index.layout import VECTORS
from tests.index.test_large import Stub, clustered


def rows(index: Index) -> list[tuple[int, str, int, int, int, bytes]]:
    sql = "SELECT key, doc_id, start, end, tokens, vector FROM chunks ORDER BY key"
    return [tuple(r) for r in index.store.db.execute(sql)]


def test_rows_keys_and_vectors_of_a_batched_add(index, tiny) -> None:  # type: ignore[no-untyped-def]
    long = ("the long one. " * 300).strip()  # several 256-token windows
    texts = ["first text", long, "third", ""]
    index.add(texts, ids=["a", "b", "c", "e"], metadata=[{"n": 1}, {}, {"n": 3}, {}], batch=2)
    stored = rows(index)
    keys = [r[0] for r in stored]
    assert keys == list(range(1, len(stored) + 1))
    windows = {d: [(a, b, t) for _, doc, a, b, t, _ in stored if doc == d] for d in "abce"}
    assert len(windows["b"]) > 2 and windows["a"] == [(0, len(texts[0]), windows["a"][0][2])]
    assert windows["b"][0][0] == 0 and windows["b"][-1][1] == len(long)
    expected = tiny.encode(["first text", "third"])
    got = index.store.vectors([keys[0], next(r[0] for r in stored if r[1] == "c")])
    assert np.abs(got - expected).max() < 1e-5
    docs = {d: (t, json.loads(m), h) for d, t, m, h in index.store.db.execute("SELECT * FROM docs")}
    assert docs["a"] == ("first text", {"n": 1}, text_hash("first text")) and docs["b"][1] == {}
    lexical = {k for (k,) in index.store.db.execute("SELECT rowid FROM lexical")}
    assert lexical == {r[0] for r in stored if r[3] > r[2]}  # the empty document has no lexical row
    assert [h.doc_id for h in index.search("third", k=1, mode="lexical")] == ["c"]

    last = keys[-1]
    index.delete(["e"])  # the largest key goes; AUTOINCREMENT never gives it again
    index.add(["fourth"], ids=["d"])
    assert rows(index)[-1][:2] == (last + 1, "d")
    index.add(["third, replaced"], ids=["c"], replace=True)
    assert rows(index)[-1][:2] == (last + 2, "c") and len([r for r in rows(index) if r[1] == "c"]) == 1


def test_large_layout_rows_and_vectors_match_per_document(index_dir: Path) -> None:
    v = clustered(700)
    with Index.create(index_dir, Stub(), layout="large", cache=False) as ix:  # type: ignore[arg-type]
        ix.add([f"t{i}" for i in range(700)], ids=[f"d{i}" for i in range(700)], vectors=v, batch=300)
        stored = rows(ix)
        assert [r[:5] for r in stored] == [(i + 1, f"d{i}", 0, len(f"t{i}"), 1) for i in range(700)]
        assert all(r[5] == b"" for r in stored)
        assert ix.store.vector_rows() == 700
        assert np.abs(ix.store.vectors(list(range(1, 701))) - v).max() < 0.01


def test_an_unchanged_index_is_not_saved_again_on_close(index_dir: Path) -> None:
    v = clustered(300)
    with Index.create(index_dir, Stub(), layout="large", cache=False) as ix:  # type: ignore[arg-type]
        ix.add([""] * 300, ids=[f"d{i}" for i in range(300)], vectors=v)
    saved = (index_dir / VECTORS).stat().st_mtime_ns
    with Index.open(index_dir, writable=True, cache=False) as ix:
        assert ix.search(v[3], k=1)[0].doc_id == "d3"
    assert (index_dir / VECTORS).stat().st_mtime_ns == saved
    with Index.open(index_dir, writable=True, cache=False) as ix:
        ix.add([""], ids=["new"], vectors=v[:1])
    assert (index_dir / VECTORS).stat().st_mtime_ns != saved
    with Index.open(index_dir, cache=False) as reader:
        assert len(reader) == 301 and reader._structure.saved == reader._structure.generation
