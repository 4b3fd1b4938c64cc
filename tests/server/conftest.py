"""Real `minilm serve` processes on 127.0.0.1 (a free port each), started once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import write_tiny_model
from tests.server.serving import Server, start_server, stop_server


@pytest.fixture(scope="session")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """all-MiniLM-L6-v2 on the numpy engine with the default limits."""
    server = start_server(tmp_path_factory.mktemp("real"))
    yield server
    stop_server(server)


TINY_LIMITS = ("--max-inputs", "8", "--max-queue", "64", "--max-payload", "4096")


@pytest.fixture(scope="session")
def tiny_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The tiny random model (max_seq_length 16), with small limits: 8 inputs, 4,096-byte bodies."""
    tmp = tmp_path_factory.mktemp("tiny")
    model = write_tiny_model(tmp / "model")
    server = start_server(tmp, "--model", str(model), *TINY_LIMITS)
    yield server
    stop_server(server)
