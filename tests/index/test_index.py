"""minilm.Index on the tiny model: add, search, filters, delete, update, reopen, storage modes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minilm.errors import IndexStoreError, InputError
from minilm.index import Index
from tests.index.conftest import sentence

TEXTS = ["the cat sat on the mat", "a happy dog", "hello world", "today is a sunny day"]


def test_search_ranks_by_cosine_and_maps_back_to_spans(index, tiny) -> None:  # type: ignore[no-untyped-def]
    index.add(TEXTS, ids=["a", "b", "c", "d"])
    hits = index.search("a happy dog", k=4)
    vectors = tiny.encode(TEXTS)
    expected = np.argsort(-(vectors @ tiny.encode("a happy dog")))
    assert [h.doc_id for h in hits] == [["a", "b", "c", "d"][i] for i in expected]
    assert hits[0].doc_id == "b" and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert (hits[0].start, hits[0].end, hits[0].text) == (0, len("a happy dog"), "a happy dog")


def test_long_documents_are_chunked_and_hits_carry_their_window(index, tiny) -> None:  # type: ignore[no-untyped-def]
    long = " ".join(sentence(n) for n in range(40))  # far over the tiny model's 16 tokens
    index.add([long, "hello world"], ids=["long", "short"])
    chunks = tiny.encode_chunks(long, overlap=index.settings["overlap"])[0]
    assert index.store.count() == (2, len(chunks.spans) + 1)
    assert len(chunks.spans) >= 3
    window = len(chunks.spans) // 2
    hit = index.search(chunks.vectors[window], k=1)[0]
    assert hit.doc_id == "long" and (hit.start, hit.end) == chunks.spans[window]
    assert hit.text == long[chunks.spans[window][0] : chunks.spans[window][1]]


def test_metadata_filter_delete_update_and_reopen(index, index_dir: Path, tiny) -> None:  # type: ignore[no-untyped-def]
    index.add(TEXTS, ids=["a", "b", "c", "d"], metadata=[{"lang": "en"}, {"lang": "fr"}, {"lang": "en"}, {"n": 1}])
    assert {h.doc_id for h in index.search("hello", k=10, where={"lang": "en"})} == {"a", "c"}
    assert [h.doc_id for h in index.search("hello", k=10, where={"n": 1})] == ["d"]
    assert index.delete(["a", "zz"]) == 1
    assert {h.doc_id for h in index.search("hello", k=10)} == {"b", "c", "d"}
    result = index.update(["the cat sat"], ids=["c"])
    assert (result.replaced, result.chunks) == (1, 1)
    with pytest.raises(IndexStoreError, match="unknown documents"):
        index.update(["x"], ids=["nope"])
    index.close()
    with Index.open(index_dir, model=tiny) as again:
        assert again.ids() == ["b", "c", "d"]
        assert again.get("c") == ("the cat sat", {})
        top = again.search(tiny.encode("the cat sat"), k=1)[0]
        assert top.doc_id == "c" and top.score == pytest.approx(1.0, abs=1e-5)
        with pytest.raises(IndexStoreError, match="read-only"):
            again.add(["more"])


def test_unchanged_content_is_not_embedded_again(index, index_dir: Path, tiny, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    first = index.add(TEXTS, ids=["a", "b", "c", "d"])
    assert (first.added, first.chunks) == (4, 4)
    query = tiny.encode("a happy dog")

    def no_forward(*args: object) -> None:
        raise AssertionError("the engine ran for content already embedded")

    monkeypatch.setattr(tiny.engine, "forward", no_forward)
    again = index.add(TEXTS, ids=["a", "b", "c", "d"])
    assert (again.added, again.unchanged, again.chunks) == (0, 4, 0)
    # Another index with the same model reuses the shared embedding cache.
    with Index.create(tmp_path / "other", tiny, cache=tmp_path / "cache.sqlite") as other:
        assert other.add(TEXTS[:2], ids=["x", "y"]).added == 2
        assert other.search(query, k=1)[0].doc_id == "y"


@pytest.mark.parametrize("storage", ["float32", "int8", "binary"])
@pytest.mark.parametrize("search", ["exact", "hnsw"])
def test_storage_modes_find_the_same_neighbours_after_rescoring(tiny, tmp_path: Path, storage: str,
                                                                search: str) -> None:  # fmt: skip
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((300, tiny.dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"v{i}" for i in range(300)]
    with Index.create(tmp_path / storage, tiny, storage=storage, search=search, cache=False) as ix:
        ix.add([f"text {i}" for i in range(300)], ids=ids, vectors=vectors)
        queries = vectors[:20] + 0.05 * rng.standard_normal((20, tiny.dimension)).astype(np.float32)
        for q, want in zip(queries, range(20), strict=True):
            hits = ix.search(q, k=3)
            assert hits[0].doc_id == f"v{want}"
            exact = np.sort(vectors @ (q / np.linalg.norm(q)))[::-1][:3]
            # Rescored with float cosine; 8-d binary codes (8 bits) are too coarse to promise more than the top hit.
            top = 1 if storage == "binary" else 3
            assert [h.score for h in hits][:top] == pytest.approx(exact.tolist()[:top], abs=1e-5)
        assert ix.stats()["search"] == search


def test_bad_arguments_are_named(index, tiny, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="appears twice"):
        index.add(["a", "b"], ids=["x", "x"])
    with pytest.raises(InputError, match="dimension 3"):
        index.search(np.ones(3, np.float32))
    with pytest.raises(IndexStoreError, match="already holds an index"):
        Index.create(index.path, tiny)
    with pytest.raises(IndexStoreError, match="holds no index"):
        Index.open(tmp_path / "nothing")
    with pytest.raises(InputError, match="storage 'fp16'"):
        Index.create(tmp_path / "x", tiny, storage="fp16")


def test_minilm_index_is_the_public_name(tiny, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import minilm

    with minilm.Index.create(tmp_path / "ix", tiny, cache=False) as ix:
        assert isinstance(ix, Index) and len(ix) == 0 and ix.search("hello", k=3) == []
