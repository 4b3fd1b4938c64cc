"""Optional dependencies: which of an extra's requirements are missing, and the install line that adds them.

Every "pip install '.[extra]'" message minilm prints is derived here from the package's own declared extras
(its metadata), so a message can never name an extra or a requirement that does not exist.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
from functools import cache

from minilm.errors import MissingExtraError

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*([^;]*)")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


@cache
def declared() -> dict[str, tuple[str, ...]]:
    """Each extra of the installed minilm and its requirements (as written, markers dropped)."""
    try:
        requires = metadata.requires("minilm") or []
    except metadata.PackageNotFoundError:
        return {}
    extras: dict[str, list[str]] = {}
    for line in requires:
        requirement, _, marker = line.partition(";")
        found = _EXTRA.search(marker)
        if found is None:
            continue
        if not _marker_applies(marker):
            continue
        extras.setdefault(found.group(1), []).append(requirement.strip())
    return {name: tuple(reqs) for name, reqs in extras.items()}


def _marker_applies(marker: str) -> bool:
    """False for requirements whose environment marker excludes this platform (uvloop on Windows)."""
    import sys

    return not ("sys_platform != 'win32'" in marker.replace('"', "'") and sys.platform == "win32")


def install_line(extra: str) -> str:
    """The command that installs `extra` from a checkout; a pinned torch is installed first (its CPU wheel)."""
    torch_pin = next((r for r in declared().get(extra, ()) if re.match(r"torch\s*==", r)), None)
    line = f"pip install '.[{extra}]'"
    return f"pip install {torch_pin.replace(' ', '')} && {line}" if torch_pin else line


def missing(extra: str) -> list[str]:
    """The distributions `extra` declares that are not installed (empty when the extra is complete)."""
    if extra not in declared() and declared():
        raise KeyError(f"minilm declares no extra {extra!r}; it has {sorted(declared())}")
    gone = []
    for requirement in declared().get(extra, ()):
        name = _NAME.match(requirement)
        if name is None:
            continue
        try:
            metadata.version(name.group(1))
        except metadata.PackageNotFoundError:
            gone.append(name.group(1))
    return gone


def require(extra: str, purpose: str) -> None:
    """Raise MissingExtraError before any work starts if `extra` is not wholly installed.

    `purpose` says what needs it ("minilm index add", "--plot map.png").
    """
    if gone := missing(extra):
        raise MissingExtraError(f"{purpose} needs {', '.join(gone)}, which {_is_are(gone)} not installed: "
                                f"{install_line(extra)}")  # fmt: skip


def missing_module(extra: str, purpose: str, exc: ImportError | None = None) -> MissingExtraError:
    """The error for a failed import of one of `extra`'s modules (raise it `from None`)."""
    detail = f" ({exc})" if exc is not None else ""
    return MissingExtraError(f"{purpose} needs the {extra} extra: {install_line(extra)}{detail}")


def _is_are(names: list[str]) -> str:
    return "is" if len(names) == 1 else "are"
