"""Shortened vectors: OpenAI's `dimensions` and TEI's, the first N components scaled back to unit length."""

from __future__ import annotations

import httpx
import numpy as np
import openai
import pytest

from minilm.pooling import unit_rows

pytestmark = pytest.mark.integration

TEXTS = ["A man is playing a guitar.", "Crème brûlée for two", "The new movie is awesome"]


def test_openai_dimensions_are_the_librarys_first_components_renormalized(real_server, real_model) -> None:  # type: ignore[no-untyped-def]
    expected = unit_rows(real_model.encode(TEXTS)[:, :128])
    with openai.OpenAI(base_url=f"{real_server.url}/v1", api_key="unused", max_retries=0, timeout=600) as client:
        for options in ({"encoding_format": "float"}, {}):  # by default the client asks for base64 and decodes it
            got = client.embeddings.create(model="m", input=TEXTS, dimensions=128, **options)
            vectors = np.array([d.embedding for d in got.data], dtype=np.float32)
            assert vectors.shape == (3, 128)
            np.testing.assert_allclose(vectors, expected, atol=1e-6, rtol=0)
            np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-6)
        whole = client.embeddings.create(model="m", input=TEXTS[0], dimensions=384).data[0].embedding
        np.testing.assert_allclose(whole, real_model.encode(TEXTS[0]), atol=1e-6, rtol=0)
        with pytest.raises(openai.BadRequestError, match="dimensions is 385"):
            client.embeddings.create(model="m", input=TEXTS[0], dimensions=385)


def test_tei_dimensions_follow_normalize(real_server, real_model) -> None:  # type: ignore[no-untyped-def]
    r = httpx.post(f"{real_server.url}/embed", json={"inputs": TEXTS, "dimensions": 64}, timeout=600)
    np.testing.assert_allclose(np.array(r.json()), unit_rows(real_model.encode(TEXTS)[:, :64]), atol=1e-6, rtol=0)
    raw = httpx.post(f"{real_server.url}/embed", json={"inputs": TEXTS, "dimensions": 64, "normalize": False},
                     timeout=600)  # fmt: skip
    np.testing.assert_allclose(np.array(raw.json()), real_model.encode(TEXTS, normalize=False)[:, :64], atol=1e-5,
                               rtol=0)  # fmt: skip
