"""Bounded fuzzing of a live (tiny model) server: no response is a 5xx, and every error is JSON.

Every operation gets EXAMPLES schema-valid and EXAMPLES schema-violating requests from schemathesis' generators;
then raw bodies no schema describes (bytes, deep nesting, odd Content-Types and Content-Encodings) hit each POST
route.
"""

from __future__ import annotations

import json

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from minilm.server import ServerConfig, create_app

EXAMPLES = 25  # per operation and mode: bounded so the whole run takes well under a minute

SCHEMA = schemathesis.openapi.from_dict(create_app(ServerConfig(), lambda: None).openapi())  # type: ignore[arg-type,return-value]
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# schema-violating requests exist only for operations that take something (the GETs take nothing)
CASES = [
    (op, mode) for op in OPERATIONS for mode in GenerationMode if mode == GenerationMode.POSITIVE or op.method != "get"
]


@pytest.mark.parametrize(("operation", "mode"), CASES, ids=[f"{op.label} {mode.value}" for op, mode in CASES])
def test_no_request_gets_a_server_error(tiny_server, operation, mode) -> None:  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case) -> None:  # type: ignore[no-untyped-def]
        response = case.call(base_url=tiny_server.url, timeout=60)
        assert response.status_code < 500, f"{case.method} {case.path} {case.body!r} -> {response.text}"
        if response.status_code >= 400:
            content_type = response.headers.get("content-type", [""])  # schemathesis: a list per header
            assert "application/json" in str(content_type), response.text

    check()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
FIELDS = st.sampled_from(["input", "inputs", "model", "query", "filter", "k", "pairs", "parameters", "normalize",
                          "truncate", "truncation_direction", "prompt_name", "dimensions",
                          "encoding_format"])  # fmt: skip
BODIES = st.one_of(
    st.dictionaries(FIELDS, JSON_VALUES, max_size=5).map(lambda d: json.dumps(d).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.integers(1, 3000).map(lambda depth: b'{"inputs": ' + b"[" * depth + b"]" * depth + b"}"),
)
HEADERS = st.fixed_dictionaries({}, optional={
    "content-type": st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                     "application/vnd.api+json", "multipart/form-data; boundary=x", "", ";;"]),
    "content-encoding": st.sampled_from(["gzip", "identity", "br", ""]),
})  # fmt: skip
POSTS = ["/v1/embeddings", "/embed", "/", "/invocations", "/tokenize", "/similarity", "/search"]


@settings(max_examples=EXAMPLES * 4, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(path=st.sampled_from(POSTS), body=BODIES, headers=HEADERS)
def test_raw_bodies_never_get_a_server_error(tiny_server, path: str, body: bytes,
                                             headers: dict[str, str]) -> None:  # fmt: skip
    """Bodies outside any schema (bytes, deep nesting, wrong types and encodings): a JSON 4xx or a 200."""
    r = httpx.post(f"{tiny_server.url}{path}", content=body, headers=headers, timeout=60)
    assert r.status_code < 500, f"{path} {headers} {body[:200]!r} -> {r.status_code} {r.text}"
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/json"), r.text
        assert "internal error" not in r.text
