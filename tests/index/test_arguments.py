"""What Index accepts: ids (given or derived from the text), when a stored document may be replaced, metadata
that JSON can hold, search arguments and degenerate query vectors. Each refusal is an InputError naming the item."""

from __future__ import annotations

import datetime
import hashlib
import math

import numpy as np
import pytest

from minilm.errors import IndexStoreError, InputError
from minilm.index import Index
from minilm.index.index import document_id


def test_documents_without_ids_never_replace_each_other(index) -> None:  # type: ignore[no-untyped-def]
    assert index.add(["the cat sat", "a happy dog"]).added == 2
    second = index.add(["hello world", "the cat sat", "hello world"])  # a repeat in one add is stored once
    assert (second.added, second.replaced, second.unchanged) == (1, 0, 2)
    assert index.ids() == sorted(document_id(t) for t in ["the cat sat", "a happy dog", "hello world"])
    assert index.get(document_id("a happy dog")) == ("a happy dog", {})
    assert document_id("a happy dog") == hashlib.sha256(b"a happy dog").hexdigest()[:16]


def test_a_stored_id_is_replaced_only_when_asked(index) -> None:  # type: ignore[no-untyped-def]
    index.add(["the cat sat", "a happy dog"], ids=["a", "b"], metadata=[{"n": 1}, {"n": 2}])
    with pytest.raises(IndexStoreError, match=r"first: 'b'\); nothing was added\. Pass replace=True"):
        index.add(["hello world", "today is sunny"], ids=["c", "b"])
    assert index.ids() == ["a", "b"] and index.get("b") == ("a happy dog", {"n": 2})  # "c" was not added either
    with pytest.raises(IndexStoreError, match="other metadata"):
        index.add(["a happy dog"], ids=["b"], metadata=[{"n": 3}])
    assert index.add(["a happy dog"], ids=["b"], metadata=[{"n": 2}]).unchanged == 1  # the same again: a no-op
    done = index.add(["hello world", "a happy dog"], ids=["a", "b"], metadata=[{"n": 1}, {"n": 3}], replace=True)
    assert (done.added, done.replaced, done.unchanged, done.chunks) == (0, 2, 0, 1)  # "b": new metadata only
    assert index.get("a") == ("hello world", {"n": 1}) and index.get("b") == ("a happy dog", {"n": 3})
    assert index.update(["the cat sat"], ids=["a"]).replaced == 1


def test_ids_metadata_and_documents_are_checked(index) -> None:  # type: ignore[no-untyped-def]
    cases = [
        (dict(ids=[None]), r"ids\[0\] is NoneType None, expected a str"),
        (dict(ids=[""]), r"ids\[0\] is empty"),
        (dict(ids=[1.5]), r"ids\[0\] is float 1.5"),
        (dict(metadata=[{"tags": {"a", "b"}}]), r"metadata\[0\] field 'tags' is set, which JSON cannot hold"),
        (dict(metadata=[{"when": datetime.date(2024, 1, 1)}]), r"field 'when' is date"),
        (dict(metadata=[{"raw": b"x"}]), r"field 'raw' is bytes"),
        (dict(metadata=[{"x": math.nan}]), r"field 'x' is nan; JSON has no NaN or Infinity"),
        (dict(metadata=[{"x": [1, np.float64(np.inf)]}]), r"field 'x'\[1\] is inf"),
        (dict(metadata=[{1: "a"}]), r"metadata\[0\] has the key 1 \(int\); JSON keys are str"),
        (dict(metadata=["lang=en"]), r"metadata\[0\] is str, expected a dict"),
        (dict(metadata={"lang": "en"}), r"metadata must be a list of one dict per text"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InputError, match=message):
            index.add(["the cat sat"], **kwargs)
    with pytest.raises(InputError, match="texts must be a list of str"):
        index.add("the cat sat")
    with pytest.raises(InputError, match="document 1 is int"):
        index.add(["the cat sat", 3])
    assert len(index) == 0
    index.add(["the cat sat"], ids=[7], metadata=[{"n": np.int64(3), "f": np.float32(0.5), "ok": np.bool_(True)}])
    assert index.get("7") == ("the cat sat", {"n": 3, "f": 0.5, "ok": True})  # numpy scalars become JSON numbers


def test_search_and_delete_arguments_are_checked(index) -> None:  # type: ignore[no-untyped-def]
    index.add(["the cat sat", "a happy dog"], ids=["a", "b"])
    cases = [
        (dict(k="5"), "k must be an int, got str '5'"),
        (dict(k=0), "k must be at least 1, got 0"),
        (dict(k=True), "k must be an int, got bool"),
        (dict(where=[1]), r"where must be a dict \{field: value\}, got list \[1\]"),
        (dict(where={"lang": ["en"]}), r"where\['lang'\] is list \['en'\]"),
        (dict(where={"lang": None}), r"where\['lang'\] is NoneType"),
        (dict(where={"n": math.nan}), r"where\['n'\] is float nan"),
        (dict(search="fast"), "search 'fast' is unknown"),
        (
            dict(search="hnsw"),
            "search='hnsw' needs an HNSW graph, but .* is searched exactly .created with "
            "search='auto', which builds a graph from 100000 chunks",
        ),
        (dict(ef=0), "ef must be at least 1"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InputError, match=message):
            index.search("the cat", **kwargs)
    with pytest.raises(InputError, match="query is int"):
        index.search(5)
    for bad, message in [(None, "ids must be a list of str, got NoneType"), ("a", "got str"),
                         ([None], r"ids\[0\] is NoneType")]:  # fmt: skip
        with pytest.raises(InputError, match=message):
            index.delete(bad)
    assert index.ids() == ["a", "b"]


@pytest.mark.parametrize("storage", ["float32", "int8", "binary"])
def test_search_kind_is_per_call(tiny, tmp_path, storage: str) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((200, tiny.dimension)).astype(np.float32)
    with Index.create(tmp_path / "h", tiny, storage=storage, search="hnsw", cache=False) as ix:
        ix.add([f"t{i}" for i in range(200)], ids=[f"v{i}" for i in range(200)], vectors=vectors)
        ix.delete(["v1", "v2"])
        q = vectors[1] + 0.01 * rng.standard_normal(tiny.dimension).astype(np.float32)
        exact = ix.search(q, k=5, search="exact", where=None)
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        best = [i for i in np.argsort(-(unit @ (q / np.linalg.norm(q)))) if i not in (1, 2)]
        top = 1 if storage == "binary" else 5  # 8-bit binary codes only promise the best candidate's rank
        assert [h.doc_id for h in exact][:top] == [f"v{i}" for i in best[:top]]
        built = ix._structure.vectors
        assert built is not None and built.search_kind == "hnsw"  # the graph is still what searches
        assert ix.stats()["search"] == "hnsw" and len(ix.search(q, k=5)) == 5


def test_query_vectors_are_normalized_in_float64_and_degenerate_ones_refused(index, tiny) -> None:  # type: ignore[no-untyped-def]
    texts = ["the cat sat on the mat", "a happy dog", "hello world", "today is a sunny day"]
    index.add(texts, ids=list("abcd"))
    query = tiny.encode("a happy person")
    plain = [(h.doc_id, h.score) for h in index.search(query, k=4)]
    assert plain[0][1] > 0.1
    for scale in (1e20, 1e-20, 1e-30):
        scaled = index.search((query.astype(np.float64) * scale).astype(np.float32), k=4)
        assert [h.doc_id for h in scaled] == [d for d, _ in plain]
        assert [h.score for h in scaled] == pytest.approx([s for _, s in plain], abs=1e-6)
    assert [h.doc_id for h in index.search(query.astype(np.float64) * 1e200, k=4)] == [d for d, _ in plain]
    for bad, message in [(np.zeros(tiny.dimension), "row 0 is all zeros"),
                         (np.full(tiny.dimension, np.nan), "row 0 holds NaN or Infinity"),
                         (np.stack([query, np.full(tiny.dimension, np.inf)]), "row 1 holds NaN or Infinity"),
                         (np.array(["a"] * tiny.dimension), "must be real numbers")]:  # fmt: skip
        with pytest.raises(InputError, match=message):
            index.search(bad, k=1)
    with pytest.raises(InputError, match="vectors row 0 is all zeros"):
        index.add(["x"], vectors=np.zeros((1, tiny.dimension)))


def test_a_closed_index_says_so(index) -> None:  # type: ignore[no-untyped-def]
    index.add(["the cat sat"], ids=["a"])
    index.close()
    for call in (lambda: index.search("cat"), lambda: index.get("a"), lambda: index.ids(), lambda: len(index)):
        with pytest.raises(IndexStoreError, match="is closed; open the index again"):
            call()
