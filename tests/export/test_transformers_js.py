"""`minilm export --format transformers.js`, loaded by Transformers.js in Node (tests/export/js/embed.mjs).

scripts/test installs the Node package (npm ci --ignore-scripts in tests/export/js).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm.cli.main import main
from minilm.errors import MissingExtraError
from minilm.export import export

from .onnx_reader import worst_cosine
from .pruned import pruned_tiny_model

JS = Path(__file__).parent / "js"
TEXTS = ["the cat sat on the mat", "a happy person", "hello world !", "é", "the dog is running today ."]


def _node(folder: Path, dtype: str, texts: list[str], tmp_path: Path) -> tuple[list[list[int]], np.ndarray]:
    if shutil.which("node") is None or not (JS / "node_modules" / "@huggingface" / "transformers").is_dir():
        pytest.fail("Node and tests/export/js/node_modules are needed: cd tests/export/js && npm ci --ignore-scripts")
    (tmp_path / "texts.json").write_text(json.dumps(texts))
    run = subprocess.run(["node", "embed.mjs", str(folder), dtype, str(tmp_path / "texts.json")], cwd=JS,
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    out = json.loads(run.stdout)
    return out["ids"], np.array(out["vectors"], np.float64)


def test_real_model_fp32_and_quantized(tmp_path: Path, golden) -> None:  # type: ignore[no-untyped-def]
    texts, ids, vectors = golden
    folder = tmp_path / "all-minilm"
    export(folder, "transformers.js")
    got_ids, fp32 = _node(folder, "fp32", texts, tmp_path)
    # Transformers.js cuts a text past 256 tokens after adding [CLS]/[SEP], so its last id is a word piece where
    # the reference has [SEP] (docs/export.md); every other id agrees
    agree = [i for i, (a, b) in enumerate(zip(got_ids, ids, strict=True)) if a == b]
    for i in set(range(len(ids))) - set(agree):
        assert len(ids[i]) == 256 and got_ids[i][:-1] == ids[i][:-1] and ids[i][-1] == 102 != got_ids[i][-1]
    assert len(agree) >= 250
    assert np.abs(fp32[agree] - vectors[agree]).max() < 1e-5
    _, q8 = _node(folder, "q8", texts, tmp_path)
    assert worst_cosine(q8[agree], vectors[agree]) >= 0.99
    assert np.abs(q8 - vectors).max() > 1e-4  # model_quantized.onnx really was read


def test_pruned_model(tmp_path: Path) -> None:
    pruned = pruned_tiny_model(tmp_path)
    folder = tmp_path / "pruned-js"
    export(folder, "transformers.js", model=pruned)
    model = minilm.load(pruned, engine="numpy")
    ids, vectors = _node(folder, "fp32", TEXTS, tmp_path)
    assert ids == [[int(i) for i in t] for t in model.tokenize(TEXTS)]
    assert np.abs(vectors - model.encode(TEXTS)).max() < 1e-5


def test_check_runs_node_and_records_both_files(tiny_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["-q", "export", str(out), "--format", "transformers.js", "--model", str(tiny_dir), "--check"])
    assert code == 0
    checks = json.loads((out / "minilm_export.json").read_text())["checks"]
    assert [c["consumer"].split(" (")[0] for c in checks] == ["transformers.js onnx/model.onnx",
                                                              "transformers.js onnx/model_quantized.onnx"]  # fmt: skip
    assert all(c["texts"] >= 5 for c in checks)
    assert checks[0]["max_abs_diff"] < 1e-5
    assert checks[1]["max_abs_diff"] > checks[0]["max_abs_diff"]  # the quantized file is another graph


def test_check_without_the_package_names_the_npm_command(tiny_dir: Path, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MINILM_TRANSFORMERS_JS", str(tmp_path / "empty"))
    with pytest.raises(MissingExtraError, match=r"MINILM_TRANSFORMERS_JS=.*empty: run `npm install --ignore-scripts"):
        export(tmp_path / "out", "transformers.js", model=tiny_dir, check=True)
    code = main(["export", str(tmp_path / "out2"), "--format", "transformers.js", "--model", str(tiny_dir),
                 "--check"])  # fmt: skip
    assert code != 0
    err = capsys.readouterr().err
    assert "npm install --ignore-scripts @huggingface/transformers@4" in err and "Traceback" not in err
