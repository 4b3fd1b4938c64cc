"""Bulk shards ingested into an index (Index.add_vectors, `minilm index add --vectors`) search like added texts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm.bulk import encode_files
from minilm.cli.main import main
from minilm.errors import IndexMismatchError, InputError
from minilm.index import Index
from tests.bulk.conftest import corpus, write_jsonl
from tests.conftest import write_tiny_model

QUERIES = ["the cat sat on the mat", "a happy person", "hello world !", "today is a sunny day"]


def short_corpus(n: int) -> list[str]:
    """Texts within the tiny model's 16 tokens, so each is one window both ways."""
    return [" ".join(t.split()[:10]) for t in corpus(n, seed=11)]


def test_ingested_vectors_search_like_added_texts(tiny, tmp_path: Path) -> None:
    texts = short_corpus(300)
    ids = [f"doc-{n}" for n in range(300)]
    source = write_jsonl(tmp_path / "c.jsonl", texts, ids=ids)
    encode_files(source, tmp_path / "vectors", model=tiny, id_field="id", with_text=True, shard_size=70)
    with Index.create(tmp_path / "direct", tiny, cache=False) as direct:
        direct.add(texts, ids=ids)
        expected = direct.search(QUERIES, k=10)
    with Index.create(tmp_path / "ingested", tiny, cache=False) as ingested:
        done = ingested.add_vectors(tmp_path / "vectors")
        assert (done.added, done.replaced, done.chunks) == (300, 0, 300)
        got = ingested.search(QUERIES, k=10)
        assert ingested.get("doc-7") == (texts[7], {})
    for want, have in zip(expected, got, strict=True):
        assert [h.doc_id for h in have] == [h.doc_id for h in want]
        assert np.allclose([h.score for h in have], [h.score for h in want], atol=1e-6)
        assert [h.text for h in have] == [texts[int(h.doc_id[4:])] for h in have]


def test_cli_index_add_vectors(tiny_dir: Path, tiny, tmp_path: Path, capsys) -> None:
    texts = short_corpus(40)
    source = write_jsonl(tmp_path / "c.jsonl", texts)
    encode_files(source, tmp_path / "vectors", model=tiny, with_text=True, shard_size=15)
    assert main(["index", "create", str(tmp_path / "ix"), "-m", str(tiny_dir)]) == 0
    capsys.readouterr()
    assert main(["index", "add", str(tmp_path / "ix"), "--vectors", str(tmp_path / "vectors")]) == 0
    assert capsys.readouterr().err == f"added 40, replaced 0, unchanged 0 documents from {tmp_path / 'vectors'} " \
                                      "(no embedding)\n"  # fmt: skip
    with Index.open(tmp_path / "ix") as index:
        assert len(index) == 40 and index.get("3") == (texts[3], {})


def test_ingest_refuses_what_the_index_cannot_take(tiny, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", short_corpus(20))
    other = minilm.load(write_tiny_model(tmp_path / "other", seed=1), engine="numpy")
    encode_files(source, tmp_path / "other_model", model=other, with_text=True)
    encode_files(source, tmp_path / "int8", model=tiny, with_text=True, precision="int8")
    encode_files(source, tmp_path / "no_text", model=tiny)
    with Index.create(tmp_path / "ix", tiny, cache=False) as index:
        with pytest.raises(IndexMismatchError, match=r"encoded by .*other .*: its vectors would not be comparable"):
            index.add_vectors(tmp_path / "other_model")
        with pytest.raises(InputError, match="holds int8 vectors; the index takes float32 vectors only"):
            index.add_vectors(tmp_path / "int8")
        with pytest.raises(InputError, match="encoded without --with-text"):
            index.add_vectors(tmp_path / "no_text")
        with pytest.raises(InputError, match="holds no manifest.json"):
            index.add_vectors(tmp_path)
        assert len(index) == 0
