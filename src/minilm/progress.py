"""A progress bar on stderr for long encodes (on by default only for large inputs on a terminal)."""

from __future__ import annotations

import sys
from typing import Any

AUTO_THRESHOLD = 1024  # texts; below this an automatic bar is more noise than help


def progress_bar(total: int, enabled: bool | None, desc: str = "encoding") -> Any:
    """A tqdm bar over `total` items; enabled=None means: only if total is large and stderr is a terminal."""
    from tqdm.auto import tqdm

    if enabled is None:
        enabled = total >= AUTO_THRESHOLD and sys.stderr.isatty()
    return tqdm(total=total, disable=not enabled, desc=desc, unit="text", file=sys.stderr, leave=False)
