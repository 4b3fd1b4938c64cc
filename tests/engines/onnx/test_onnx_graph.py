"""The ONNX graph against the numpy engine (the oracle), on the tiny random model."""

from __future__ import annotations

import numpy as np
import pytest

from minilm.checkpoint.weights import load_weights
from minilm.config import BertConfig
from minilm.engines.numpy_bert import NumpyEngine
from minilm.engines.onnx import graph
from minilm.engines.onnx.engine import OnnxEngine
from minilm.engines.onnx.session import open_session
from tests.conftest import TINY_CONFIG


@pytest.fixture
def tiny_weights(tiny_dir):  # type: ignore[no-untyped-def]
    return load_weights(tiny_dir / "model.safetensors", TINY_CONFIG)


def _batch(rng: np.random.Generator, b: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    lengths = rng.integers(1, t + 1, size=b)
    lengths[0] = t
    ids = rng.integers(5, TINY_CONFIG.vocab_size, size=(b, t))
    ids[np.arange(t)[None, :] >= lengths[:, None]] = 0  # right padding with [PAD]
    return ids.astype(np.int64), lengths.astype(np.int64)


def _session_engine(weights, fused: bool = False) -> OnnxEngine:  # type: ignore[no-untyped-def]
    model = graph.build(weights, TINY_CONFIG, fused=fused)
    return OnnxEngine(open_session(model.SerializeToString(), 1), "onnx", 1)


@pytest.mark.parametrize("fused", [False, True], ids=["plain", "fused"])
@pytest.mark.parametrize(("b", "t"), [(1, 1), (1, 7), (5, 9), (3, 16)])
def test_states_match_numpy(tiny_weights, fused: bool, b: int, t: int) -> None:  # type: ignore[no-untyped-def]
    oracle = NumpyEngine(tiny_weights, TINY_CONFIG)
    engine = _session_engine(tiny_weights, fused)
    ids, lengths = _batch(np.random.default_rng(b * 100 + t), b, t)
    keep = np.arange(t)[None, :] < lengths[:, None]
    got, want = engine.forward(ids, lengths), oracle.forward(ids, lengths)
    assert got.shape == want.shape == (b, t, TINY_CONFIG.hidden_size)
    np.testing.assert_allclose(got[keep], want[keep], atol=1e-5, rtol=0)


def test_literal_pad_token_inside_a_text_is_attended(tiny_weights) -> None:  # type: ignore[no-untyped-def]
    """The mask comes from lengths: a [PAD] id (0) typed inside a text changes its states as in numpy."""
    engine, oracle = _session_engine(tiny_weights), NumpyEngine(tiny_weights, TINY_CONFIG)
    ids = np.array([[2, 7, 0, 8, 3]], dtype=np.int64)
    lengths = np.array([5], dtype=np.int64)
    np.testing.assert_allclose(engine.forward(ids, lengths), oracle.forward(ids, lengths), atol=1e-5, rtol=0)
    cut = engine.forward(ids[:, :2], np.array([2]))
    assert not np.allclose(cut[0, 1], engine.forward(ids, lengths)[0, 1], atol=1e-4)


def test_a_row_does_not_depend_on_its_padding(tiny_weights) -> None:  # type: ignore[no-untyped-def]
    engine = _session_engine(tiny_weights)
    ids, lengths = _batch(np.random.default_rng(3), 4, 12)
    alone = engine.forward(ids[1:2, : lengths[1]], lengths[1:2])
    np.testing.assert_allclose(engine.forward(ids, lengths)[1, : lengths[1]], alone[0], atol=1e-6, rtol=0)


def test_smoothing_keeps_the_function(tiny_weights) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    smooth = {"layer0.qkv": rng.uniform(0.2, 5, TINY_CONFIG.hidden_size).astype(np.float32),
              "layer1.ffn_down": rng.uniform(0.2, 5, TINY_CONFIG.intermediate_size).astype(np.float32)}  # fmt: skip
    plain = _session_engine(tiny_weights)
    smoothed = graph.build(tiny_weights, TINY_CONFIG, smooth=smooth)
    engine = OnnxEngine(open_session(smoothed.SerializeToString(), 1), "onnx", 1)
    ids, lengths = _batch(rng, 3, 8)
    np.testing.assert_allclose(engine.forward(ids, lengths), plain.forward(ids, lengths), atol=1e-5, rtol=0)


@pytest.mark.parametrize("fused", [False, True], ids=["plain", "fused"])
def test_ffn_channels_apart_and_smoothing_keep_the_function(tiny_weights, fused: bool) -> None:  # type: ignore[no-untyped-def]
    """The int8 recipe's graph rewrites (some FFN channels in a branch of their own, smoothed MatMul inputs)
    compute the same states as the numpy oracle, in both layouts; the branch's nodes are there by name."""
    rng = np.random.default_rng(11)
    apart = {0: np.array([1, 5, 9]), 1: np.array([0, 15])}
    rest = TINY_CONFIG.intermediate_size - 3  # layer 0's FFN down sees the channels left in the main branch
    smooth = {"layer0.qkv": rng.uniform(0.2, 5, TINY_CONFIG.hidden_size).astype(np.float32),
              "layer1.ffn_up": rng.uniform(0.2, 5, TINY_CONFIG.hidden_size).astype(np.float32),
              "layer0.ffn_down": rng.uniform(0.2, 5, rest).astype(np.float32)}  # fmt: skip
    model = graph.build(tiny_weights, TINY_CONFIG, fused=fused, smooth=smooth, apart=apart)
    names = {node.name for node in model.graph.node}
    assert {"layer0.ffn_up_apart", "layer0.ffn_down_apart", "layer1.ffn_down_apart"} <= names
    engine = OnnxEngine(open_session(model.SerializeToString(), 1), "onnx", 1)
    ids, lengths = _batch(rng, 3, 8)
    keep = np.arange(8)[None, :] < lengths[:, None]
    want = NumpyEngine(tiny_weights, TINY_CONFIG).forward(ids, lengths)
    np.testing.assert_allclose(engine.forward(ids, lengths)[keep], want[keep], atol=1e-5, rtol=0)


def test_other_activations_are_refused(tiny_weights) -> None:  # type: ignore[no-untyped-def]
    config = BertConfig(**{**TINY_CONFIG.__dict__, "hidden_act": "relu"})
    with pytest.raises(ValueError, match="relu"):
        graph.build(tiny_weights, config)
