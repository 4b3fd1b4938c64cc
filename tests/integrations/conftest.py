"""Shared data for the framework adapters' tests: a sample of the golden texts and a small search corpus."""

from __future__ import annotations

import numpy as np
import pytest

# A small corpus with one obvious answer per query: (doc id, text), and (query, expected top doc id).
CORPUS = [
    ("cats", "The cat curled up on the windowsill and purred in the afternoon sun."),
    ("football", "The striker scored twice as the home team won the cup final."),
    ("rates", "The central bank raised interest rates to fight inflation."),
    ("volcano", "Lava poured down the slopes after the volcano erupted overnight."),
    ("pasta", "Boil the spaghetti for nine minutes, then toss it with garlic and olive oil."),
    ("telescope", "The space telescope photographed a distant galaxy full of young stars."),
    ("piano", "She practised the piano sonata every evening before her recital."),
    ("flu", "Doctors urged older people to get a flu vaccine before winter."),
]
QUERIES = [
    ("which pet likes sleeping in sunshine", "cats"),
    ("soccer match result", "football"),
    ("monetary policy and prices", "rates"),
    ("astronomy images of galaxies", "telescope"),
    ("how to cook noodles", "pasta"),
]


@pytest.fixture(scope="session")
def sample(golden) -> tuple[list[str], np.ndarray]:  # type: ignore[no-untyped-def]
    """Golden texts and reference vectors: the first 16 (edge cases: empty, accents, emoji, a literal [PAD], ...)
    and the last 3 (abstracts cut at 256 tokens)."""
    texts, _, vectors = golden
    rows = list(range(16)) + list(range(len(texts) - 3, len(texts)))
    return [texts[i] for i in rows], vectors[rows]


@pytest.fixture(scope="session")
def expected(real_model, sample) -> np.ndarray:  # type: ignore[no-untyped-def]
    """minilm.load().encode of the sample: what every adapter must give."""
    return np.asarray(real_model.encode(sample[0]))


def assert_vectors(ours: object, expected: np.ndarray, reference: np.ndarray | None = None) -> None:
    """An adapter's vectors: the library's within 1e-6 and, when given, the reference's within 1e-5."""
    got = np.array(ours, dtype=np.float32)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-6
    if reference is not None:
        assert np.abs(got - reference).max() < 1e-5
