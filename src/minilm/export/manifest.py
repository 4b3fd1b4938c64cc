"""The certificate written beside every export: what was exported from which weights, and the parity measured.

minilm_export.json holds the source weights' sha256, the format and precision, the minilm version, each file
written with its size and sha256, and (with `check`) the figures the format's own consumer gave on the check
texts against minilm's numpy reference.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from minilm.checkpoint.weights import sha256_file
from minilm.files import write_text_atomic
from minilm.version import __version__

NAME = "minilm_export.json"


@dataclass(frozen=True)
class Parity:
    """A consumer's vectors against the reference: worst element-wise difference and worst cosine."""

    consumer: str
    texts: int
    max_abs_diff: float
    worst_cosine: float
    ids_equal: bool | None = None  # the consumer's token ids equal minilm's (None: the consumer takes ids)


@dataclass
class Manifest:
    format: str
    precision: str
    source_model: str
    source_weights_sha256: str
    minilm_version: str = __version__
    seconds: float = 0.0
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: list[Parity] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write(out: Path, manifest: Manifest) -> Path:
    """Record every file under `out` (but the manifest) and write the manifest there."""
    manifest.files = {
        str(p.relative_to(out)): {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != NAME
    }
    path = out / NAME
    write_text_atomic(path, json.dumps(manifest.to_dict(), indent=2) + "\n")
    return path
