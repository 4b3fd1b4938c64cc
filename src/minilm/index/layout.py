"""The files of an index directory, and the check made on them before any is opened.

index.sqlite (the truth: documents_db.py) with SQLite's -wal and -shm beside it, vectors.npz (the search
structure derived from it: vectors.py) and write.lock (lock.py). Each must be a regular file when present and
not a symbolic link: opening a FIFO blocks until someone writes to it, and a link planted at a name the index
writes would have that write land on the file it points to.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from minilm.files import UnsafeFileError

DB, VECTORS, LOCK = "index.sqlite", "vectors.npz", "write.lock"
FILES = (DB, DB + "-wal", DB + "-shm", VECTORS, LOCK, "vectors.keys", "vectors.i8")  # the last two: large layout


def check_files(root: Path) -> None:
    """UnsafeFileError naming the first index file that is a link, a FIFO, a device or a directory."""
    for name in FILES:
        path = root / name
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            raise UnsafeFileError(f"{path} is a symbolic link; an index file must be a regular file (remove the link)")
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
            raise UnsafeFileError(f"{path} is {kind}; an index file must be a regular file (remove it)")
