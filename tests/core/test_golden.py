"""Parity with the reference implementation (tests/data/golden): token ids exact, vectors within 1e-5."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.integration


def test_token_ids_identical(real_model, golden) -> None:
    texts, reference_ids, _ = golden
    ours = real_model.tokenize(texts)
    mismatched = [i for i, (a, b) in enumerate(zip(ours, reference_ids, strict=True)) if a != b]
    assert mismatched == []


def test_vectors_match_reference(real_model, golden) -> None:
    texts, _, reference = golden
    ours = real_model.encode(texts)
    assert ours.shape == reference.shape == (297, 384)
    assert ours.dtype == np.float32
    assert np.abs(ours - reference).max() < 1e-5
    cosines = (ours * reference).sum(axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(reference, axis=1)
    assert cosines.min() >= 0.99999


def test_vector_does_not_depend_on_batch(real_model, golden) -> None:
    texts, _, _ = golden
    sample = texts[:24] + texts[-8:]  # edge cases, and long abstracts that hit the 256-token limit
    together = real_model.encode(sample, batch_size=32)
    alone = np.stack([real_model.encode(t) for t in sample])
    small_batches = real_model.encode(sample, batch_size=3)
    assert np.abs(together - alone).max() < 1e-6
    assert np.abs(together - small_batches).max() < 1e-6


def test_literal_pad_token_is_attended(real_model) -> None:
    ids = real_model.tokenize(["hello [PAD] world"])[0]
    assert 0 in ids  # the literal "[PAD]" is the pad id, yet a real token of the text
    with_pad = real_model.encode("hello [PAD] world")
    without = real_model.encode("hello world")
    assert float(with_pad @ without) < 0.9999


def test_truncation_at_256_tokens(real_model) -> None:
    long_text = "word " * 600
    _, info = real_model.encode_with_info([long_text, "short"])
    assert info.token_counts.tolist() == [411, 3]  # read up to 2,048 characters: a lower bound for the long text
    assert info.exact.tolist() == [False, True]
    assert info.truncated.tolist() == [True, False]
    _, whole = real_model.encode_with_info([long_text], on_long="chunk")
    assert whole.token_counts.tolist() == [602] and whole.exact.tolist() == [True]
    assert len(real_model.tokenize(long_text)[0]) == 256
