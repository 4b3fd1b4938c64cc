"""The LlamaIndex adapter against minilm.load().encode, the golden vectors, and a real VectorStoreIndex."""

from __future__ import annotations

import asyncio

import pytest

from minilm.integrations import llamaindex
from tests.integrations.conftest import CORPUS, QUERIES, assert_vectors

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embed_model():  # type: ignore[no-untyped-def]
    return llamaindex.MiniLMEmbedding(engine="numpy", embed_batch_size=8)


def test_vectors_equal_the_library_and_the_reference(embed_model, sample, expected) -> None:
    texts, reference = sample
    assert_vectors(embed_model.get_text_embedding_batch(texts), expected, reference)
    assert_vectors(embed_model.get_text_embedding(texts[2]), expected[2])
    assert_vectors(embed_model.get_query_embedding(texts[4]), expected[4])


def test_async_methods_give_the_same_vectors(embed_model, sample, expected) -> None:
    texts = sample[0]

    async def main() -> tuple[list[list[float]], list[float], list[float]]:
        batch = await embed_model.aget_text_embedding_batch(texts)
        one = await embed_model.aget_text_embedding(texts[1])
        query = await embed_model.aget_query_embedding(texts[6])
        return batch, one, query

    batch, one, query = asyncio.run(main())
    assert_vectors(batch, expected)
    assert_vectors(one, expected[1])
    assert_vectors(query, expected[6])


def test_vector_store_index_retrieves_the_expected_documents(embed_model) -> None:
    from llama_index.core import Document, VectorStoreIndex

    docs = [Document(text=text, id_=doc_id) for doc_id, text in CORPUS]
    index = VectorStoreIndex.from_documents(docs, embed_model=embed_model)
    retriever = index.as_retriever(similarity_top_k=2)
    for query, want in QUERIES:
        nodes = retriever.retrieve(query)
        assert nodes[0].node.ref_doc_id == want, (query, [(n.node.ref_doc_id, n.score) for n in nodes])
        assert nodes[0].score > nodes[1].score


def test_model_name_and_batch_size_follow_llamaindex_conventions(embed_model) -> None:
    assert embed_model.model_name == "sentence-transformers/all-MiniLM-L6-v2"
    assert embed_model.embed_batch_size == 8 and embed_model.class_name() == "MiniLMEmbedding"
