"""The numpy engine's building blocks and its behaviour on the tiny random model."""

from __future__ import annotations

import math

import numpy as np

from minilm.engines.numpy_bert import erf, gelu, layer_norm


def test_erf_matches_math_erf() -> None:
    x = np.linspace(-7, 7, 20001, dtype=np.float32)
    exact = np.array([math.erf(float(v)) for v in x])
    assert np.abs(erf(x) - exact).max() < 6e-7


def test_gelu_is_the_erf_form_not_tanh() -> None:
    x = np.array([-3.0, -1.0, 0.0, 0.5, 2.0], dtype=np.float32)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(float)])
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    assert np.abs(gelu(x) - exact).max() < 1e-6
    assert np.abs(tanh_form - exact).max() > 1e-4  # the two forms are distinguishable at this tolerance


def test_layer_norm_uses_biased_variance_and_eps() -> None:
    x = np.array([[1.0, 2.0, 3.0, 4.0]], dtype=np.float32)
    out = layer_norm(x, np.ones(4, np.float32), np.zeros(4, np.float32), 1e-12)
    expected = (x - 2.5) / np.sqrt(1.25)
    assert np.allclose(out, expected, atol=1e-6)


def test_padding_does_not_change_token_states(tiny) -> None:
    engine = tiny.engine
    ids = np.array([[2, 6, 7, 8, 3]], dtype=np.int64)
    alone = engine.forward(ids, np.array([5]))
    padded = np.concatenate([ids, np.zeros((1, 4), dtype=np.int64)], axis=1)
    with_padding = engine.forward(padded, np.array([5]))
    assert np.abs(alone[0] - with_padding[0, :5]).max() < 1e-6


def test_mask_comes_from_lengths_not_pad_ids(tiny) -> None:
    engine = tiny.engine
    ids = np.array([[2, 6, 0, 7, 3]], dtype=np.int64)  # a pad id inside the text is a real token
    full = engine.forward(ids, np.array([5]))
    cut = engine.forward(ids, np.array([2]))
    assert np.abs(full[0, :2] - cut[0, :2]).max() > 1e-4
