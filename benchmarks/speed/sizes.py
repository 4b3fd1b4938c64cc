"""Installed size of a stack: the files of its distributions and of everything they require, transitively."""

from __future__ import annotations

import contextlib
import re
from importlib import metadata


def _name(requirement: str) -> str | None:
    """The distribution a requirement names, or None when it applies only under an extra."""
    if "extra ==" in requirement.replace("extra==", "extra =="):
        return None
    found = re.match(r"[A-Za-z0-9_.\-]+", requirement)
    return found.group(0) if found else None


def closure(roots: list[str]) -> set[str]:
    """Installed distributions reachable from roots through their (non-extra) requirements."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        todo += [n for r in dist.requires or [] if (n := _name(r))]
    return seen


def stack_mb(roots: list[str]) -> float:
    """Megabytes on disk of roots and their dependency closure."""
    total = 0
    for name in closure(roots):
        for file in metadata.distribution(name).files or []:
            with contextlib.suppress(OSError):
                total += file.locate().stat().st_size
    return total / 1e6
