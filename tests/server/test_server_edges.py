"""Hostile and careless requests at the server's edges, against a real `minilm serve` process (tiny model).

Each test is one case of the hostile-input pass: per-request work and memory of /tokenize, echoed input in
error messages, the API key file's format, framing of the pages, the request-head limit and Content-Encoding.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import write_tiny_model
from tests.server.serving import Server, start_server, stop_server

KEYS = ("\ufeffk-first   # the team's key\n# a comment line\n\n  k-second#no space before the comment\n"
        "k-plain\n")  # fmt: skip
AUTH = {"Authorization": "Bearer k-plain"}
EMBED_ALL_LIMIT = 40  # tokens per /embed_all request on this server (the tiny model reads at most 16 per text)
RSS_ALLOWANCE_MB = 300


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The tiny model with the default limits (8 MiB bodies, 100,000 characters per text), a key file written
    with a BOM and inline comments, and a small /embed_all cap."""
    tmp = tmp_path_factory.mktemp("edges")
    model = write_tiny_model(tmp / "model")
    keys = tmp / "keys.txt"
    keys.write_bytes(KEYS.encode("utf-8"))
    server = start_server(tmp, "--model", str(model), "--api-key-file", str(keys), "--max-embed-all-tokens",
                          str(EMBED_ALL_LIMIT))  # fmt: skip
    yield server
    stop_server(server)


def post(server: Server, path: str, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
    headers = {**AUTH, **kwargs.pop("headers", {})}
    return httpx.post(f"{server.url}{path}", headers=headers, timeout=120, **kwargs)


def memory_mb(server: Server, field: str) -> float:
    """VmRSS / VmHWM (peak) of the server process, in MB."""
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} in /proc/{server.process.pid}/status")


# -- 1: /tokenize costs bounded work and memory, and /health keeps answering ----------------------------------
def test_tokenize_is_capped_in_tokens_and_memory_and_health_keeps_answering(edge_server: Server) -> None:
    """27 inputs of 99,999 "中" (8.1 MB, inside the body and per-input caps) used to return a 183 MB body after
    12.5 s with a peak RSS of 2.1 GB per request, built on the event loop. Now: a 413 once the request passes
    --max-tokenize-tokens (131,072 by default), a request at the cap answered, and 4 of each at once keep the
    process' peak within RSS_ALLOWANCE_MB of its resident size when ready. The tiny model weighs almost nothing,
    so the ready process' RSS (interpreter, FastAPI, tokenizer, weights) stands in for the model's footprint."""
    ready_rss = memory_mb(edge_server, "VmRSS")
    flood = ["中" * 99_999] * 27
    at_cap = ["中" * 99_999]  # 100,001 tokens with [CLS] and [SEP]
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            started = time.monotonic()
            assert httpx.get(f"{edge_server.url}/health", timeout=30).status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            big = [pool.submit(post, edge_server, "/tokenize", json={"inputs": flood}) for _ in range(4)]
            fits = [pool.submit(post, edge_server, "/tokenize", json={"inputs": at_cap}) for _ in range(4)]
            refused, answered = [f.result() for f in big], [f.result() for f in fits]
    finally:
        done.set()
        prober.join()
    for r in refused:
        assert r.status_code == 413, r.text[:300]
        assert r.json()["error"].startswith("the inputs have over 131,072 tokens (at least ")
        assert "--max-tokenize-tokens" in r.json()["error"]
    for r in answered:
        assert r.status_code == 200, r.text[:300]
        tokens = r.json()[0]
        assert len(tokens) == 100_001 and tokens[0]["special"] and tokens[-1]["special"]
        assert tokens[1]["start"] == 0 and tokens[-2]["stop"] == 99_999
    peak = memory_mb(edge_server, "VmHWM")
    assert peak < ready_rss + RSS_ALLOWANCE_MB, f"peak RSS {peak:.0f} MB, ready RSS {ready_rss:.0f} MB"
    assert latencies and max(latencies) < 2.0, f"/health took up to {max(latencies):.2f} s"


def test_tokenize_body_is_tei_shaped(edge_server: Server) -> None:
    r = post(edge_server, "/tokenize", json={"inputs": ["the cat", 'a "b"'], "add_special_tokens": False})
    assert r.status_code == 200, r.text
    first, second = r.json()
    assert [t["text"] for t in first] == ["the", "cat"]
    assert first[1] == {"id": first[1]["id"], "text": "cat", "special": False, "start": 4, "stop": 7}
    assert "".join(t["text"] for t in second) == 'a"b"'


# -- 4: error messages never echo a client's value whole --------------------------------------------------------
BIG = "x" * 7_000_000


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/embed", {"inputs": "a", BIG: 1}, 422),  # an unknown field named by 7 MB
        ("/embed", {"inputs": "a", "truncation_direction": BIG}, 422),
        ("/embed", {"inputs": "a", "prompt_name": BIG}, 422),
        ("/v1/embeddings", {"model": "m", "input": "a", "encoding_format": BIG}, 422),  # named by the choices
        ("/v1/embeddings", {"model": "m", "input": "a", BIG: 1}, 422),
        ("/search", {"query": "a", "filter": {BIG: [1]}}, 422),
        ("/similarity", {"inputs": {"source_sentence": "a", "sentences": ["b"], BIG: 1}}, 422),
    ],
    ids=[
        "unknown-field",
        "truncation-direction",
        "prompt-name",
        "encoding-format",
        "openai-unknown-field",
        "filter-key",
        "nested-unknown-field",
    ],
)
def test_errors_show_a_7_mb_value_cut(edge_server: Server, path: str, body: object, status: int) -> None:
    r = post(edge_server, path, json=body)
    assert r.status_code == status, r.text[:300]
    assert len(r.content) < 4_000, f"{len(r.content):,} bytes of error"
    if "encoding_format" not in body:  # type: ignore[operator]
        assert "xxxx" in r.text and "7,000,000" in r.text  # the value is shown cut, with its length


def test_a_long_content_type_is_shown_cut(edge_server: Server) -> None:
    r = post(edge_server, "/embed", content=b'{"inputs": "a"}', headers={"content-type": "text/" + "y" * 60_000})
    assert r.status_code == 415 and len(r.content) < 2_000 and "60,005" in r.text, r.text[:300]


# -- 7: the API key file: a BOM and inline comments ---------------------------------------------------------------
def test_key_file_with_a_bom_and_inline_comments(edge_server: Server) -> None:
    body = {"model": "m", "input": "a cat"}
    for key in ("k-first", "k-second"):
        r = httpx.post(f"{edge_server.url}/v1/embeddings", json=body, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, (key, r.text)
    for wrong in ("\ufeffk-first", "k-first   # the team's key", "k-second#no", "#"):
        headers = {"Authorization": f"Bearer {wrong}".encode()}
        assert httpx.post(f"{edge_server.url}/v1/embeddings", json=body, headers=headers).status_code == 401


# -- 17: no page can be framed by another site ---------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/ui", "/ui/app.js", "/docs", "/redoc", "/health", "/openapi.json"])
def test_no_page_can_be_framed(edge_server: Server, path: str) -> None:
    r = httpx.get(f"{edge_server.url}{path}", timeout=30)
    assert r.status_code == 200
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    if path == "/ui":
        assert "script-src 'self'" in r.headers["content-security-policy"]  # the page's own policy is kept


# -- 18: the 64 KiB request-head limit, however the head arrives ----------------------------------------------
def raw_request(server: Server, head: bytes, body: bytes = b"") -> bytes:
    """Send a whole request in one write; everything the server answers until it closes or goes quiet."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize(("filler", "status"), [(120 * 1024, b"431"), (60 * 1024, b"200")])
def test_a_head_over_64_kib_in_one_write_is_431(edge_server: Server, filler: int, status: bytes) -> None:
    body = b'{"inputs": "a cat"}'
    head = b"POST /embed HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k-plain\r\nContent-Type: application/json\r\n"
    head += b"X-Filler: " + b"f" * filler + b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    answer = raw_request(edge_server, head, body)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:300]
    if status == b"431":
        assert b"65536 bytes" in answer


# -- 19: every Content-Encoding header and value is checked ---------------------------------------------------
@pytest.mark.parametrize(
    ("encodings", "status"),
    [
        (["gzip", "identity"], 415),
        (["identity", "gzip"], 415),
        (["gzip, identity"], 415),
        (["identity, br"], 415),
        (["identity"], 200),
        (["identity", "identity"], 200),
    ],
)
def test_every_content_encoding_is_checked(edge_server: Server, encodings: list[str], status: int) -> None:
    headers = [("authorization", "Bearer k-plain"), ("content-type", "application/json")]
    headers += [("content-encoding", e) for e in encodings]
    r = httpx.post(f"{edge_server.url}/embed", content=b'{"inputs": "a"}', headers=headers, timeout=30)
    assert r.status_code == status, r.text


# -- TEI /embed_all's cap -------------------------------------------------------------------------------------
def test_embed_all_is_capped_in_tokens(edge_server: Server) -> None:
    fits = post(edge_server, "/embed_all", json={"inputs": ["a cat sat", "the dog"]})
    assert fits.status_code == 200, fits.text
    assert [len(t) for t in fits.json()] == [5, 4]  # [CLS] a cat sat [SEP], [CLS] the dog [SEP]
    over = post(edge_server, "/embed_all", json={"inputs": ["a cat sat on the mat today"] * 8})
    assert over.status_code == 413 and "--max-embed-all-tokens" in over.json()["error"], over.text


# -- 8 (the server's side): a library error from a route is a 4xx, never a 500 --------------------------------
@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("IndexStoreError", 400),
        ("IndexCorruptError", 400),
        ("IndexLockedError", 409),
        ("TooLongError", 413),
        ("MinilmError", 400),
        ("InputError", 400),
    ],
)
def test_a_library_error_in_a_route_is_a_4xx(tiny_dir: Path, error: str, status: int) -> None:
    """In process (a route raising each MinilmError kind on purpose; no real route raises all of them)."""
    from starlette.testclient import TestClient

    import minilm
    import minilm.errors
    from minilm.server import ServerConfig, create_app

    app = create_app(ServerConfig(), lambda: minilm.load(tiny_dir, engine="numpy"))
    kind = getattr(minilm.errors, error)

    @app.post("/v1/raises")
    async def raises() -> None:
        raise kind(f"{error} from the library: " + "k" * 5_000)

    with TestClient(app) as client:
        r = client.post("/v1/raises")
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"].startswith(f"{error} from the library")
    assert len(r.content) < 2_500  # a long message is cut where every error body is made
