"""The sentence-transformers drop-in returns what the encoder returns, with the reference's arguments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm import SentenceTransformer


def test_drop_in_matches_the_encoder(tiny_dir: Path, tiny) -> None:
    model = SentenceTransformer(str(tiny_dir), engine="numpy")
    texts = ["the cat", "a happy person"]
    assert np.array_equal(model.encode(texts), tiny.encode(texts))
    assert model.encode("the cat").shape == (8,)
    assert model.get_sentence_embedding_dimension() == 8 and model.max_seq_length == 16
    tokens = model.encode(texts, output_value="token_embeddings")
    assert [t.shape for t in tokens] == [(4, 8), (5, 8)]
    assert model.similarity(model.encode(texts), model.encode(texts)).shape == (2, 2)
    batch = model.tokenize(texts)
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]


def test_normalize_follows_the_pipeline(tmp_path: Path) -> None:
    from ..conftest import write_tiny_model

    model = SentenceTransformer(str(write_tiny_model(tmp_path / "raw", normalize=False)), engine="numpy")
    assert not np.isclose(np.linalg.norm(model.encode("the cat")), 1.0)
    assert np.isclose(np.linalg.norm(model.encode("the cat", normalize_embeddings=True)), 1.0)


def test_unsupported_arguments_are_named(tiny_dir: Path) -> None:
    with pytest.raises(minilm.InputError, match="device 'cuda'"):
        SentenceTransformer(str(tiny_dir), device="cuda")
    model = SentenceTransformer(str(tiny_dir), engine="numpy")
    with pytest.raises(minilm.InputError, match="output_value 'foo'"):
        model.encode("x", output_value="foo")


@pytest.mark.integration
def test_default_name_loads_the_reference_model(golden) -> None:
    texts, _, reference = golden
    model = SentenceTransformer("all-MiniLM-L6-v2", engine="numpy")
    assert np.abs(model.encode(texts[:40]) - reference[:40]).max() < 1e-5
