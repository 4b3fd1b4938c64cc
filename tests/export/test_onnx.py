"""`minilm export --format onnx`, read back by onnxruntime + tokenizers only (tests/export/onnx_reader.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm.cli.main import main
from minilm.errors import CheckpointError, InputError
from minilm.export import export

from ..conftest import write_tiny_model
from . import onnx_reader
from .pruned import pruned_tiny_model

TEXTS = ["the cat sat on the mat", "a happy person", "hello world !", "é", "", "the dog is running today ."]
UNSEEN = ["Crème brûlée, naïve café", "THE DOG SAT ON A MAT!", " ".join(["that sunny day"] * 40)]


def test_real_model_fp32_and_int8_match_the_reference(tmp_path: Path, golden) -> None:  # type: ignore[no-untyped-def]
    texts, ids, vectors = golden
    fp32 = tmp_path / "fp32"
    export(fp32, "onnx")
    assert onnx_reader.token_ids(fp32, texts) == ids  # truncation at 256, accents stripped
    pooled, direct = onnx_reader.encode(fp32, texts)
    assert np.abs(pooled - vectors).max() < 1e-5
    assert np.abs(direct - vectors).max() < 1e-5
    int8 = tmp_path / "int8"
    export(int8, "onnx", precision="int8")
    pooled8, direct8 = onnx_reader.encode(int8, texts)
    assert onnx_reader.worst_cosine(direct8, vectors) >= 0.99
    assert np.abs(pooled8 - direct8).max() < 1e-5
    assert np.abs(direct8 - vectors).max() > 1e-4  # the int8 graph really is another graph


def test_tiny_model_matches_minilm(tiny_dir: Path, tiny, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    export(out, "onnx", model=tiny_dir)
    texts = TEXTS + UNSEEN
    assert onnx_reader.token_ids(out, texts) == [[int(i) for i in t] for t in tiny.tokenize(texts)]
    pooled, direct = onnx_reader.encode(out, texts)
    reference = tiny.encode(texts)
    assert np.abs(pooled - reference).max() < 1e-5
    assert np.abs(direct - reference).max() < 1e-5


def test_pruned_model_exports_and_matches(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pruned = pruned_tiny_model(tmp_path)
    reference = minilm.load(pruned, engine="numpy").encode(TEXTS + UNSEEN)
    for precision in ("fp32", "int8"):
        out = tmp_path / precision
        code = main(["-q", "export", str(out), "--format", "onnx", "--model", str(pruned), "--precision",
                     precision, "--check"])  # fmt: skip
        assert code == 0
        manifest = json.loads((out / "minilm_export.json").read_text())
        assert manifest["precision"] == precision and len(manifest["checks"]) == 2
        pooled, direct = onnx_reader.encode(out, TEXTS + UNSEEN)
        if precision == "fp32":
            assert np.abs(direct - reference).max() < 1e-5
            assert all(c["max_abs_diff"] < 1e-5 for c in manifest["checks"])
        else:
            assert onnx_reader.worst_cosine(direct, reference) >= 0.95
        assert np.abs(pooled - direct).max() < 1e-5


def test_manifest_certifies_the_source(tiny_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = export(out, "onnx", model=tiny_dir, check=True)
    manifest = json.loads((out / "minilm_export.json").read_text())
    assert (
        manifest["source_weights_sha256"] == hashlib.sha256((tiny_dir / "model.safetensors").read_bytes()).hexdigest()
    )
    assert manifest["format"] == "onnx" and manifest["precision"] == "fp32"
    assert manifest["minilm_version"] == minilm.__version__
    assert manifest["files"]["model.onnx"]["bytes"] == (out / "model.onnx").stat().st_size
    assert {c["consumer"] for c in manifest["checks"]} == {c.consumer for c in result.checks}
    assert all(c["max_abs_diff"] < 1e-5 and c["worst_cosine"] > 0.99999 for c in manifest["checks"])
    truncation = json.loads((out / "tokenizer.json").read_text())["truncation"]
    assert truncation["max_length"] == 16  # the tiny model's max_seq_length, not tokenizer.json's


def test_bad_format_and_precision_name_the_choices(tiny_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown format 'tflite': choose one of onnx"):
        export(tmp_path / "a", "tflite", model=tiny_dir)
    with pytest.raises(InputError, match=r"format onnx has no precision 'q4': choose one of fp32, int8"):
        export(tmp_path / "a", "onnx", model=tiny_dir, precision="q4")
    assert not (tmp_path / "a").exists()


def test_non_empty_output_refused_without_force(tiny_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code = main(["export", str(out), "--format", "onnx", "--model", str(tiny_dir)])
    assert code == 1
    err = capsys.readouterr().err
    assert (
        err
        == f"minilm export: error: {out} is not empty: choose an empty directory, or pass --force to write into it\n"
    )
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    export(out, "onnx", model=tiny_dir, force=True)
    assert (out / "keep.txt").read_text() == "mine" and (out / "model.onnx").is_file()


@pytest.mark.parametrize(("remove", "message"), [
    ("config.json", "config.json is missing"),
    ("model.safetensors", "model.safetensors is missing"),
    ("vocab.txt", "has neither tokenizer.json nor vocab.txt"),
])  # fmt: skip
def test_incomplete_model_folder_refused(tiny_dir: Path, tmp_path: Path, remove: str, message: str) -> None:
    (tiny_dir / remove).unlink()
    with pytest.raises(CheckpointError, match=message):
        export(tmp_path / "out", "onnx", model=tiny_dir)
    assert not (tmp_path / "out").exists()


def test_other_pooling_refused(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path / "cls", pooling="cls")
    with pytest.raises(CheckpointError, match="pooling mode 'cls'; export writes mean-pooled models only"):
        export(tmp_path / "out", "onnx", model=folder)
