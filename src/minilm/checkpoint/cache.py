"""Where minilm keeps files on disk: its model cache, the Hugging Face cache it reads, and a digest memo."""

from __future__ import annotations

import json
import os
from pathlib import Path

from minilm.checkpoint.weights import sha256_file
from minilm.files import write_text_atomic


def minilm_home() -> Path:
    """$MINILM_HOME, else $XDG_CACHE_HOME/minilm, else ~/.cache/minilm."""
    if env := os.environ.get("MINILM_HOME"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "minilm"


def model_cache_dir(repo_id: str) -> Path:
    """minilm's own folder for a model: <home>/models/ORG--NAME."""
    return minilm_home() / "models" / repo_id.replace("/", "--")


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache, resolved as huggingface_hub does (HF_HUB_CACHE, HF_HOME, XDG)."""
    if env := os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(env)
    if env := os.environ.get("HF_HOME"):
        return Path(env) / "hub"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "huggingface" / "hub"


def hf_snapshot(repo_id: str, cache: Path | None = None) -> Path | None:
    """The snapshot folder of repo_id in the hub cache (refs/main first, else the newest), or None."""
    root = (cache or hf_hub_cache()) / f"models--{repo_id.replace('/', '--')}"
    snapshots = root / "snapshots"
    if not snapshots.is_dir():
        return None
    ref = root / "refs" / "main"
    if ref.is_file():
        candidate = snapshots / ref.read_text().strip()
        if (candidate / "model.safetensors").exists():
            return candidate
    found = [p for p in snapshots.iterdir() if (p / "model.safetensors").exists()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def file_digest(path: Path) -> str:
    """sha256 of a weights file, remembered by (real path, size, mtime) so a warm load does not re-hash."""
    real = path.resolve()
    stat = real.stat()
    memo_file = minilm_home() / "digests.json"
    key = str(real)
    stamp = [stat.st_size, stat.st_mtime_ns]
    try:
        memo = json.loads(memo_file.read_text())
    except (OSError, ValueError):
        memo = {}
    entry = memo.get(key)
    if isinstance(entry, dict) and entry.get("stamp") == stamp:
        return str(entry["sha256"])
    digest = sha256_file(real)
    memo[key] = {"stamp": stamp, "sha256": digest}
    try:
        memo_file.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(memo_file, json.dumps(memo))
    except OSError:
        pass  # a read-only home only costs a re-hash next time
    return digest
