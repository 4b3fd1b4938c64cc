"""Reading model folders and weights: every broken file gives an error that names it and what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import minilm
from minilm.checkpoint import read_folder

from ..conftest import TINY_CONFIG, write_tiny_model


def _rewrite_weights(folder: Path, change) -> None:  # type: ignore[no-untyped-def]
    weights = load_file(str(folder / "model.safetensors"))
    change(weights)
    save_file(weights, str(folder / "model.safetensors"))


def test_missing_key_is_named(tiny_dir: Path) -> None:
    _rewrite_weights(tiny_dir, lambda w: w.pop("encoder.layer.1.output.dense.bias"))
    with pytest.raises(minilm.CheckpointError, match=r"is missing key encoder\.layer\.1\.output\.dense\.bias"):
        minilm.load(tiny_dir, engine="numpy")


def test_wrong_shape_is_named(tiny_dir: Path) -> None:
    def change(w):  # type: ignore[no-untyped-def]
        w["encoder.layer.0.attention.self.query.weight"] = np.zeros((8, 4), np.float32)

    _rewrite_weights(tiny_dir, change)
    with pytest.raises(minilm.CheckpointError, match=r"query\.weight of shape \(8, 4\), expected \(8, 8\)"):
        minilm.load(tiny_dir, engine="numpy")


def test_unexpected_key_is_named_but_known_extras_are_ignored(tiny_dir: Path) -> None:
    def extras(w):  # type: ignore[no-untyped-def]
        w["pooler.dense.weight"] = np.zeros((8, 8), np.float32)
        w["embeddings.position_ids"] = np.arange(32)[None]

    _rewrite_weights(tiny_dir, extras)
    minilm.load(tiny_dir, engine="numpy")  # the reference's unused pooler and buffers load fine

    def stray(w):  # type: ignore[no-untyped-def]
        w["encoder.layer.7.output.dense.bias"] = np.zeros(8, np.float32)

    _rewrite_weights(tiny_dir, stray)
    with pytest.raises(minilm.CheckpointError, match=r"unexpected key encoder\.layer\.7"):
        minilm.load(tiny_dir, engine="numpy")


def test_prefixed_keys_load(tmp_path: Path, tiny) -> None:
    folder = write_tiny_model(tmp_path / "prefixed")
    _rewrite_weights(folder, lambda w: w.update({f"bert.{k}": w.pop(k) for k in list(w)}))
    model = minilm.load(folder, engine="numpy")
    assert np.array_equal(model.encode("the cat"), tiny.encode("the cat"))


def test_truncated_weights_file(tiny_dir: Path) -> None:
    path = tiny_dir / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(minilm.CheckpointError, match="model.safetensors is not a readable safetensors file"):
        minilm.load(tiny_dir, engine="numpy")


def test_missing_and_malformed_config(tiny_dir: Path) -> None:
    (tiny_dir / "config.json").write_text("{not json")
    with pytest.raises(minilm.CheckpointError, match="config.json is not valid JSON"):
        minilm.load(tiny_dir, engine="numpy")
    (tiny_dir / "config.json").unlink()
    with pytest.raises(minilm.CheckpointError, match="config.json is missing"):
        minilm.load(tiny_dir, engine="numpy")


def test_missing_weights_and_tokenizer(tiny_dir: Path) -> None:
    (tiny_dir / "vocab.txt").unlink()
    with pytest.raises(minilm.CheckpointError, match="neither tokenizer.json nor vocab.txt"):
        read_folder(tiny_dir)
    write_tiny_model(tiny_dir)
    (tiny_dir / "model.safetensors").unlink()
    with pytest.raises(minilm.CheckpointError, match="model.safetensors is missing"):
        read_folder(tiny_dir)


def test_not_bert_is_refused(tiny_dir: Path) -> None:
    raw = TINY_CONFIG.to_dict() | {"model_type": "roberta"}
    (tiny_dir / "config.json").write_text(json.dumps(raw))
    with pytest.raises(minilm.CheckpointError, match="model_type is 'roberta', expected 'bert'"):
        read_folder(tiny_dir)


def test_truncation_comes_from_sentence_bert_config(tmp_path: Path) -> None:
    model = minilm.load(write_tiny_model(tmp_path / "m", max_seq_length=8), engine="numpy")
    assert model.max_seq_length == 8
    assert len(model.tokenize("the cat sat on the mat the cat sat on the mat")[0]) == 8


def test_plain_huggingface_folder_gets_mean_pooling_and_normalize(tiny_dir: Path, tiny) -> None:
    for name in ("modules.json", "sentence_bert_config.json"):
        (tiny_dir / name).unlink()
    model = minilm.load(tiny_dir, engine="numpy")
    assert model.max_seq_length == TINY_CONFIG.max_position_embeddings
    assert np.allclose(model.encode("the cat"), tiny.encode("the cat"), atol=1e-6)


def test_tokenizer_json_and_vocab_txt_agree(tmp_path: Path, tiny_dir: Path) -> None:
    from minilm.tokenizer import Tokenizer

    folder = read_folder(tiny_dir)
    from_vocab = Tokenizer.from_folder(folder)
    from_vocab.backend.save(str(tiny_dir / "tokenizer.json"))
    from_json = Tokenizer.from_folder(read_folder(tiny_dir))
    texts = ["The CAT sat!", "héllo wörld", "", "running dogs [MASK]"]
    assert from_json(texts) == from_vocab(texts)


def test_unreadable_tokenizer_json(tiny_dir: Path) -> None:
    (tiny_dir / "tokenizer.json").write_text("{}")
    with pytest.raises(minilm.CheckpointError, match="tokenizer.json could not be read as a tokenizer"):
        minilm.load(tiny_dir, engine="numpy")


def test_unknown_engine_is_named(tiny_dir: Path) -> None:
    with pytest.raises(minilm.InputError, match="engine 'cuda' is unknown"):
        minilm.load(tiny_dir, engine="cuda")


@pytest.mark.parametrize("field, value", [("num_hidden_layers", 3), ("vocab_size", 40), ("hidden_size", 16)])
def test_config_that_disagrees_with_cached_weights_is_refused(tiny_dir: Path, field: str, value: int) -> None:
    minilm.load(tiny_dir, engine="onnx")  # builds and caches the graph under the weights' sha256
    config = json.loads((tiny_dir / "config.json").read_text())
    (tiny_dir / "config.json").write_text(json.dumps({**config, field: value}))
    for engine in ("onnx", "numpy"):  # the cached graph would load without reading the weights
        with pytest.raises(minilm.CheckpointError, match="model.safetensors"):
            minilm.load(tiny_dir, engine=engine)
