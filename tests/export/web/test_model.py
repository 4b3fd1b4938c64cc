"""`minilm export web`, the model half: the exported page in headless Chromium against the reference.

One export per precision of the real model (module scope); a tiny random model for the errors, the CLI and the
cross-origin-isolated (threaded) page.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minilm
from minilm.cli.main import main
from minilm.errors import InputError, MissingExtraError, OutputError
from minilm.export.web import MANIFEST, export_web, runtime

from ...conftest import write_tiny_model
from .browser import page

pytestmark = pytest.mark.integration

TEXTS = ["the cat sat on the mat", "a happy person", "hello world !", "é", "", "the dog is running today .",
         "Crème brûlée, naïve café", "THE DOG SAT ON A MAT!", " ".join(["that sunny day"] * 40),
         "[PAD] [cls]x"]  # fmt: skip
VECTORS = "return window.minilm.embed(arguments[0]).then(vs => vs.map(v => Array.from(v)))"
IDS = "return Promise.all(arguments[0].map(t => window.minilm.tokenize(t)))"
# a rejected call's Error, as "Name: message" (null when the call resolved)
REJECTED = "return ({f}).then(() => null, e => `${{e.name}}: ${{e.message}}`)"


def rejected(driver: Any, call: str) -> str | None:
    return driver.execute_script(REJECTED.format(f=call))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("web")
    for precision in ("fp32", "int8"):
        export_web(root / precision, precision=precision)
    return {"fp32": root / "fp32", "int8": root / "int8"}


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("web-tiny")
    model = write_tiny_model(root / "tiny")
    export_web(root / "site", model=model, precision="fp32", max_size=10**9)
    return model, root / "site"


@pytest.fixture(scope="module")
def int8_page(sites: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with page(sites["int8"], tmp_path_factory.mktemp("profile")) as driver:
        yield driver


def test_token_ids_equal_the_reference_on_every_golden_text(int8_page: Any, golden) -> None:  # type: ignore[no-untyped-def]
    texts, ids, _ = golden
    assert int8_page.execute_script(IDS, texts) == ids


def test_int8_vectors_worst_cosine_at_least_0_99(int8_page: Any, golden) -> None:  # type: ignore[no-untyped-def]
    texts, _, reference = golden
    vectors = np.array(int8_page.execute_script(VECTORS, texts), dtype=np.float32)
    assert vectors.shape == reference.shape
    cosines = (vectors * reference).sum(axis=1) / np.linalg.norm(vectors, axis=1)
    assert cosines.min() >= 0.99
    assert np.abs(np.linalg.norm(vectors, axis=1) - 1).max() < 1e-5  # L2-normalized in JS
    assert np.abs(vectors - reference).max() > 1e-4  # the int8 graph really is another graph


def test_fp32_vectors_within_1e_5(sites: dict[str, Path], golden, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    texts, _, reference = golden
    with page(sites["fp32"], tmp_path / "profile") as driver:
        vectors = np.array(driver.execute_script(VECTORS, texts), dtype=np.float32)
        one = np.array(driver.execute_script(VECTORS, [texts[-1]]), dtype=np.float32)
    assert np.abs(vectors - reference).max() < 1e-5
    assert np.abs(one[0] - vectors[-1]).max() < 1e-6  # alone or in a length-sorted batch


def test_manifest_and_folder(sites: dict[str, Path]) -> None:
    manifest = json.loads((sites["int8"] / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["precision"] == "int8" and manifest["dimension"] == 384 and manifest["index"] is None
    assert manifest["max_seq_length"] == 256 and manifest["onnxruntime_web"] == runtime.pinned()
    assert manifest["tokenizer_file"] == "wordpiece.json.gz" and manifest["wasm_file"] == f"ort/{runtime.WASM}.gz"
    names = ["model_int8.onnx", "wordpiece.json.gz", "minilm.js", "tokenizer.js", "index.html",
             "ort/ort.wasm.min.mjs", "ort/ort-wasm-simd-threaded.mjs", f"ort/{runtime.WASM}.gz"]  # fmt: skip
    on_disk = [p.relative_to(sites["int8"]).as_posix() for p in sites["int8"].rglob("*") if p.is_file()]
    assert sorted(manifest["files"]) == sorted(name for name in on_disk if name != MANIFEST)
    for name in names:
        assert manifest["files"][name]["bytes"] == (sites["int8"] / name).stat().st_size
    assert manifest["bytes_without_index"] == sum(e["bytes"] for e in manifest["files"].values())
    wasm = (runtime.package_dir() / "dist" / runtime.WASM).read_bytes()
    assert gzip.decompress((sites["int8"] / manifest["wasm_file"]).read_bytes()) == wasm
    assert manifest["files"][manifest["wasm_file"]]["bytes"] < len(wasm) / 2
    fp32 = json.loads((sites["fp32"] / MANIFEST).read_text(encoding="utf-8"))
    assert fp32["files"]["model.onnx"]["bytes"] > 3.5 * manifest["files"]["model_int8.onnx"]["bytes"]


def test_int8_bundle_at_most_30_mb_on_disk_and_byte_identical_twice(sites: dict[str, Path], tmp_path: Path) -> None:
    first = {p.relative_to(sites["int8"]).as_posix(): p.read_bytes() for p in sites["int8"].rglob("*") if p.is_file()}
    assert sum(len(data) for data in first.values()) <= 30_000_000  # every file, the manifest too
    export_web(tmp_path / "again", precision="int8")
    again = {p.relative_to(tmp_path / "again").as_posix(): p.read_bytes()
             for p in (tmp_path / "again").rglob("*") if p.is_file()}  # fmt: skip
    assert sorted(again) == sorted(first)
    assert [name for name in first if first[name] != again[name]] == []


def test_bad_input_rejects_with_a_clear_error(int8_page: Any) -> None:
    assert rejected(int8_page, "window.minilm.embed('one text')") == (
        "TypeError: embed: expected an array of strings, got string"
    )
    assert rejected(int8_page, "window.minilm.embed(['a', 3])") == (
        "TypeError: embed: texts[1] is number, expected a string"
    )
    assert rejected(int8_page, "window.minilm.tokenize(null)") == "TypeError: tokenize: expected a string, got null"
    assert rejected(int8_page, "window.minilm.search('a query', 3)") == (
        "Error: search: this export has no index (export with --index NAME)"
    )
    assert rejected(int8_page, "window.minilm.embed([])") is None


def test_load_marks_its_stages_in_order(int8_page: Any) -> None:
    marks = int8_page.execute_script(
        "return window.minilm.ready.then(() => performance.getEntriesByType('mark')"
        ".filter(m => m.name.startsWith('minilm:')).map(m => [m.name, m.startTime]))"
    )
    assert [name for name, _ in marks] == ["minilm:manifest", "minilm:files", "minilm:session", "minilm:ready"]
    assert [t for _, t in marks] == sorted(t for _, t in marks)


def test_tiny_model_ids_and_vectors_with_threads(tiny_site: tuple[Path, Path], tmp_path: Path) -> None:
    """The tiny model's page, once single-threaded and once cross-origin isolated (COOP/COEP: wasm threads)."""
    folder, site = tiny_site
    tiny = minilm.load(folder, engine="numpy")
    expected_ids = [[int(i) for i in t] for t in tiny.tokenize(TEXTS)]
    reference = tiny.encode(TEXTS)
    seen = {}
    for isolated in (False, True):
        with page(site, tmp_path / f"profile-{isolated}", isolated=isolated) as driver:
            assert driver.execute_script("return window.crossOriginIsolated") is isolated
            threads = driver.execute_script("return window.minilm.ready.then(m => m.threads)")
            assert driver.execute_script(IDS, TEXTS) == expected_ids
            seen[isolated] = np.array(driver.execute_script(VECTORS, TEXTS), dtype=np.float32)
        assert np.abs(seen[isolated] - reference).max() < 1e-5
        assert threads == (min(4, os.cpu_count() or 1) if isolated else 1)


def test_page_loads_when_the_server_sends_gz_files_with_content_encoding(tiny_site: tuple[Path, Path],
                                                                         tmp_path: Path) -> None:  # fmt: skip
    """A server that sends NAME.gz with Content-Encoding: gzip: fetch inflates them, minilm.js must not again."""
    folder, site = tiny_site
    reference = minilm.load(folder, engine="numpy").encode(TEXTS)
    with page(site, tmp_path / "profile", encoded=True) as driver:
        vectors = np.array(driver.execute_script(VECTORS, TEXTS), dtype=np.float32)
        gz = driver.execute_script(
            "return performance.getEntriesByType('resource')"
            ".filter(e => e.name.endsWith('.gz')).map(e => e.decodedBodySize > e.encodedBodySize)"
        )
    assert gz == [True, True]  # the wasm and the tokenizer, inflated by the browser
    assert np.abs(vectors - reference).max() < 1e-5


def test_force_over_an_older_export_removes_its_plain_files(tiny_site: tuple[Path, Path], tmp_path: Path) -> None:
    folder, _ = tiny_site
    out = tmp_path / "site"
    (out / "ort").mkdir(parents=True)
    for name in ("wordpiece.json", f"ort/{runtime.WASM}"):
        (out / name).write_text("an older export's uncompressed file")
    manifest = export_web(out, model=folder, force=True, max_size=10**9)
    assert not (out / "wordpiece.json").exists() and not (out / "ort" / runtime.WASM).exists()
    assert "wordpiece.json" not in manifest["files"] and f"ort/{runtime.WASM}" not in manifest["files"]


def test_errors_before_any_work(tiny_site: tuple[Path, Path], tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    folder, _ = tiny_site
    with pytest.raises(InputError, match="no precision 'fp16': choose one of int8, fp32"):
        export_web(tmp_path / "a", model=folder, precision="fp16")
    with pytest.raises(InputError, match="--storage applies to an exported index: pass --index too"):
        export_web(tmp_path / "a", model=folder, storage="binary")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(OutputError, match="is not empty"):
        export_web(tmp_path / "full", model=folder)
    monkeypatch.setenv(runtime.ENV, str(tmp_path / "nowhere"))
    with pytest.raises(MissingExtraError) as caught:
        export_web(tmp_path / "b", model=folder)
    assert f"onnxruntime-web {runtime.pinned()}, not found in {tmp_path / 'nowhere'}" in str(caught.value)
    assert "npm ci --ignore-scripts" in str(caught.value) and runtime.ENV in str(caught.value)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]


def test_size_over_the_limit_warns_with_the_figure(tiny_site: tuple[Path, Path], tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    folder, _ = tiny_site
    with caplog.at_level(logging.WARNING, logger="minilm.export.web"):
        manifest = export_web(tmp_path / "site", model=folder, precision="int8", max_size=1_000_000)
    size = manifest["bytes_without_index"]
    assert size > 1_000_000  # the wasm runtime alone is over it
    assert f"is {size / 1e6:.1f} MB without its index, over the stated 1.0 MB (int8)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="minilm.export.web"):
        export_web(tmp_path / "site", model=folder, precision="int8", max_size=size, force=True)
    assert "over the stated" not in caplog.text


def test_cli(tiny_site: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = tiny_site
    out = tmp_path / "site"
    assert main(["-q", "export", "web", str(out), "--model", str(folder), "--precision", "fp32"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["out"] == str(out) and printed["precision"] == "fp32" and printed["index"] is None
    assert printed["bytes_without_index"] == json.loads((out / MANIFEST).read_text())["bytes_without_index"]
    assert main(["export", "web", str(tmp_path / "x"), "--model", str(folder), "--check"]) == 1
    assert capsys.readouterr().err == ("minilm export: error: minilm export web takes no --format or --check "
                                       "(its parity is tested in Chromium)\n")  # fmt: skip
    assert main(["export", str(tmp_path / "y"), "--model", str(folder)]) == 1
    assert "--format is required" in capsys.readouterr().err
