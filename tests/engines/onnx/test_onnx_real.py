"""The real all-MiniLM-L6-v2 on the onnx engines: fp32 within 1e-5 of the reference, int8 within its bar."""

from __future__ import annotations

import numpy as np
import pytest

import minilm
from minilm.engines.onnx import cpu, engine

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def onnx_model():  # type: ignore[no-untyped-def]
    return minilm.load(engine="onnx", allow_download=False)


def test_fp32_matches_golden_per_element(onnx_model, golden) -> None:  # type: ignore[no-untyped-def]
    texts, ids, reference = golden
    assert onnx_model.tokenize(texts) == ids
    vectors = onnx_model.encode(texts, batch_size=16)
    assert np.abs(vectors - reference).max() <= 1e-5
    assert np.sum(vectors * reference, axis=1).min() >= 0.99999


def test_fp32_matches_the_numpy_engine(onnx_model, real_model, golden) -> None:  # type: ignore[no-untyped-def]
    texts = golden[0][::7]
    assert np.abs(onnx_model.encode(texts) - real_model.encode(texts)).max() <= 1e-5
    for got, want in zip(onnx_model.encode(texts[:6], output="token"), real_model.encode(texts[:6], output="token"),
                         strict=True):  # fmt: skip
        assert np.abs(got - want).max() <= 1e-5


@pytest.mark.parametrize("variant", [None, cpu.NO_VNNI])
def test_int8_meets_the_quality_bar_on_golden(onnx_model, golden, variant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The variant this CPU picks (cpu.int8_path), and the 7-bit variant forced (correct on every CPU). The
    full-range VNNI variant is checked only where the CPU has VNNI: elsewhere it is known to miss the bar."""
    texts, _, reference = golden
    if variant:
        monkeypatch.setenv(engine.VARIANT_ENV, variant)
    int8 = minilm.load(engine="onnx-int8", allow_download=False)
    assert int8.info()["dtype"] == f"int8 ({engine.RECIPE_NAMES[engine.int8_variant()]})"
    cosine = np.sum(int8.encode(texts) * onnx_model.encode(texts), axis=1)
    assert np.median(cosine) >= 0.997
    assert cosine.min() >= 0.99
    assert np.sum(int8.encode(texts) * reference, axis=1).min() >= 0.99
