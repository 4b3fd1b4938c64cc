"""Bad requests get 4xx JSON errors that say what was wrong, never a 500 (tiny model server, small limits)."""

from __future__ import annotations

import gzip

import httpx
import pytest


def post(server, path: str, **kwargs):  # type: ignore[no-untyped-def]
    response = httpx.post(f"{server.url}{path}", timeout=60, **kwargs)
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response


def openai_message(response: httpx.Response) -> str:
    return str(response.json()["error"]["message"])


def test_valid_requests_work(tiny_server) -> None:
    r = post(tiny_server, "/v1/embeddings", json={"model": "m", "input": ["the cat sat", "a dog"], "dimensions": 8})
    assert r.status_code == 200, r.text
    assert [len(d["embedding"]) for d in r.json()["data"]] == [8, 8]
    assert post(tiny_server, "/embed", json={"inputs": "hello world"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b'{"model": "m", "input": ["a"', 400, "not valid JSON"),
        (b'{"model": "m", "input": "\xff\xfe"}', 400, "UTF-8"),
        (b'{"model": "m", "input": "\\ud800"}', 400, "not valid Unicode"),
        (b'{"model": "m", "input": []}', 400, "empty list"),
        (b'{"model": "m", "input": 5}', 422, "input is int"),
        (b'{"model": "m", "input": ["a", 3]}', 422, "input 1 is int, expected str"),
        (b'{"model": "m", "input": [[1, 2], [3, "x"]]}', 422, "input 1 holds str"),
        (b'{"model": "m", "input": [[2, 5, 3], [2, 999999, 3]]}', 400, "input 1 holds token id 999999"),
        (b'{"model": "m", "input": [2, 5, 3], "user": "u", "dimensions": 8}', 200, ""),
        (b'{"model": "m", "input": "a", "dimension": 8}', 422, "body.dimension: unknown field"),
        (b'{"input": "a"}', 422, "model"),
        (b'{"model": "m", "input": "a", "encoding_format": "hex"}', 422, "encoding_format"),
        (b'{"model": "m", "input": "a", "dimensions": 512}', 400, "dimensions is 512"),
        (b"[1, 2, 3]", 422, "body"),
        (b"null", 422, "body"),
        (b"", 422, "body"),
    ],
)
def test_openai_route_rejects_bad_bodies(tiny_server, body: bytes, status: int, says: str) -> None:
    r = post(tiny_server, "/v1/embeddings", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    if status >= 400:
        assert says in openai_message(r)
        assert r.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("/embed", {"inputs": []}, 400, "empty list"),
        ("/embed", {"inputs": [None]}, 422, "inputs 0 is null"),
        ("/embed", {"inputs": "a", "normalize": "yes"}, 422, "normalize"),
        ("/tokenize", {"inputs": {"a": 1}}, 422, "inputs is dict"),
        ("/similarity", {}, 400, "exactly one of"),
        ("/similarity", {"pairs": [["a"]]}, 422, "pairs"),
        ("/similarity", {"inputs": {"source_sentence": "a", "sentences": []}}, 422, "sentences"),
        ("/search", {"query": "a cat"}, 404, "--index"),
        # unknown fields and options that are not implemented: 422 naming the field, never ignored
        ("/embed", {"inputs": "a", "normalise": False}, 422, "body.normalise: unknown field"),
        (
            "/embed",
            {"inputs": "a", "truncation_direction": "left"},
            422,
            "truncation_direction 'left' is not supported",
        ),
        ("/embed", {"inputs": "a", "prompt_name": "query"}, 422, "prompt_name 'query' is not supported"),
        ("/embed", {"inputs": "a", "dimensions": 9}, 400, "dimensions is 9, but this model gives 1 ... 8"),
        ("/embed", {"inputs": "a", "dimensions": 0}, 400, "dimensions is 0"),
        ("/embed", {"inputs": "a", "dimensions": 4}, 200, ""),
        ("/tokenize", {"inputs": "a", "prompt_name": "query"}, 422, "prompt_name"),
        (
            "/similarity",
            {"inputs": {"source_sentence": "a", "sentences": ["b"]}, "parameters": {"top_k": 1}},
            422,
            "body.parameters.top_k: unknown field",
        ),
        ("/search", {"query": "a cat", "where": {"lang": "en"}}, 422, "body.where: unknown field"),
        ("/search", {"query": "a cat", "filter": {"lang": ["en"]}}, 422, "filter.lang is list"),
        ("/search", {"query": "a cat", "filter": {"lang": {"$ne": "en"}}}, 422, "filter.lang is dict"),
        ("/", {"inputs": "a", "truncation_direction": "Left"}, 422, "body.truncation_direction: truncation_direction"),
        # what TEI and huggingface_hub send that is implemented is accepted
        ("/embed", {"inputs": "a", "truncation_direction": "right", "prompt_name": None, "truncate": None}, 200, ""),
        ("/similarity", {"inputs": {"source_sentence": "a", "sentences": ["b"]}, "parameters": {}}, 200, ""),
    ],
)
def test_tei_routes_reject_bad_bodies(tiny_server, path: str, body: object, status: int, says: str) -> None:
    r = post(tiny_server, path, json=body)
    assert r.status_code == status, r.text
    if status >= 400:
        assert says in r.json()["error"] and r.json()["error_type"]


def test_truncate_false_names_the_long_input_and_its_token_count(tiny_server) -> None:
    long = " ".join(["the cat sat on the mat"] * 5)  # 30 word pieces + [CLS]/[SEP], over the limit of 16
    r = post(tiny_server, "/embed", json={"inputs": ["a dog", long], "truncate": False})
    assert r.status_code == 413, r.text
    assert "inputs 1 has 32 tokens, over the model's limit of 16" in r.json()["error"]
    assert post(tiny_server, "/embed", json={"inputs": ["a dog", long]}).status_code == 200  # truncate: true


def test_usage_counts_tokens_after_truncation(tiny_server) -> None:
    long = " ".join(["the cat sat on the mat"] * 5)
    r = post(tiny_server, "/v1/embeddings", json={"model": "m", "input": ["the cat", long]})
    assert r.json()["usage"] == {"prompt_tokens": 4 + 16, "total_tokens": 4 + 16}


def test_too_many_inputs_is_413(tiny_server) -> None:
    r = post(tiny_server, "/v1/embeddings", json={"model": "m", "input": ["a"] * 9})
    assert r.status_code == 413
    assert "9 items, over the limit of 8" in openai_message(r)


def test_oversized_body_is_413_declared_or_chunked(tiny_server) -> None:
    big = {"model": "m", "input": "cat " * 2000}  # ~8 KB, over --max-payload 4096
    r = post(tiny_server, "/v1/embeddings", json=big)
    assert r.status_code == 413 and "over the limit of 4096 bytes" in openai_message(r)

    def chunks():  # no Content-Length: httpx sends it chunked
        for _ in range(100):
            yield b" " * 100

    r = post(tiny_server, "/embed", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "4096" in r.json()["error"]
    assert tiny_server.metric("minilm_rejections_total") >= 2


def test_unknown_route_and_wrong_method_are_json(tiny_server) -> None:
    r = httpx.get(f"{tiny_server.url}/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found_error"
    r = httpx.get(f"{tiny_server.url}/embed")
    assert r.status_code == 405 and r.json()["error"]


def test_health_models_metrics_docs(tiny_server) -> None:
    health = httpx.get(f"{tiny_server.url}/health").json()
    assert health["status"] == "ok" and health["dimension"] == 8 and health["engine"] == "numpy"
    assert httpx.get(f"{tiny_server.url}/v1/models").json()["data"][0]["object"] == "model"
    metrics = httpx.get(f"{tiny_server.url}/metrics").text
    names = ["minilm_requests_total", "minilm_inputs_total", "minilm_tokens_total", "minilm_batch_size",
             "minilm_queue_depth", "minilm_request_seconds", "minilm_rejections_total", "minilm_ready 1.0"]  # fmt: skip
    assert all(name in metrics for name in names)
    paths = httpx.get(f"{tiny_server.url}/openapi.json").json()["paths"]
    assert {"/v1/embeddings", "/v1/models", "/embed", "/tokenize", "/similarity", "/search", "/health"} <= set(paths)
    assert httpx.get(f"{tiny_server.url}/docs").status_code == 200


def test_tokenize_names_a_lone_surrogate(tiny_server) -> None:
    r = post(tiny_server, "/tokenize", content=b'{"inputs": ["ok", "\\ud800"]}', headers=JSON)
    assert r.status_code == 400, r.text
    assert "inputs: input 1 is not valid Unicode text" in r.json()["error"]


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("body", "headers", "status", "says"),
    [
        (b'{"inputs": ' + b"[" * 2000 + b"]" * 2000 + b"}", JSON, 400, "nests arrays or objects deeper"),
        (b'{"inputs": "\xff"}', JSON, 400, "not UTF-8 (byte 0xff at position 12)"),
        (gzip.compress(b'{"inputs": "a"}'), {**JSON, "content-encoding": "gzip"}, 415, "Content-Encoding 'gzip'"),
        (b'{"inputs": "a"}', {"content-type": "text/plain"}, 415, "Content-Type is 'text/plain'"),
        (b'{"inputs": "a"}', {"content-type": "application/x-www-form-urlencoded"}, 415, "application/json"),
        (b'{"inputs": "a"}', {}, 415, "no Content-Type header"),
    ],
    ids=["deep-nesting", "latin-1", "gzip", "text-plain", "form", "no-content-type"],
)
def test_unreadable_bodies_name_the_cause(tiny_server, body: bytes, headers: dict[str, str], status: int,
                                          says: str) -> None:  # fmt: skip
    r = httpx.post(f"{tiny_server.url}/embed", content=body, headers=headers, timeout=60)
    assert r.status_code == status, r.text
    assert says in r.json()["error"], r.text
    assert "could not be read as UTF-8 JSON" not in r.text and "valid dictionary" not in r.text


def test_token_ids_must_be_whole_sequences_of_this_tokenizer(tiny_server) -> None:
    """Foreign ids (tiktoken's, as LangChain sends them) are refused with the fix, not embedded as nonsense."""
    r = post(tiny_server, "/v1/embeddings", json={"model": "m", "input": [[5, 6, 7], [2, 5, 3]]})
    assert r.status_code == 400, r.text
    message = openai_message(r)
    assert "input 0 is a token-id array that does not start with [CLS]=2 and end with [SEP]=3" in message
    assert "check_embedding_ctx_length=False" in message and r.json()["error"]["param"] == "input"
    ids = [t["id"] for t in post(tiny_server, "/tokenize", json={"inputs": "the cat sat"}).json()[0]]
    by_ids = post(tiny_server, "/v1/embeddings", json={"model": "m", "input": [ids]}).json()["data"][0]
    by_text = post(tiny_server, "/v1/embeddings", json={"model": "m", "input": "the cat sat"}).json()["data"][0]
    assert by_ids["embedding"] == by_text["embedding"]


def test_health_answers_head_and_tei_probe_routes(tiny_server) -> None:
    for path in ("/health", "/", "/ping"):
        got = httpx.get(f"{tiny_server.url}{path}")
        assert got.status_code == 200 and got.json()["status"] == "ok", path
        head = httpx.head(f"{tiny_server.url}{path}")
        assert head.status_code == 200 and head.content == b"", path
