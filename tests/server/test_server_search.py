"""POST /search against the small SearchIndex protocol and a real minilm.Index folder, in process and against a
real `minilm serve --index` process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
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


def test_hostile_filters_are_4xx_naming_the_limit(indexed_server) -> None:
    from minilm.index.filters import MAX_FILTER_KEYS

    server, _ = indexed_server
    many = search(server, {"query": "the dog", "filter": {f"f{i}": i for i in range(600)}})
    assert many.status_code == 400, many.text
    assert f"where has 600 fields; a filter takes at most {MAX_FILTER_KEYS}" in many.json()["error"]
    nul = search(server, {"query": "the dog", "filter": {"la\u0000ng": "fr"}})
    assert nul.status_code == 400 and "holds a NUL character" in nul.json()["error"], nul.text
    lone = httpx.post(f"{server.url}/search", content=b'{"query": "the dog", "filter": {"\\ud800": 1}}',
                      headers={"content-type": "application/json"}, timeout=60)  # fmt: skip
    assert 400 <= lone.status_code < 500, lone.text
    quoted = search(server, {"query": "the dog", "filter": {'la"ng': "fr", "lang": "fr"}})
    assert quoted.status_code == 200 and quoted.json()["hits"] == []  # no document has the field 'la"ng'


def _versioned(n: int, version: int) -> str:
    return f"doc{n} version{version} " + f"v{version} " * 30


def test_include_document_is_read_in_the_hits_snapshot_while_a_writer_replaces_it(tmp_path: Path) -> None:
    """A writer replaces and deletes documents while /search include_document runs on a real server: every hit's
    document is the version its window came from (never null, never another version)."""
    from minilm.index import Index

    model_dir = write_tiny_model(tmp_path / "model")
    model = minilm.load(model_dir, engine="numpy")
    ids = [f"d{n}" for n in range(20)]
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((20, model.dimension))
    writer = Index.create(tmp_path / "ix", model, cache=False)
    writer.add([_versioned(n, 0) for n in range(20)], ids=ids, vectors=vectors)
    server = start_server(tmp_path, "--model", str(model_dir), "--index", str(tmp_path / "ix"))
    stop = threading.Event()

    def write() -> None:
        version = 0
        while not stop.is_set():
            version += 1
            writer.add([_versioned(n, version) for n in range(20)], ids=ids, vectors=vectors, replace=True)
            writer.delete(ids[version % 4 :: 4])

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    mixed, seen = [], 0
    try:
        with httpx.Client(timeout=60) as client:
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:
                r = client.post(f"{server.url}/search", json={"query": vectors[0].tolist(), "k": 20,
                                                              "include_document": True})  # fmt: skip
                assert r.status_code == 200, r.text
                for hit in r.json()["hits"]:
                    seen += 1
                    document = hit["document"]
                    if document is None or document[hit["start"] : hit["end"]] != hit["text"]:
                        mixed.append(hit)
    finally:
        stop.set()
        thread.join(30)
        stop_server(server)
        writer.close()
    assert seen > 100 and mixed == [], f"{len(mixed)} of {seen} hits with a document of another version"


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def test_include_document_bytes_are_capped_per_response(tmp_path: Path) -> None:
    """100 documents of 1 MB, k=100, four requests at once: the server's peak RSS grows by far less than the
    documents' size, and the client is told which documents were cut."""
    from minilm.index import Index

    cap = ServerConfig().max_document_bytes
    model_dir = write_tiny_model(tmp_path / "model")
    model = minilm.load(model_dir, engine="numpy")
    with Index.create(tmp_path / "ix", model, chunk=False, cache=False) as ix:  # one window per document
        for start in range(0, 100, 10):
            texts = [f"doc{n} " + "word " * 200_000 for n in range(start, start + 10)]
            ix.add(texts, ids=[f"d{n}" for n in range(start, start + 10)])
    server = start_server(tmp_path, "--model", str(model_dir), "--index", str(tmp_path / "ix"))
    try:
        assert httpx.post(f"{server.url}/search", json={"query": "doc1 word", "k": 3}, timeout=60).status_code == 200
        before = _peak_rss_mb(server.process.pid)
        body = {"query": "doc1 word", "k": 100, "include_document": True}
        results: list[httpx.Response] = []

        def ask() -> None:
            results.append(httpx.post(f"{server.url}/search", json=body, timeout=120))

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        grown = _peak_rss_mb(server.process.pid) - before
    finally:
        stop_server(server)
    assert [r.status_code for r in results] == [200] * 4
    hits = results[0].json()["hits"]
    assert len(hits) == 100 and len(results[0].content) < cap + 2_000_000
    kept = sum(len(h["document"].encode()) for h in hits)
    assert cap - 4 <= kept <= cap
    whole = [h for h in hits if not h["document_truncated"]]
    assert whole and all(len(h["document"]) == 1_000_003 + len(h["id"]) for h in whole)
    assert all(h["document"][h["start"] : h["end"]] == h["text"] for h in whole)
    assert sum(h["document_truncated"] for h in hits) == 100 - len(whole)
    assert grown < 300, f"peak RSS grew by {grown:.0f} MB"


def test_max_document_bytes_flag_sets_the_cap(tmp_path: Path) -> None:
    from minilm.index import Index

    model_dir = write_tiny_model(tmp_path / "model")
    with Index.create(tmp_path / "ix", minilm.load(model_dir, engine="numpy"), cache=False) as ix:
        ix.add(DOCS, ids=[f"d{i}" for i in range(len(DOCS))])
    server = start_server(tmp_path, "--model", str(model_dir), "--index", str(tmp_path / "ix"),
                          "--max-document-bytes", "12")  # fmt: skip
    try:
        hits = search(server, {"query": "the dog", "k": 5, "include_document": True}).json()["hits"]
    finally:
        stop_server(server)
    assert sum(len(h["document"].encode()) for h in hits) == 12 and any(h["document_truncated"] for h in hits)
    whole = [h for h in hits if not h["document_truncated"]]
    assert all(h["document"] == DOCS[int(h["id"][1:])] for h in whole)
