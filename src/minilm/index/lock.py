"""The single-writer lock of an index directory: an exclusive flock on `write.lock`, held while a writer is open.

The kernel drops the lock when its process dies (kill -9 included), so a crash never leaves a stale lock. The
file is opened without following a link (one planted there would have the pid written into what it points to).
"""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path

from minilm.errors import IndexLockedError, IndexStoreError
from minilm.files import UnsafeFileError, open_nofollow


class WriterLock:
    """Take it with acquire(); a second writer gets IndexLockedError naming the holder's pid."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = open_nofollow(self.path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, 0o644)
        except UnsafeFileError as exc:
            raise IndexStoreError(f"cannot open {self.path} for writing: {exc}") from None
        except OSError as exc:  # a read-only file system or directory, no permission
            raise IndexStoreError(f"cannot open {self.path} for writing: {exc.strerror or exc}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise IndexStoreError(f"cannot open {self.path} for writing: it is not a regular file (remove it)")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise IndexLockedError(
                f"{self.path.parent} is open for writing by another process (pid {holder}); close that writer "
                "first, or open the index read-only"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
