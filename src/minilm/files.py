"""Writing and opening files safely: atomic replacement, no planted links followed, only regular files read.

- `atomic_write(path)`: the new content goes to a fresh temporary file beside `path` (created exclusively, so a
  link planted at any fixed name is never followed), is flushed to disk and renamed over `path`; a crash leaves
  the old file or the new one, never a mix. The file gets the mode a plain `open` would give (0666 less the
  umask), not the 0600 of a temporary file.
- `open_nofollow(path, flags)`: `os.open` that refuses a symbolic link at `path` (for lock files and other fixed
  names written in place).
- `check_regular(path)`: refuse a FIFO, device or directory where a data file is expected, before opening it
  (opening a FIFO blocks until someone writes to it).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from minilm.errors import MinilmError


class UnsafeFileError(MinilmError, OSError):
    """A path is a symbolic link, FIFO, device or directory where minilm expects a regular file."""


def umask_mode() -> int:
    """The mode a new file gets from a plain open(): 0o666 less the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """A file object whose content replaces `path` atomically when the block ends without an exception."""
    target = Path(path)
    if target.is_symlink():
        raise UnsafeFileError(f"{target} is a symbolic link; refusing to replace what it points to")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, umask_mode())
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` by `data` atomically."""
    with atomic_write(path, "wb") as f:
        f.write(data)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace `path` by `text` (UTF-8) atomically."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(text)


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make a rename in directory `path` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def open_nofollow(path: str | os.PathLike[str], flags: int, mode: int = 0o666) -> int:
    """os.open(path, flags) that refuses a symbolic link at `path` (O_NOFOLLOW where the OS has it)."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, flags | nofollow, mode)
    except OSError as exc:
        if nofollow and Path(path).is_symlink():
            raise UnsafeFileError(f"{path} is a symbolic link; refusing to open it") from None
        raise exc


def check_regular(path: str | os.PathLike[str], what: str = "file") -> None:
    """Raise UnsafeFileError unless `path` is a regular file (links to one are fine); FileNotFoundError if absent."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        raise UnsafeFileError(f"{what} {path} is {kind}; expected a regular file")
