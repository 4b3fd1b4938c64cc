"""The `onnx` export read by fastembed's custom-model loader (TextEmbedding.add_custom_model, specific_model_path),
in its own interpreter: tests/export/fastembed_child.py runs in .venv-fastembed, which holds fastembed and no
minilm (fastembed pins huggingface_hub < 2, so scripts/test builds that virtualenv beside .venv).

fastembed truncates at the limit it reads from the folder's tokenizer_config.json: 256 on the export. Its own
registered all-MiniLM-L6-v2 is a copy whose tokenizer_config.json says max_length 128 (docs/export.md); the
second test puts that limit in the export and measures what it changes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm.export import export

from .onnx_reader import worst_cosine
from .pruned import pruned_tiny_model

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-fastembed" / "bin" / "python"
CHILD = Path(__file__).with_name("fastembed_child.py")
SEP = 102
UNSEEN = ["Crème brûlée, naïve café", "THE DOG SAT ON A MAT!", "Les élèves étudient à l'école près de la forêt.",
          "東京タワーと北京の天気", "rocket 🚀 party 🥳", "a literal [MASK] and [PAD] in the text", "",
          " ".join(["that sunny day on the quiet lake"] * 60)]  # fmt: skip


def fastembed(folder: Path, texts: list[str], work: Path) -> tuple[int, list[list[int]], np.ndarray]:
    """(fastembed's truncation limit, its ids without padding, its vectors) for `texts` on an export folder."""
    if not PYTHON.is_file():
        pytest.fail(f"{PYTHON} is missing: bash scripts/test builds it (fastembed in its own virtualenv)")
    work.mkdir()
    (work / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    argv = [str(PYTHON), str(CHILD), str(folder), str(work / "texts.json"), str(work / "out.npy")]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env)
    if run.returncode != 0:
        pytest.fail(f"fastembed on {folder} failed:\n{run.stderr[-4000:]}")
    out = json.loads(run.stdout.strip().splitlines()[-1])
    return out["max_length"], out["ids"], np.load(work / "out.npy").astype(np.float64)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fastembed") / "all-minilm"
    export(folder, "onnx")
    return folder


def test_real_model_at_256_tokens_on_golden_and_unseen(exported, tmp_path, golden, real_model) -> None:  # type: ignore[no-untyped-def]
    texts, ids, vectors = golden
    max_length, got_ids, got = fastembed(exported, texts + UNSEEN, tmp_path / "run")
    assert max_length == 256
    assert got_ids[: len(texts)] == ids
    assert np.abs(got[: len(texts)] - vectors).max() < 1e-5
    assert got_ids[len(texts) :] == [[int(i) for i in row] for row in real_model.tokenize(UNSEEN)]
    assert np.abs(got[len(texts) :] - real_model.encode(UNSEEN)).max() < 1e-5


def test_its_128_token_default_changes_every_text_past_128(exported, tmp_path, golden) -> None:  # type: ignore[no-untyped-def]
    texts, ids, vectors = golden
    folder = tmp_path / "at-128"
    shutil.copytree(exported, folder)
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    (folder / "tokenizer_config.json").write_text(json.dumps({**config, "max_length": 128}), encoding="utf-8")
    max_length, got_ids, got = fastembed(folder, texts, tmp_path / "run")
    assert max_length == 128
    long = [i for i in range(len(texts)) if len(ids[i]) > 128]
    short = [i for i in range(len(texts)) if len(ids[i]) <= 128]
    assert len(long) >= 30
    assert all(got_ids[i] == [*ids[i][:127], SEP] for i in long)
    assert [got_ids[i] for i in short] == [ids[i] for i in short]
    assert np.abs(got[short] - vectors[short]).max() < 1e-5
    cosines = np.sum(got[long] * vectors[long], axis=1)
    # docs/export.md: every text past 128 word pieces moves, the worst to cosine 0.812
    assert cosines.max() < 0.9999 and worst_cosine(got[long], vectors[long]) < 0.9


def test_pruned_model(tmp_path: Path) -> None:
    pruned = pruned_tiny_model(tmp_path, max_position_embeddings=300)
    folder = tmp_path / "pruned-onnx"
    export(folder, "onnx", model=pruned)
    texts = ["the cat sat on the mat", "a happy person", "hello world !", "é", "the dog is running today ."]
    model = minilm.load(pruned, engine="numpy")
    _, ids, got = fastembed(folder, texts, tmp_path / "run")
    assert ids == [[int(i) for i in row] for row in model.tokenize(texts)]
    assert np.abs(got - model.encode(texts)).max() < 1e-5
