"""API keys and CORS on a server started with $MINILM_API_KEYS and --cors-origin."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.conftest import write_tiny_model
from tests.server.serving import Server, start_server, stop_server

ORIGIN = "https://app.example"


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("keyed")
    model = write_tiny_model(tmp / "model")
    server = start_server(tmp, "--model", str(model), "--cors-origin", ORIGIN,
                          env={"MINILM_API_KEYS": "k-one, k-two"})  # fmt: skip
    yield server
    assert stop_server(server) in (0, -15)  # uvicorn re-raises SIGTERM after its graceful shutdown


def test_requests_need_one_of_the_keys(keyed_server) -> None:
    url = f"{keyed_server.url}/v1/embeddings"
    body = {"model": "m", "input": "the cat"}
    assert httpx.post(url, json=body).status_code == 401
    wrong = httpx.post(url, json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    assert httpx.post(url, json=body, headers={"Authorization": "Bearer k-two"}).status_code == 200
    with openai.OpenAI(base_url=f"{keyed_server.url}/v1", api_key="k-one", max_retries=0) as client:
        assert len(client.embeddings.create(model="m", input="the cat").data[0].embedding) == 8
    bad = openai.OpenAI(base_url=f"{keyed_server.url}/v1", api_key="bad", max_retries=0)
    with bad, pytest.raises(openai.AuthenticationError):
        bad.embeddings.create(model="m", input="the cat")


def test_ready_line_says_keys_are_required(keyed_server) -> None:
    assert f"ready on {keyed_server.url}: " in keyed_server.log.read_text()
    assert "2 workers, API keys required (2 accepted)" in keyed_server.log.read_text()


def test_health_and_metrics_stay_open(keyed_server) -> None:
    assert httpx.get(f"{keyed_server.url}/health").status_code == 200
    assert httpx.get(f"{keyed_server.url}/metrics").status_code == 200
    for path in ("/", "/ping", "/health"):  # the probes, GET and HEAD
        assert httpx.get(f"{keyed_server.url}{path}").status_code == 200
        assert httpx.head(f"{keyed_server.url}{path}").status_code == 200


def test_tei_root_route_needs_a_key_although_its_health_probe_does_not(keyed_server) -> None:
    assert httpx.post(f"{keyed_server.url}/", json={"inputs": "the cat"}).status_code == 401
    assert httpx.post(f"{keyed_server.url}/invocations", json={"inputs": "the cat"}).status_code == 401
    assert httpx.get(f"{keyed_server.url}/info").status_code == 401
    keyed = httpx.post(f"{keyed_server.url}/", json={"inputs": "the cat"}, headers={"Authorization": "Bearer k-one"})
    assert keyed.status_code == 200 and len(keyed.json()[0]) == 8


def test_cors_preflight_and_allowed_origin(keyed_server) -> None:
    pre = httpx.options(f"{keyed_server.url}/embed", headers={"Origin": ORIGIN, "Access-Control-Request-Method":
                        "POST", "Access-Control-Request-Headers": "authorization,content-type"})  # fmt: skip
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == ORIGIN
    other = httpx.options(f"{keyed_server.url}/embed", headers={"Origin": "https://evil.example",
                          "Access-Control-Request-Method": "POST"})  # fmt: skip
    assert other.status_code == 400
