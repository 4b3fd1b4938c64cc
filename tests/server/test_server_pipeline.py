"""The server on the encoder's own pipeline: the library's vectors (Normalize module or not), bounded work per
text (a character limit, a 7 MB text costs a prefix), against a real server process (tiny model)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

import minilm
from tests.conftest import write_tiny_model
from tests.server.serving import Server, start_server, stop_server

MAX_CHARS = 7_500_000
BIG = ("the cat sat on the mat . " * (7_000_000 // 25 + 1))[:7_000_000]  # 7 MB, 1.7 million word pieces
HWM_BOUND_MB = 200  # four 7 MB requests at once: their bodies and parsed copies (~70 MB measured), not tokens


@pytest.fixture(scope="module")
def raw_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model without a Normalize module: its vectors are the pooled ones."""
    return write_tiny_model(tmp_path_factory.mktemp("raw") / "model", normalize=False)


@pytest.fixture(scope="module")
def raw_server(tmp_path_factory: pytest.TempPathFactory, raw_model_dir: Path) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("raw-server"), "--model", str(raw_model_dir),
                          "--max-input-chars", str(MAX_CHARS))  # fmt: skip
    yield server
    stop_server(server)


def memory_mb(pid: int, field: str) -> float:
    """VmRSS / VmHWM of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def embed(server: Server, texts: list[str], **extra: object) -> httpx.Response:
    body = {"model": "m", "input": texts, "encoding_format": "float", **extra}
    return httpx.post(f"{server.url}/v1/embeddings", json=body, timeout=300)


def test_server_follows_the_models_normalize_module_like_the_library(raw_server, raw_model_dir) -> None:
    texts = ["the cat sat on the mat", "a dog", "hello world !", " ".join(["today is a sunny day"] * 5)]
    model = minilm.load(raw_model_dir, engine="numpy")
    expected = model.encode(texts)
    assert not np.allclose(np.linalg.norm(expected, axis=1), 1)  # no Normalize module: raw pooled vectors
    r = embed(raw_server, texts)
    assert r.status_code == 200, r.text
    got = np.array([d["embedding"] for d in r.json()["data"]], dtype=np.float32)
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)
    assert r.json()["usage"]["prompt_tokens"] == sum(len(ids) for ids in model.tokenize(texts))
    tei = httpx.post(f"{raw_server.url}/embed", json={"inputs": texts, "normalize": False}, timeout=60)
    np.testing.assert_allclose(np.array(tei.json(), dtype=np.float32), expected, atol=1e-6, rtol=0)


def test_four_concurrent_7mb_texts_cost_a_prefix_each(raw_server, raw_model_dir) -> None:
    pid = raw_server.process.pid
    before = memory_mb(pid, "VmRSS")
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda _: embed(raw_server, ["a dog", BIG]), range(4)))
    assert all(r.status_code == 200 for r in responses), responses[0].text
    model = minilm.load(raw_model_dir, engine="numpy")
    got = np.array([d["embedding"] for d in responses[0].json()["data"]], dtype=np.float32)
    np.testing.assert_allclose(got, model.encode(["a dog", BIG[:10_000]]), atol=1e-6, rtol=0)
    peak = memory_mb(pid, "VmHWM")
    assert peak - before < HWM_BOUND_MB, f"server peak RSS {peak:.0f} MB, {before:.0f} MB before the requests"


def test_a_text_over_the_character_limit_is_413_naming_it(raw_server) -> None:
    r = embed(raw_server, ["a dog", "the cat", "x" * (MAX_CHARS + 1)])
    assert r.status_code == 413, r.text
    message = r.json()["error"]["message"]
    assert f"input 2 has {MAX_CHARS + 1:,} characters, over the limit of {MAX_CHARS:,}" in message
    assert "--max-input-chars" in message


@pytest.mark.parametrize("field", ["max_input_chars", "max_queue_tokens"])
def test_new_limits_must_be_positive(field: str) -> None:
    from minilm.server.config import ServerConfig

    with pytest.raises(minilm.InputError, match=f"{field} must be a positive int, got 0"):
        ServerConfig(**{field: 0})  # type: ignore[arg-type]
