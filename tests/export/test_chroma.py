"""The `onnx` export read by Chroma's own ONNX embedding function (ONNXMiniLM_L6_V2), no minilm code on its side.

The function reads DOWNLOAD_PATH / EXTRACTED_FOLDER_NAME / {model.onnx, tokenizer.json, config.json, ...} and
downloads an archive only when one of those files is missing; both names are set on the instance (docs/export.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minilm
from minilm.export import export

from . import onnx_reader
from .pruned import pruned_tiny_model

UNSEEN = ["Crème brûlée, naïve café", "THE DOG SAT ON A MAT!", "Les élèves étudient à l'école près de la forêt.",
          " ".join(["that sunny day on the quiet lake"] * 60)]  # fmt: skip


def chroma_on(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Chroma's function pointed at an export folder; a download attempt fails the test."""
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    def no_network(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("Chroma's function tried to download its model")

    monkeypatch.setattr(ONNXMiniLM_L6_V2, "_download", no_network)
    function = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    function.DOWNLOAD_PATH = folder.parent  # type: ignore[misc]
    function.EXTRACTED_FOLDER_NAME = folder.name  # type: ignore[misc]
    return function


def test_real_model_fp32_within_1e5_on_golden_and_unseen(tmp_path: Path, golden, real_model, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    texts, ids, vectors = golden
    folder = tmp_path / "all-minilm"
    export(folder, "onnx")
    function = chroma_on(folder, monkeypatch)
    got = np.array(function(texts), np.float64)
    assert got.shape == vectors.shape
    assert np.abs(got - vectors).max() < 1e-5
    for text, want in zip(texts, ids, strict=True):  # its ids, up to its padding to 256, are the reference's
        encoded = function.tokenizer.encode(text)
        assert encoded.ids[: sum(encoded.attention_mask)] == want
    unseen = np.array(function(UNSEEN), np.float64)
    assert np.abs(unseen - real_model.encode(UNSEEN)).max() < 1e-5


def test_real_model_int8_worst_cosine(tmp_path: Path, golden, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    texts, _, vectors = golden
    folder = tmp_path / "int8"
    export(folder, "onnx", precision="int8")
    got = np.array(chroma_on(folder, monkeypatch)(texts), np.float64)
    assert onnx_reader.worst_cosine(got, vectors) >= 0.99
    assert np.abs(got - vectors).max() > 1e-4  # the int8 model.onnx really was read


def test_pruned_model(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pruned = pruned_tiny_model(tmp_path, max_position_embeddings=300)
    folder = tmp_path / "pruned-onnx"
    export(folder, "onnx", model=pruned)
    texts = ["the cat sat on the mat", "a happy person", "hello world !", "é", "the dog is running today ."]
    got = np.array(chroma_on(folder, monkeypatch)(texts), np.float64)
    assert np.abs(got - minilm.load(pruned, engine="numpy").encode(texts)).max() < 1e-5
