"""The saved folder round-trips through minilm.load; pruning keeps the chosen layers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import minilm
from minilm.errors import InputError
from minilm.train.model import SentenceModel
from minilm.train.prune import prune
from minilm.train.save import save_model

TEXTS = ["the cat sat on the mat", "hello world", "", "a happy person is running today"]


def test_saved_model_round_trips_through_minilm_load(tiny_dir: Path, tmp_path: Path) -> None:
    model = SentenceModel.from_folder(tiny_dir)
    with torch.no_grad():  # change the weights, as training would
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    out = save_model(model, tmp_path / "saved")
    expected_files = ["1_Pooling/config.json", "2_Normalize", "config.json", "model.safetensors", "modules.json",
                      "sentence_bert_config.json", "vocab.txt"]  # fmt: skip
    assert all((out / name).exists() for name in expected_files)
    loaded = minilm.load(out, engine="numpy")
    assert loaded.max_seq_length == 16  # the source's inference length, not the training one
    vectors = loaded.encode(TEXTS)
    assert np.abs(vectors - model.encode(TEXTS)).max() < 1e-5
    assert np.abs(vectors - minilm.load(tiny_dir, engine="numpy").encode(TEXTS)).max() > 1e-3


def test_prune_keeps_chosen_layers(tmp_path: Path) -> None:
    from ..conftest import BertConfig, write_tiny_model

    config = BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=3, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=32)  # fmt: skip
    source = write_tiny_model(tmp_path / "three", config=config)
    out = prune(source, [0, 2], tmp_path / "pruned")
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 2
    teacher = SentenceModel.from_folder(source, max_seq_length=None).eval()
    del teacher.bert.encoder.layer[1]  # the same network, built by hand
    assert np.abs(minilm.load(out, engine="numpy").encode(TEXTS) - teacher.encode(TEXTS)).max() < 1e-5


def test_prune_rejects_bad_layers(tiny_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"layers \[0, 5\] must be distinct indices in 0..1"):
        prune(tiny_dir, [0, 5], tmp_path / "x")
