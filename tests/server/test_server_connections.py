"""Slow and idle clients against a real server with short timeouts: each is cut off within its bound.

A client trickling its headers or body one byte per 0.5 s used to hold its connection for ever.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import write_tiny_model
from tests.server.serving import Server, start_server, stop_server

HEADER_S, BODY_S, KEEP_ALIVE_S, MAX_CONNECTIONS = 2.0, 2.0, 1.0, 6
SLACK_S = 3.0  # a loaded 2-core machine: the event loop may answer late, never much later


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("strict")
    model = write_tiny_model(tmp / "model")
    server = start_server(tmp, "--model", str(model), "--header-timeout", str(HEADER_S), "--body-timeout",
                          str(BODY_S), "--keep-alive", str(KEEP_ALIVE_S), "--max-connections",
                          str(MAX_CONNECTIONS))  # fmt: skip
    yield server
    stop_server(server)


def connect(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    return sock


def trickle(sock: socket.socket, data: bytes, interval: float, limit_s: float) -> tuple[bytes, float]:
    """Send `data` one byte per `interval` until the server answers or closes; (what it sent, seconds taken)."""
    started = time.monotonic()
    sock.settimeout(interval)
    received = b""
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except OSError:  # closed by the server
            break
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not chunk:
            break
        received += chunk
        if time.monotonic() - started > limit_s:
            break
    sock.settimeout(5)
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except OSError:
        pass
    return received, time.monotonic() - started


def test_trickled_headers_get_408_within_the_header_timeout(strict_server) -> None:
    head = b"POST /embed HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 15\r\n" * 4
    with connect(strict_server) as sock:
        received, took = trickle(sock, head, 0.5, limit_s=HEADER_S + 30)
    assert received.startswith(b"HTTP/1.1 408"), received
    assert b"--header-timeout" in received
    assert HEADER_S - 0.5 <= took <= HEADER_S + SLACK_S


def test_trickled_body_gets_408_within_the_body_timeout(strict_server) -> None:
    body = b'{"inputs": "' + b"a" * 200 + b'"}'
    head = b"POST /embed HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(
        body
    )
    with connect(strict_server) as sock:
        sock.sendall(head)
        received, took = trickle(sock, body, 0.5, limit_s=BODY_S + 30)
    assert received.startswith(b"HTTP/1.1 408"), received
    assert b"did not arrive within 2 s (--body-timeout)" in received
    assert BODY_S - 0.5 <= took <= BODY_S + SLACK_S


def test_silent_and_idle_connections_are_closed(strict_server) -> None:
    with connect(strict_server) as sock:  # connects, never sends a byte
        started = time.monotonic()
        sock.settimeout(HEADER_S + 30)
        received = sock.recv(65536)
        assert received.startswith(b"HTTP/1.1 408") and time.monotonic() - started <= HEADER_S + SLACK_S
    with connect(strict_server) as sock:  # one request, then idle: the keep-alive timeout closes it
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(KEEP_ALIVE_S + 30)
        started, received = time.monotonic(), b""
        while chunk := sock.recv(65536):
            received += chunk
        assert received.startswith(b"HTTP/1.1 200") and time.monotonic() - started <= KEEP_ALIVE_S + SLACK_S


def test_an_endless_request_head_gets_431(strict_server) -> None:
    """httptools alone reads headers without limit: 50 MB of them used to be accepted."""
    sent = 0
    with connect(strict_server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        try:
            while sent < 50_000_000:
                sock.sendall(b"X-Pad: " + b"a" * 9000 + b"\r\n")
                sent += 9009
        except OSError:  # reset by the server
            pass
        sock.settimeout(10)
        try:
            received = sock.recv(65536)
        except OSError:
            received = b""
    assert sent < 5_000_000
    assert received == b"" or received.startswith(b"HTTP/1.1 431"), received


def test_connections_past_the_cap_get_503(strict_server) -> None:
    held = [connect(strict_server) for _ in range(MAX_CONNECTIONS)]
    try:
        r = httpx.get(f"{strict_server.url}/health", timeout=30)
        assert r.status_code == 503
    finally:
        for sock in held:
            sock.close()
    for _ in range(50):  # the held connections' slots come back once the server sees them closed
        if httpx.get(f"{strict_server.url}/health", timeout=30).status_code == 200:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the server did not recover after the held connections closed")


def test_normal_clients_are_unaffected(strict_server) -> None:
    with httpx.Client(base_url=strict_server.url, timeout=30) as client:
        for _ in range(3):
            assert client.post("/embed", json={"inputs": ["the cat sat", "a dog"]}).status_code == 200
