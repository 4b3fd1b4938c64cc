"""A bounded schemathesis run over the OpenAPI schema against a live (tiny model) server: no response is a 5xx.

Every operation gets EXAMPLES schema-valid and EXAMPLES schema-violating requests from schemathesis' generators.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
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
