"""POST /search against the small SearchIndex protocol and a real minilm.Index folder, in process and against a
real `minilm serve --index` process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

import minilm
from minilm.server import ServerConfig, create_app
from minilm.server.index_access import SearchIndex
from tests.conftest import write_tiny_model
from tests.server.serving import Server, start_server, stop_server


@dataclass
class Hit:
    id: str
    score: float
    text: str


class BruteForce:
    """A tiny exact index: every text's vector; search is a dot product and an optional filter on "lang"."""

    def __init__(self, model: minilm.Encoder, texts: list[str], langs: list[str]):
        self.texts, self.langs = texts, langs
        self.vectors = model.encode(texts)
        self.queries: list[np.ndarray] = []

    def search(self, query: np.ndarray, k: int, filter: Mapping[str, Any] | None = None) -> list[Any]:
        self.queries.append(query)
        scores = self.vectors @ query
        keep = [i for i in np.argsort(-scores) if not filter or self.langs[i] == filter.get("lang")]
        hits: list[Any] = [Hit(str(i), float(scores[i]), self.texts[i]) for i in keep[:k]]
        if hits:
            hits[-1] = {"id": hits[-1].id, "score": hits[-1].score, "metadata": {"lang": self.langs[int(hits[-1].id)]}}
        return hits


@pytest.fixture
def index(tiny) -> BruteForce:  # type: ignore[no-untyped-def]
    return BruteForce(tiny, ["the cat sat on the mat", "a dog", "today is a sunny day", "hello world"],
                      ["en", "en", "fr", "en"])  # fmt: skip


def wait_ready(client: TestClient) -> None:
    for _ in range(200):
        if client.get("/health").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(client.get("/health").text)


def test_search_by_text_and_by_vector(tiny, index) -> None:
    assert isinstance(index, SearchIndex)
    with TestClient(create_app(ServerConfig(), lambda: tiny, index)) as client:
        wait_ready(client)
        r = client.post("/search", json={"query": "the cat sat on the mat", "k": 2})
        assert r.status_code == 200, r.text
        hits = r.json()["hits"]
        assert hits[0]["id"] == "0" and hits[0]["text"] == "the cat sat on the mat" and len(hits) == 2
        np.testing.assert_allclose(index.queries[-1], tiny.encode("the cat sat on the mat"), atol=1e-6)
        assert hits[1]["metadata"] == {"lang": index.langs[int(hits[1]["id"])]}
        vector = tiny.encode("today is a sunny day").tolist()
        r = client.post("/search", json={"query": vector, "k": 3, "filter": {"lang": "fr"}})
        assert [h["id"] for h in r.json()["hits"]] == ["2"]
        bad = client.post("/search", json={"query": [1.0, 2.0], "k": 3})
        assert bad.status_code == 400 and "has 2 values, expected 8" in bad.json()["error"]
        assert client.post("/search", json={"query": "a", "k": 0}).status_code == 422


def test_without_an_index_search_is_404_naming_the_flag(tiny) -> None:
    with TestClient(create_app(ServerConfig(), lambda: tiny)) as client:
        wait_ready(client)
        r = client.post("/search", json={"query": "a cat"})
        assert r.status_code == 404 and "--index DIR" in r.json()["error"]


def test_health_is_503_until_loaded_and_after_a_failed_load(tiny) -> None:
    release = threading.Event()

    def slow_loader() -> minilm.Encoder:
        release.wait(30)
        return tiny

    with TestClient(create_app(ServerConfig(), slow_loader)) as client:
        loading = client.get("/health")
        assert loading.status_code == 503 and loading.json()["status"] == "loading"
        early = client.post("/v1/embeddings", json={"model": "m", "input": "a"})
        assert early.status_code == 503 and early.headers["retry-after"] == "1"
        release.set()
        wait_ready(client)

    def broken_loader() -> minilm.Encoder:
        raise minilm.ModelNotFoundError("no such model")

    with TestClient(create_app(ServerConfig(), broken_loader)) as client:
        for _ in range(100):
            if client.get("/health").json()["status"] == "failed":
                break
            time.sleep(0.05)
        failed = client.get("/health")
        assert failed.status_code == 503 and "no such model" in failed.json()["detail"]
        assert "no such model" in client.post("/embed", json={"inputs": "a"}).json()["error"]


def test_search_on_a_real_index_folder(tiny, tmp_path) -> None:
    """`minilm serve --index DIR` opens a minilm.Index read-only; hits carry the document id and span."""
    from minilm.index import Index
    from minilm.server.index_access import open_index

    docs = ["the cat sat on the mat", "a dog", "today is a sunny day"]
    with Index.create(tmp_path / "ix", tiny, cache=False) as ix:
        ix.add(docs, ids=["c", "d", "s"], metadata=[{"lang": "en"}, {"lang": "en"}, {"lang": "fr"}])
    with TestClient(create_app(ServerConfig(), lambda: tiny, open_index(tmp_path / "ix"))) as client:
        wait_ready(client)
        hits = client.post("/search", json={"query": "a dog", "k": 2}).json()["hits"]
        assert hits[0]["id"] == "d" and hits[0]["text"] == "a dog"
        assert (hits[0]["start"], hits[0]["end"]) == (0, len("a dog"))
        assert hits[0]["score"] == pytest.approx(1.0, abs=1e-5)
        only_fr = client.post("/search", json={"query": "a dog", "k": 3, "filter": {"lang": "fr"}}).json()["hits"]
        assert [h["id"] for h in only_fr] == ["s"]


@pytest.fixture(scope="module")
def indexed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, minilm.Encoder]]:
    """A real `minilm serve --index DIR` process over a small index of the tiny model."""
    from minilm.index import Index

    tmp = tmp_path_factory.mktemp("indexed")
    model_dir = write_tiny_model(tmp / "model")
    model = minilm.load(model_dir, engine="numpy")
    with Index.create(tmp / "ix", model, cache=False) as ix:
        ix.add(DOCS, ids=[f"d{i}" for i in range(len(DOCS))], metadata=[{"lang": lang} for lang in LANGS])
    server = start_server(tmp, "--model", str(model_dir), "--index", str(tmp / "ix"))
    yield server, model
    stop_server(server)


DOCS = ["the cat sat on the mat", "a dog", "today is a sunny day", "hello world", "the dog sat"]
LANGS = ["en", "en", "fr", "en", "fr"]


def search(server: Server, body: object) -> httpx.Response:
    return httpx.post(f"{server.url}/search", json=body, timeout=60)


@pytest.mark.parametrize("scale", [1e20, 1e-20, 1e300, 3.0])
def test_a_scaled_query_vector_finds_what_the_unit_vector_finds(indexed_server, scale: float) -> None:
    server, model = indexed_server
    unit = model.encode("the dog").astype(np.float64)
    expected = search(server, {"query": unit.tolist(), "k": 5}).json()["hits"]
    got = search(server, {"query": (unit * scale).tolist(), "k": 5})
    assert got.status_code == 200, got.text
    assert [h["id"] for h in got.json()["hits"]] == [h["id"] for h in expected]
    np.testing.assert_allclose([h["score"] for h in got.json()["hits"]], [h["score"] for h in expected], atol=1e-6)
    assert expected[0]["score"] > 0.5  # real cosines, not zeros


@pytest.mark.parametrize(
    ("query", "says"),
    [("[" + ", ".join(["0"] * 8) + "]", "all zeros"), ("[" + ", ".join(["Infinity"] + ["1"] * 7) + "]", "non-finite"),
     ("[" + ", ".join(["1e400"] * 8) + "]", "non-finite"), ("[1, 2]", "has 2 values, expected 8")],
)  # fmt: skip
def test_degenerate_query_vectors_are_400(indexed_server, query: str, says: str) -> None:
    server, _ = indexed_server
    r = httpx.post(
        f"{server.url}/search", content=f'{{"query": {query}}}', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400, r.text
    assert says in r.json()["error"]


def test_filters_are_applied_or_refused_never_ignored(indexed_server) -> None:
    server, _ = indexed_server
    only_fr = search(server, {"query": "the dog", "k": 5, "filter": {"lang": "fr"}}).json()["hits"]
    assert sorted(h["id"] for h in only_fr) == ["d2", "d4"]
    typo = search(server, {"query": "the dog", "k": 5, "where": {"lang": "fr"}})
    assert typo.status_code == 422 and "body.where: unknown field" in typo.json()["error"]
    for value in (["fr"], {"$eq": "fr"}, None):
        refused = search(server, {"query": "the dog", "k": 5, "filter": {"lang": value}})
        assert refused.status_code == 422 and "filter.lang is" in refused.json()["error"], refused.text
