"""The LangChain adapter against minilm.load().encode, the golden vectors, and a real InMemoryVectorStore."""

from __future__ import annotations

import asyncio

import pytest

from minilm.integrations import langchain
from tests.integrations.conftest import CORPUS, QUERIES, assert_vectors

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embeddings():  # type: ignore[no-untyped-def]
    return langchain.MiniLMEmbeddings(engine="numpy", batch_size=8)


def test_vectors_equal_the_library_and_the_reference(embeddings, sample, expected) -> None:
    texts, reference = sample
    assert_vectors(embeddings.embed_documents(texts), expected, reference)
    assert_vectors(embeddings.embed_query(texts[3]), expected[3])


def test_async_methods_run_off_the_event_loop(embeddings, sample, expected) -> None:
    texts = sample[0]

    async def main() -> tuple[list[list[float]], list[float], int]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        vectors = await embeddings.aembed_documents(texts)
        query = await embeddings.aembed_query(texts[5])
        done.set()
        await task
        return vectors, query, ticks

    vectors, query, ticks = asyncio.run(main())
    assert_vectors(vectors, expected)
    assert_vectors(query, expected[5])
    assert ticks > 10  # the loop kept running while the texts were embedded


def test_in_memory_vector_store_finds_the_expected_documents(embeddings) -> None:
    from langchain_core.vectorstores import InMemoryVectorStore

    store = InMemoryVectorStore.from_texts([t for _, t in CORPUS], embeddings, ids=[i for i, _ in CORPUS])
    for query, want in QUERIES:
        hits = store.similarity_search_with_score(query, k=2)
        assert hits[0][0].id == want, (query, [(d.id, s) for d, s in hits])
        assert hits[0][1] > hits[1][1]


def test_a_bad_policy_is_refused_when_the_adapter_is_made(real_model) -> None:
    from minilm.errors import InputError

    with pytest.raises(InputError, match="on_long 'clip' is unknown"):
        langchain.MiniLMEmbeddings(real_model, on_long="clip")


def test_openai_embeddings_offline_need_check_embedding_ctx_length_false(monkeypatch) -> None:
    """LangChain's OpenAIEmbeddings pointed at a minilm server: with its default settings it first loads OpenAI's
    tiktoken vocabulary (a download, which fails offline) before any request; with check_embedding_ctx_length=False
    (docs/integrations.md) it never touches tiktoken and goes straight to the server."""
    openai = pytest.importorskip("openai")
    tiktoken = pytest.importorskip("tiktoken")
    from langchain_openai import OpenAIEmbeddings

    class Offline(Exception):
        pass

    def download(*args: object, **kwargs: object) -> None:
        raise Offline("tiktoken would download its vocabulary here")

    monkeypatch.setattr(tiktoken, "get_encoding", download)
    monkeypatch.setattr(tiktoken, "encoding_for_model", download)
    settings = {"model": "sentence-transformers/all-MiniLM-L6-v2", "base_url": "http://127.0.0.1:9/v1",
                "api_key": "k", "max_retries": 0}  # fmt: skip  # nothing listens on port 9
    with pytest.raises(Offline):
        OpenAIEmbeddings(**settings).embed_documents(["the cat"])
    with pytest.raises(openai.APIConnectionError):  # past the client's tokenizing: at the (absent) server
        OpenAIEmbeddings(**settings, check_embedding_ctx_length=False).embed_documents(["the cat"])
