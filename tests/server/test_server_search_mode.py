"""POST /search "mode": lexical and hybrid searches through the server equal Index.search's, with filters and
documents; the refusals name what is wrong."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from minilm.index import Index
from minilm.server import ServerConfig, create_app
from minilm.server.index_access import open_index

DOCS = ["error E4711 in the build cache", "a note on otters", "otters and beavers", "the sunny day"]
META = [{"lang": "en"}, {"lang": "en"}, {"lang": "fr"}, {"lang": "en"}]


def ready(client: TestClient) -> TestClient:
    for _ in range(200):
        if client.get("/health").status_code == 200:
            return client
        time.sleep(0.05)
    raise AssertionError("the server never became ready")


@pytest.fixture
def folder(tiny, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    with Index.create(tmp_path / "ix", tiny, cache=False) as ix:
        ix.add(DOCS, ids=["e", "o", "b", "s"], metadata=META)
    return tmp_path / "ix"


def test_modes_through_the_server_equal_the_library(tiny, folder: Path) -> None:  # type: ignore[no-untyped-def]
    with Index.open(folder, model=tiny) as ix, TestClient(create_app(ServerConfig(), lambda: tiny,
                                                                     open_index(folder))) as client:  # fmt: skip
        ready(client)
        for mode in ("lexical", "hybrid"):
            for body, where in (({}, None), ({"filter": {"lang": "fr"}}, {"lang": "fr"})):
                got = client.post("/search", json={"query": "otters", "k": 3, "mode": mode, **body})
                assert got.status_code == 200, got.text
                want = ix.search("otters", k=3, mode=mode, where=where)
                assert [(h["id"], h["start"], h["end"], h["text"]) for h in got.json()["hits"]] == [
                    (h.doc_id, h.start, h.end, h.text) for h in want
                ]
                assert [h["score"] for h in got.json()["hits"]] == pytest.approx([h.score for h in want], rel=1e-5)
        lexical = client.post("/search", json={"query": "E4711", "mode": "lexical", "include_document": True}).json()
        assert [(h["id"], h["document"]) for h in lexical["hits"]] == [("e", DOCS[0])]
        dense = client.post("/search", json={"query": "otters", "k": 4}).json()["hits"]
        assert [h["id"] for h in dense] == [h.doc_id for h in ix.search("otters", k=4)]  # the default stays dense


def test_mode_refusals(tiny, folder: Path) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(ServerConfig(), lambda: tiny, open_index(folder))) as client:
        ready(client)
        vector = [0.1] * tiny.dimension
        got = client.post("/search", json={"query": vector, "mode": "lexical"})
        assert got.status_code == 400 and "send the query as a text" in got.text
        got = client.post("/search", json={"query": "otters", "mode": "fuzzy"})
        assert got.status_code in (400, 422) and "mode" in got.text


def test_an_index_without_the_lexical_side_is_a_400_naming_the_command(tiny, folder: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    db = sqlite3.connect(folder / "index.sqlite")
    db.executescript("DROP TRIGGER lexical_insert; DROP TRIGGER lexical_delete; DROP TABLE lexical;")
    db.close()
    with TestClient(create_app(ServerConfig(), lambda: tiny, open_index(folder))) as client:
        ready(client)
        got = client.post("/search", json={"query": "otters", "mode": "hybrid"})
        assert got.status_code == 400 and "minilm index reindex-lexical" in got.text
        assert client.post("/search", json={"query": "otters"}).status_code == 200
