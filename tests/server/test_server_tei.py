"""text-embeddings-inference compatibility: huggingface_hub's InferenceClient(base_url=...) against the real server.

InferenceClient posts every task to the base URL itself (TEI's POST /), so these used to be 404s.
"""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from huggingface_hub import InferenceClient
from huggingface_hub.errors import HfHubHTTPError

pytestmark = pytest.mark.integration

TEXTS = ["A man is playing a guitar.", "The new movie is awesome", "A woman is slicing an onion."]


@pytest.fixture(scope="module")
def client(real_server) -> InferenceClient:  # type: ignore[no-untyped-def]
    return InferenceClient(base_url=real_server.url, timeout=600)


def test_feature_extraction_gives_the_library_vectors(client, real_model) -> None:  # type: ignore[no-untyped-def]
    expected = real_model.encode(TEXTS)
    for text, vector in zip(TEXTS, expected, strict=True):
        got = client.feature_extraction(text)
        assert got.shape == (1, 384)
        np.testing.assert_allclose(got[0], vector, atol=1e-6, rtol=0)
    raw = client.feature_extraction(TEXTS[0], normalize=False, truncate=True, truncation_direction="right")
    unnormalized = real_model.encode(TEXTS[0], normalize=False)
    np.testing.assert_allclose(raw[0], unnormalized, atol=1e-5, rtol=0)
    assert abs(np.linalg.norm(raw[0]) - 1) > 1e-3  # really not normalized


def test_sentence_similarity_gives_the_library_cosines(client, real_model) -> None:  # type: ignore[no-untyped-def]
    got = client.sentence_similarity(TEXTS[0], other_sentences=TEXTS[1:])
    vectors = real_model.encode(TEXTS)
    np.testing.assert_allclose(got, vectors[1:] @ vectors[0], atol=1e-6, rtol=0)


def test_options_the_server_does_not_implement_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HfHubHTTPError) as refused:
        client.feature_extraction(TEXTS[0], truncation_direction="left")
    assert refused.value.response.status_code == 422
    assert "truncation_direction 'left' is not supported" in refused.value.response.text
    with pytest.raises(HfHubHTTPError) as refused:
        client.feature_extraction(TEXTS[0], prompt_name="query")
    assert refused.value.response.status_code == 422


def test_sagemaker_route_health_probes_and_info(real_server, real_model) -> None:  # type: ignore[no-untyped-def]
    r = httpx.post(f"{real_server.url}/invocations", json={"inputs": TEXTS[:2]}, timeout=600)
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(np.array(r.json()), real_model.encode(TEXTS[:2]), atol=1e-6, rtol=0)
    for path in ("/", "/ping", "/health"):
        assert httpx.get(f"{real_server.url}{path}").status_code == 200
    info = httpx.get(f"{real_server.url}/info").json()
    assert info["model_type"] == {"embedding": {"pooling": "mean"}} and info["max_input_length"] == 256
    assert info["max_client_batch_size"] == 2048 and info["dimension"] == 384


def test_foreign_token_ids_are_refused_own_ids_embed(real_server, real_model) -> None:  # type: ignore[no-untyped-def]
    """LangChain's OpenAIEmbeddings sends tiktoken ids by default; they used to embed as nonsense with 200."""
    url = f"{real_server.url}/v1/embeddings"
    tiktoken_ids = [32, 893, 374, 5737, 264, 17418, 13]  # another tokenizer's ids (cl100k-like), all under 30,522
    r = httpx.post(url, json={"model": "m", "input": [tiktoken_ids]}, timeout=600)
    assert r.status_code == 400, r.text
    assert "[CLS]=101" in r.text and "[SEP]=102" in r.text and "check_embedding_ctx_length=False" in r.text
    ids = [t["id"] for t in httpx.post(f"{real_server.url}/tokenize", json={"inputs": TEXTS[0]}).json()[0]]
    assert ids[0] == 101 and ids[-1] == 102
    r = httpx.post(url, json={"model": "m", "input": [ids], "encoding_format": "float"}, timeout=600)
    np.testing.assert_allclose(r.json()["data"][0]["embedding"], real_model.encode(TEXTS[0]), atol=1e-6, rtol=0)


def test_embed_all_gives_the_library_token_states(real_server, real_model) -> None:  # type: ignore[no-untyped-def]
    """TEI's POST /embed_all: per input, one 384-float vector per token the model reads ([CLS] ... [SEP])."""
    texts = [*TEXTS, "Crème brûlée à la carte", "word " * 400]  # accents; a text cut at 256 tokens
    r = httpx.post(f"{real_server.url}/embed_all", json={"inputs": texts}, timeout=600)
    assert r.status_code == 200, r.text
    got = r.json()
    expected = real_model.encode(texts, output="token")
    assert [len(g) for g in got] == [len(ids) for ids in real_model.tokenize(texts)] == [len(e) for e in expected]
    assert len(got[-1]) == 256
    for states, want in zip(got, expected, strict=True):
        np.testing.assert_allclose(np.array(states, dtype=np.float32), want, atol=1e-5, rtol=0)
    one = httpx.post(f"{real_server.url}/embed_all", json={"inputs": TEXTS[0]}, timeout=600).json()
    np.testing.assert_allclose(np.array(one[0], dtype=np.float32), expected[0], atol=1e-5, rtol=0)
    refused = httpx.post(f"{real_server.url}/embed_all", json={"inputs": texts[-1], "truncate": False}, timeout=600)
    assert refused.status_code == 413 and "over the model's limit of 256" in refused.json()["error"]
