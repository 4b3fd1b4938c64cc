"""`minilm export --format openvino`, read back by the OpenVINO runtime and tokenizers only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openvino as ov
from tokenizers import Tokenizer

import minilm
from minilm.export import export

from .onnx_reader import worst_cosine
from .pruned import pruned_tiny_model

TEXTS = ["the cat sat on the mat", "a happy person", "hello world !", "é", "", "the dog is running today ."]


def _encode(folder: Path, texts: list[str]) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
    """(ids, openvino_model.xml's states mean-pooled and normalized here, sentence_model.xml's output)."""
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    core = ov.Core()
    hint = {"INFERENCE_PRECISION_HINT": "f32"}
    states = core.compile_model(str(folder / "openvino_model.xml"), "CPU", hint)
    sentences = core.compile_model(str(folder / "sentence_model.xml"), "CPU", hint)
    ids, pooled, direct = [], [], []
    for e in tokenizer.encode_batch(texts):
        feed = {"input_ids": np.array([e.ids]), "attention_mask": np.array([e.attention_mask]),
                "token_type_ids": np.array([e.type_ids])}  # fmt: skip
        mean = np.asarray(states(feed)[0], np.float64)[0].mean(axis=0)
        ids.append(e.ids)
        pooled.append(mean / np.linalg.norm(mean))
        direct.append(np.asarray(sentences(feed)[0], np.float64)[0])
    return ids, np.stack(pooled), np.stack(direct)


def test_real_model_fp32_and_int8(tmp_path: Path, golden) -> None:  # type: ignore[no-untyped-def]
    texts, ids, vectors = golden
    export(tmp_path / "fp32", "openvino")
    got_ids, pooled, direct = _encode(tmp_path / "fp32", texts)
    assert got_ids == ids
    assert np.abs(pooled - vectors).max() < 1e-5 and np.abs(direct - vectors).max() < 1e-5
    export(tmp_path / "int8", "openvino", precision="int8")
    _, pooled8, direct8 = _encode(tmp_path / "int8", texts)
    assert worst_cosine(direct8, vectors) >= 0.99 and worst_cosine(pooled8, vectors) >= 0.99
    assert np.abs(direct8 - vectors).max() > 1e-4  # really the quantized model


def test_pruned_model(tmp_path: Path) -> None:
    pruned = pruned_tiny_model(tmp_path)
    out = tmp_path / "out"
    export(out, "openvino", model=pruned, check=True)
    reference = minilm.load(pruned, engine="numpy").encode(TEXTS)
    _, pooled, direct = _encode(out, TEXTS)
    assert np.abs(pooled - reference).max() < 1e-5 and np.abs(direct - reference).max() < 1e-5
    manifest = json.loads((out / "minilm_export.json").read_text())
    assert manifest["format"] == "openvino" and all(c["max_abs_diff"] < 1e-5 for c in manifest["checks"])
    assert {"openvino_model.xml", "openvino_model.bin", "sentence_model.xml"} <= set(manifest["files"])
