"""`minilm export --format sentence-transformers`, loaded by sentence-transformers itself (torch, CPU)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open

import minilm
from minilm.cli.main import main
from minilm.export import export

from .pruned import pruned_tiny_model

TEXTS = ["the cat sat on the mat", "a happy person", "hello world !", "é", "", "the dog is running today ."]


def _load(folder: Path):  # type: ignore[no-untyped-def]
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


def test_real_model_matches_the_reference(tmp_path: Path, golden) -> None:  # type: ignore[no-untyped-def]
    texts, ids, vectors = golden
    out = tmp_path / "st"
    export(out, "sentence-transformers")
    with safe_open(str(out / "model.safetensors"), framework="numpy") as f:
        keys = set(f.keys())
    assert "encoder.layer.5.attention.self.query.weight" in keys and "embeddings.word_embeddings.weight" in keys
    model = _load(out)
    assert model.max_seq_length == 256
    assert model.tokenizer(texts, truncation=True, max_length=256)["input_ids"] == ids
    got = model.encode(texts, batch_size=32, convert_to_numpy=True)
    assert np.abs(got - vectors).max() < 1e-6


def test_pruned_model_and_f16(tmp_path: Path) -> None:
    pruned = pruned_tiny_model(tmp_path)
    reference = minilm.load(pruned, engine="numpy").encode(TEXTS)
    out = tmp_path / "fp32"
    assert main(["-q", "export", str(out), "--format", "sentence-transformers", "--model", str(pruned),
                 "--check"]) == 0  # fmt: skip
    assert np.abs(_load(out).encode(TEXTS, convert_to_numpy=True) - reference).max() < 1e-6
    checks = json.loads((out / "minilm_export.json").read_text())["checks"]
    assert checks[0]["ids_equal"] is True and checks[0]["max_abs_diff"] < 1e-6
    half = tmp_path / "f16"
    export(half, "sentence-transformers", model=pruned, precision="f16")
    with safe_open(str(half / "model.safetensors"), framework="numpy") as f:
        assert f.get_tensor("encoder.layer.2.output.dense.weight").dtype == np.float16
    vectors = _load(half).encode(TEXTS, convert_to_numpy=True).astype(np.float64)
    cosine = np.sum(vectors * reference, axis=1) / np.linalg.norm(vectors, axis=1)
    assert cosine.min() > 0.999


def test_unknown_precision(tiny_dir: Path, tmp_path: Path) -> None:
    from minilm.errors import InputError

    with pytest.raises(
        InputError, match="format sentence-transformers has no precision 'int8': choose one of fp32, f16"
    ):
        export(tmp_path / "x", "sentence-transformers", model=tiny_dir, precision="int8")
