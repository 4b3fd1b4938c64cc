"""Progress bars on stderr for jobs that can run past a few seconds.

A bar is shown only when stderr is a terminal and the job is not quiet: `minilm -q COMMAND` (or `quiet(True)`)
turns every bar off, and a redirected stderr never receives one. Library calls pass `enabled=` to decide
themselves; `enabled=None` means the automatic rule.
"""

from __future__ import annotations

import sys
from typing import Any

AUTO_THRESHOLD = 1024  # texts; below this an automatic bar over an encode is more noise than help
_quiet = False


def quiet(value: bool) -> None:
    """Turn every automatic bar off (the CLI's -q/--quiet)."""
    global _quiet
    _quiet = value


def wanted(enabled: bool | None = None) -> bool:
    """Whether an automatic bar is shown: not quiet and stderr is a terminal (or the caller's explicit choice)."""
    if enabled is not None:
        return enabled
    return not _quiet and sys.stderr.isatty()


def progress_bar(total: int | None, enabled: bool | None = None, desc: str = "encoding", unit: str = "text",
                 threshold: int = AUTO_THRESHOLD) -> Any:  # fmt: skip
    """A tqdm bar over `total` items (None: unknown); automatic bars need at least `threshold` items."""
    from tqdm.auto import tqdm

    if enabled is None:
        enabled = wanted() and (total is None or total >= threshold)
    return tqdm(total=total, disable=not enabled, desc=desc, unit=unit, file=sys.stderr, leave=False,
                dynamic_ncols=True)  # fmt: skip
