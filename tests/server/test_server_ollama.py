"""Ollama's embedding API through the real `ollama` Python client against a real server: the library's vectors."""

from __future__ import annotations

import numpy as np
import ollama
import pytest

from minilm.pooling import unit_rows

pytestmark = pytest.mark.integration

# accented words the uncased reference strips (Ollama's own all-minilm does not: ollama issue #15609)
TEXTS = ["A man is playing a guitar.", "Crème brûlée à la carte", "creme brulee a la carte", "Ünïcödé façade",
         "word " * 400]  # fmt: skip


@pytest.fixture(scope="module")
def client(real_server) -> ollama.Client:  # type: ignore[no-untyped-def]
    return ollama.Client(host=real_server.url, timeout=600)


def test_embed_gives_the_library_vectors(client, real_model) -> None:  # type: ignore[no-untyped-def]
    expected = real_model.encode(TEXTS)
    got = client.embed(model="all-minilm", input=TEXTS)
    np.testing.assert_allclose(np.array(got.embeddings), expected, atol=1e-6, rtol=0)
    assert got.model == "all-minilm" and got.prompt_eval_count == sum(map(len, real_model.tokenize(TEXTS)))
    assert got.total_duration > 0
    np.testing.assert_allclose(got.embeddings[1], got.embeddings[2], atol=1e-6)  # accents stripped as the reference
    one = client.embed(model="all-minilm", input=TEXTS[1])
    np.testing.assert_allclose(one.embeddings[0], expected[1], atol=1e-6, rtol=0)
    short = client.embed(model="all-minilm", input=TEXTS[:2], dimensions=128)
    np.testing.assert_allclose(np.array(short.embeddings), unit_rows(expected[:2, :128]), atol=1e-6, rtol=0)


def test_embeddings_gives_the_library_vector(client, real_model) -> None:  # type: ignore[no-untyped-def]
    for text in TEXTS[1:4]:
        got = client.embeddings(model="all-minilm", prompt=text, keep_alive="5m", options={"num_ctx": 256})
        np.testing.assert_allclose(got.embedding, real_model.encode(text), atol=1e-6, rtol=0)


def test_truncate_false_and_bad_input_are_errors(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ollama.ResponseError, match="over the model's limit of 256") as long:
        client.embed(model="all-minilm", input=TEXTS[-1], truncate=False)
    assert long.value.status_code == 413
    with pytest.raises(ollama.ResponseError, match="is an empty list"):
        client.embed(model="all-minilm", input=[])


def test_tags_and_version(client, real_model) -> None:  # type: ignore[no-untyped-def]
    models = client.list().models
    assert len(models) == 1 and models[0].digest == real_model.sha256 and models[0].size > 0
    from minilm.version import __version__

    assert client._client.get("/api/version").json() == {"version": __version__}
