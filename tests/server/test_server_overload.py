"""Under load and faults: queue overflow gives 429 and recovers, a killed client's work is dropped, and a
shutdown lets in-flight requests finish. The real model with one input per engine call (--max-batch-size 1)
and one batch per window keeps the worker busy, and a backlog in the queue, long enough on any machine.
"""

from __future__ import annotations

import concurrent.futures
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.server.serving import Server, start_server, stop_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("slow"), "--max-batch-size", "1", "--window-batches", "1",
                          "--max-inputs", "8", "--max-queue", "8")  # fmt: skip
    yield server
    if server.process.poll() is None:
        stop_server(server)


@pytest.fixture(scope="module")
def long_texts(golden) -> list[str]:  # type: ignore[no-untyped-def]
    """Eight golden texts at the 256-token limit: each engine call takes a while."""
    texts, ids, _ = golden
    return [t for t, i in zip(texts, ids, strict=True) if len(i) == 256][:8]


def queue_depth(server: Server) -> int:
    return int(httpx.get(f"{server.url}/health", timeout=30).json()["queue_depth"])


def wait_for(condition, timeout: float = 300) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_queue_overflow_gives_429_then_recovers(slow_server, long_texts) -> None:
    body = {"model": "m", "input": long_texts}

    def send(_: int) -> httpx.Response:
        return httpx.post(f"{slow_server.url}/v1/embeddings", json=body, timeout=600)

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(send, range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert 200 in statuses and 429 in statuses and set(statuses) == {200, 429}, statuses
    for r in responses:
        if r.status_code == 429:
            assert int(r.headers["retry-after"]) >= 1
            assert r.json()["error"]["type"] == "rate_limit_error" and "busy" in r.json()["error"]["message"]
        else:
            assert len(r.json()["data"]) == 8
    assert slow_server.metric('minilm_rejections_total{reason="queue_full"}') == statuses.count(429)
    wait_for(lambda: queue_depth(slow_server) == 0)
    again = httpx.post(f"{slow_server.url}/v1/embeddings", json={"model": "m", "input": long_texts[:2]}, timeout=600)
    assert again.status_code == 200  # recovered


def test_killed_client_work_is_dropped(slow_server, long_texts) -> None:
    def batches() -> float:
        return slow_server.metric("minilm_batch_size_count")

    before = batches()
    payload = json.dumps({"model": "m", "input": long_texts}).encode()
    host, port = slow_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        wait_for(lambda: batches() > before)  # its first input has been through the engine
    # the client is gone with its other inputs still waiting: they are dropped, not embedded
    wait_for(lambda: slow_server.metric("minilm_dropped_inputs_total") > 0, timeout=120)
    wait_for(lambda: queue_depth(slow_server) == 0)
    # the batch already in the engine when the client left may still finish; then the count must stop moving
    settled, deadline = batches(), time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(1.0)
        if batches() == settled:
            break
        settled = batches()
    assert batches() == settled and settled - before < len(long_texts)
    ok = httpx.post(f"{slow_server.url}/embed", json={"inputs": "still serving"}, timeout=600)
    assert ok.status_code == 200


def test_shutdown_lets_in_flight_requests_finish(slow_server, long_texts) -> None:
    before = slow_server.metric("minilm_batch_size_count")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(httpx.post, f"{slow_server.url}/embed", json={"inputs": long_texts[:4]}, timeout=600)
        wait_for(lambda: slow_server.metric("minilm_batch_size_count") > before)  # in the engine
        slow_server.process.terminate()  # SIGTERM while the request is in flight
        response = pending.result()
    assert response.status_code == 200 and len(response.json()) == 4
    assert slow_server.process.wait(timeout=60) in (0, -15)
    assert "Traceback" not in slow_server.log.read_text()
