"""The vectors of a large index: two append-only files read through memory maps, beside index.sqlite.

    vectors.keys   int64 chunk key per row
    vectors.i8     one row per chunk: a float32 scale, then D int8 codes (the vector is scale * codes)

Rows are appended in key order (keys grow) and never rewritten; a deleted chunk keeps its row. Each vector is
quantized with its own scale (max |x| / 127), so a unit vector comes back with a cosine error near 1e-4.

SQLite stays the truth: the number of rows that belong to committed chunks is recorded in its meta table in the
same transaction as the chunks (documents_db.py). Rows are written and flushed to disk before that commit, so a
process killed during an append leaves rows past the committed count; the writer truncates them when it opens
the files (or when its transaction rolls back), and readers never look past the committed count.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from minilm.errors import IndexCorruptError, IndexStoreError
from minilm.files import open_nofollow

KEYS, CODES = "vectors.keys", "vectors.i8"


def row_dtype(dimension: int) -> np.dtype:
    return np.dtype([("scale", "<f4"), ("codes", "i1", (dimension,))])


def quantize(vectors: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Rows (N,) of `dtype`: each vector's scale and int8 codes."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.abs(vectors).max(axis=1) / 127
    rows = np.empty(len(vectors), dtype=dtype)
    rows["scale"] = scale
    rows["codes"] = np.rint(vectors / np.maximum(scale, 1e-30)[:, None]).clip(-127, 127)
    return rows


class VectorFile:
    """The keys and int8 vectors of a large index, `committed` rows of which belong to committed chunks."""

    def __init__(self, root: Path, dimension: int, committed: int, writable: bool):
        self.root, self.dimension, self.writable = root, dimension, writable
        self.dtype = row_dtype(dimension)
        self.committed = committed
        self._maps: tuple[np.ndarray, np.ndarray] | None = None
        for name in (KEYS, CODES):
            path = root / name
            if not path.exists():
                if committed:
                    raise IndexCorruptError(f"{path} is missing; index.sqlite records {committed} vectors in it")
                if writable:
                    os.close(open_nofollow(path, os.O_WRONLY | os.O_CREAT))
        held = self._held()
        if held < committed:
            raise IndexCorruptError(
                f"{root / CODES} holds {held} vectors; index.sqlite records {committed} (the file was cut short)"
            )
        if writable and held > committed:
            self.truncate(committed)  # rows of an append that was never committed

    def _held(self) -> int:
        try:
            keys, codes = (self.root / KEYS).stat().st_size // 8, (self.root / CODES).stat().st_size
        except FileNotFoundError:
            return 0
        return min(keys, codes // self.dtype.itemsize)

    # -- writing (the writer only, inside its SQLite transaction) -------------------------------------------
    def append(self, keys: np.ndarray, vectors: np.ndarray) -> int:
        """Write rows after the committed ones and flush them to disk; returns the row count to commit."""
        rows = quantize(vectors, self.dtype)
        start = self.committed
        try:
            for name, data, size in ((KEYS, np.asarray(keys, "<i8"), 8), (CODES, rows, self.dtype.itemsize)):
                fd = open_nofollow(self.root / name, os.O_WRONLY)
                try:
                    os.pwrite(fd, data.tobytes(), start * size)
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            self.truncate(start)
            raise IndexStoreError(f"cannot write {self.root / CODES}: {exc.strerror or exc}") from None
        return start + len(rows)

    def truncate(self, rows: int) -> None:
        """Drop every row from `rows` on (an append that was not committed)."""
        for name, size in ((KEYS, 8), (CODES, self.dtype.itemsize)):
            with open(self.root / name, "r+b") as f:
                f.truncate(rows * size)
        self._maps = None

    # -- reading -------------------------------------------------------------------------------------------
    def _mapped(self, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, rows) memory maps covering at least `rows` rows (mapped again when the files grew)."""
        if self._maps is None or len(self._maps[0]) < rows:
            held = self._held()
            if held < rows:
                raise IndexCorruptError(f"{self.root / CODES} holds {held} vectors, {rows} expected")
            if held == 0:
                return np.zeros(0, np.int64), np.zeros(0, self.dtype)
            keys = np.memmap(self.root / KEYS, dtype="<i8", mode="r", shape=(held,))
            codes = np.memmap(self.root / CODES, dtype=self.dtype, mode="r", shape=(held,))
            self._maps = (keys, codes)
        return self._maps

    def keys(self, rows: int) -> np.ndarray:
        """The keys of the first `rows` rows (a read-only view of the file)."""
        return self._mapped(rows)[0][:rows]

    def positions(self, keys: np.ndarray, rows: int) -> np.ndarray:
        """Rows (N,) of chunk keys among the first `rows`, -1 where a key has none."""
        held = self.keys(rows)
        keys = np.asarray(keys, dtype=np.int64)
        if rows == 0:
            return np.full(len(keys), -1, np.int64)
        pos = np.minimum(np.searchsorted(held, keys), rows - 1)
        return np.where(held[pos] == keys, pos, -1)

    def vectors(self, positions: np.ndarray, rows: int) -> np.ndarray:
        """Float32 vectors (N, D) of rows (their int8 codes times their scale)."""
        picked = self._mapped(rows)[1][np.asarray(positions, dtype=np.int64)]
        return picked["codes"].astype(np.float32) * picked["scale"][:, None]

    def scan(self, start: int, rows: int, batch: int = 65536) -> list[tuple[int, int]]:
        """[start, stop) row ranges of at most `batch` rows covering [start, rows)."""
        return [(a, min(a + batch, rows)) for a in range(start, rows, batch)]
