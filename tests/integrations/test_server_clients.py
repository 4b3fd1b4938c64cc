"""The minilm server from each framework's OpenAI client, with the settings docs/integrations.md gives:
vectors equal the library's."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from tests.server.serving import Server, start_server, stop_server

pytestmark = pytest.mark.integration

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
KEY = "client-test-key"
TEXTS = ["That is a happy person", "Today is a sunny day", "naïve café, 東京 🙂", "word " * 300]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("clients"), env={"MINILM_API_KEYS": KEY})
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def expected(real_model) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.asarray(real_model.encode(TEXTS))


def test_langchain_openai_embeddings(server, expected) -> None:
    from langchain_openai import OpenAIEmbeddings

    client = OpenAIEmbeddings(model=MODEL, base_url=f"{server.url}/v1", api_key=KEY,
                                               check_embedding_ctx_length=False)  # fmt: skip
    vectors = np.array(client.embed_documents(TEXTS), dtype=np.float32)
    assert np.abs(vectors - expected).max() < 1e-6
    assert np.abs(np.array(client.embed_query(TEXTS[1]), dtype=np.float32) - expected[1]).max() < 1e-6


def test_llamaindex_openai_embedding(server, expected) -> None:
    from llama_index.embeddings.openai import OpenAIEmbedding

    client = OpenAIEmbedding(model_name=MODEL, api_base=f"{server.url}/v1", api_key=KEY)
    vectors = np.array(client.get_text_embedding_batch(TEXTS), dtype=np.float32)
    assert np.abs(vectors - expected).max() < 1e-6


def test_chroma_openai_embedding_function(server, expected, monkeypatch: pytest.MonkeyPatch) -> None:
    from chromadb.utils.embedding_functions import OpenAIEmbeddingFunction

    monkeypatch.setenv("MINILM_API_KEY", KEY)
    function = OpenAIEmbeddingFunction(model_name=MODEL, api_base=f"{server.url}/v1", api_key_env_var="MINILM_API_KEY")
    vectors = np.array(function(TEXTS), dtype=np.float32)
    assert np.abs(vectors - expected).max() < 1e-6
