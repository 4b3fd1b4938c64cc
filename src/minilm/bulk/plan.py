"""Cutting the input into shards before any encoding: shard k is the fixed global row range [k*S, (k+1)*S).

Global rows number the rows of all input files in their listed order. Because the ranges depend only on the
input and the shard size, a rerun, a retried Ray task or another machine computes the same shards, and a shard
is written whole or not at all (part-NNNNN.parquet appears by rename), so every row lands in exactly one file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minilm.io.readers import Position, scan
from minilm.io.sources import InputFile


@dataclass(frozen=True)
class Piece:
    """Rows [start, stop) of input file number `file`; offset, line: where row `start` begins (not for Parquet)."""

    file: int
    start: int
    stop: int
    offset: int | None = None
    line: int | None = None

    @property
    def at(self) -> Position | None:
        return None if self.offset is None or self.line is None else (self.offset, self.line)


@dataclass(frozen=True)
class Shard:
    """Shard `index`: `rows` rows from global row `first_row` on, read from one or more pieces of files."""

    index: int
    first_row: int
    rows: int
    pieces: tuple[Piece, ...]

    @property
    def file(self) -> str:
        return f"part-{self.index:05d}.parquet"

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "first_row": self.first_row, "rows": self.rows,
                "pieces": [[p.file, p.start, p.stop, p.offset, p.line] for p in self.pieces]}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Shard:
        return cls(data["index"], data["first_row"], data["rows"], tuple(Piece(*p) for p in data["pieces"]))


def count_rows(files: list[InputFile], shard_size: int) -> tuple[list[int], list[dict[int, Position]]]:
    """Rows per file, and (but for Parquet) the positions of the rows where a shard starts."""
    counts, offsets, base = [], [], 0
    for f in files:
        rows, found = scan(f, shard_size, base)
        counts.append(rows)
        offsets.append(found)
        base += rows
    return counts, offsets


def plan_shards(files: list[InputFile], counts: list[int], offsets: list[dict[int, Position]],
                shard_size: int) -> list[Shard]:  # fmt: skip
    """The shards of the whole input, in order (the last one may be short)."""
    bases = [sum(counts[:i]) for i in range(len(counts))]
    total = sum(counts)
    shards = []
    for index, first in enumerate(range(0, total, shard_size)):
        last = min(first + shard_size, total)
        pieces = []
        for i, (base, rows) in enumerate(zip(bases, counts, strict=True)):
            start, stop = max(first, base) - base, min(last, base + rows) - base
            if start < stop:
                at = offsets[i].get(start) if files[i].format != "parquet" else None
                pieces.append(Piece(i, start, stop, *(at or (None, None))))
        shards.append(Shard(index, first, last - first, tuple(pieces)))
    return shards
