"""The LangChain adapter against minilm.load().encode, the golden vectors, and a real InMemoryVectorStore."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from tests.integrations.conftest import CORPUS, QUERIES

pytestmark = pytest.mark.integration

langchain = pytest.importorskip("minilm.integrations.langchain", exc_type=ImportError)


@pytest.fixture(scope="module")
def embeddings():  # type: ignore[no-untyped-def]
    return langchain.MiniLMEmbeddings(engine="numpy", batch_size=8)


def test_vectors_equal_the_library_and_the_reference(embeddings, sample, expected) -> None:
    texts, reference = sample
    ours = np.array(embeddings.embed_documents(texts), dtype=np.float32)
    assert ours.shape == (len(texts), 384)
    assert np.abs(ours - expected).max() < 1e-6
    assert np.abs(ours - reference).max() < 1e-5
    query = np.array(embeddings.embed_query(texts[3]), dtype=np.float32)
    assert np.abs(query - expected[3]).max() < 1e-6


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
    assert np.abs(np.array(vectors, dtype=np.float32) - expected).max() < 1e-6
    assert np.abs(np.array(query, dtype=np.float32) - expected[5]).max() < 1e-6
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
