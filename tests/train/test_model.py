"""The torch BERT: checkpoint keys, and the same vectors as the numpy engine and the reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import minilm
from minilm.checkpoint import resolve
from minilm.checkpoint.weights import expected_shapes
from minilm.train.model import SentenceModel

from ..conftest import TINY_CONFIG, write_tiny_model


def test_parameter_names_are_the_checkpoint_keys(tiny_dir: Path) -> None:
    model = SentenceModel.from_folder(tiny_dir)
    shapes = {k: tuple(v.shape) for k, v in model.bert.state_dict().items()}
    assert shapes == expected_shapes(TINY_CONFIG)


@pytest.mark.parametrize("pooling", ["mean", "cls", "max", "mean_sqrt_len"])
def test_tiny_matches_numpy_engine(tmp_path: Path, pooling: str) -> None:
    folder = write_tiny_model(tmp_path / pooling, pooling=pooling, normalize=pooling != "max")
    texts = ["the cat sat on the mat", "", "hello world !", "a " * 30, "[PAD] is a token"]
    expected = minilm.load(folder, engine="numpy").encode(texts, normalize=pooling != "max")
    model = SentenceModel.from_folder(folder, max_seq_length=None)
    assert np.abs(model.encode(texts, batch_size=2) - expected).max() < 1e-5


def test_training_length_truncates_at_128(tiny_dir: Path) -> None:
    model = SentenceModel.from_folder(tiny_dir, max_seq_length=6)
    ids, lengths = model.features(["the cat sat on the mat today is sunny"])
    assert lengths.tolist() == [6] and ids[0, -1].item() == model.tokenizer.sep_id


def test_dropout_only_in_train_mode(tiny_dir: Path) -> None:
    model = SentenceModel.from_folder(tiny_dir)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(["the cat"]), model(["the cat"]))
    model.train()
    with torch.no_grad():
        assert not torch.equal(model(["the cat sat"]), model(["the cat sat"]))


@pytest.mark.integration
def test_real_model_matches_golden_and_numpy(golden, real_model) -> None:  # type: ignore[no-untyped-def]
    texts, _, reference = golden
    model = SentenceModel.from_folder(resolve(None).path, max_seq_length=None)
    assert model.max_seq_length == 256
    vectors = model.encode(texts, batch_size=16)
    assert np.abs(vectors - reference).max() < 1e-5
    edge = texts[:40]  # the edge cases: empty, accents, CJK, control characters, literal special tokens, long words
    assert np.abs(vectors[:40] - real_model.encode(edge)).max() < 1e-5


def test_inference_goes_through_an_encoder_on_the_live_module(tiny_dir: Path) -> None:
    """Dev-set evaluation and teachers: an Encoder over a torch engine that shares the module's weights, at the
    training length, in eval mode (train mode restored after)."""
    from minilm.encoder import Encoder
    from minilm.engines.torch_engine.engine import TorchEngine

    model = SentenceModel.from_folder(tiny_dir, max_seq_length=6)
    encoder = model.encoder()
    assert isinstance(encoder, Encoder) and isinstance(encoder.engine, TorchEngine)
    assert encoder.engine.model is model.bert and encoder.max_seq_length == 6
    texts = ["the cat sat on the mat today is sunny", "hello world"]
    before = model.encode(texts)
    assert model.training
    model.eval()
    with torch.no_grad():
        assert np.abs(before - model(texts).numpy()).max() < 1e-6  # the training forward, same tokens and pooling
        model.bert.embeddings.word_embeddings.weight.mul_(2)  # a training step, as far as the engine can tell
    assert np.abs(model.encode(texts) - before).max() > 1e-3
