"""The one contract of a database destination: upsert rows by id, and keep a small progress record.

A row is an id, a float32 vector and named fields (text, tokens, metadata, ...). Writing the same id again
replaces the row, so a shard written twice (a run killed after its rows went in but before its progress record
did) still leaves every row once. The progress record is a JSON object kept in the destination itself (the
bulk encoder's settings, inputs and finished shards), so a resumed run needs nothing but the URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class Rows:
    """`ids` (N,), `vectors` (N, D) float32, and `fields`: column name -> N values (str, int, bool or, for
    "metadata", a JSON object per row)."""

    ids: Sequence[str]
    vectors: np.ndarray
    fields: dict[str, Sequence[Any]] = field(default_factory=dict)

    def unique(self) -> Rows:
        """The rows with each id once (its last occurrence wins, as a later upsert would)."""
        last = {row_id: n for n, row_id in enumerate(self.ids)}
        if len(last) == len(self.ids):
            return self
        keep = sorted(last.values())
        return Rows([self.ids[n] for n in keep], self.vectors[keep],
                    {k: [v[n] for n in keep] for k, v in self.fields.items()})  # fmt: skip


class Sink(Protocol):
    """A table (LanceDB) or collection (Qdrant) that rows go into."""

    url: str

    def exists(self) -> bool:
        """Whether the table / collection is there (with or without rows)."""
        ...

    def count(self) -> int:
        """Rows stored (0 when it does not exist)."""
        ...

    def drop(self) -> None:
        """Remove the table / collection and its progress record (--overwrite)."""
        ...

    def upsert(self, rows: Rows) -> None:
        """Insert the rows, replacing those stored under the same ids; creates the table / collection."""
        ...

    def progress(self) -> dict[str, Any] | None:
        """The progress record written by save_progress, or None."""
        ...

    def save_progress(self, record: dict[str, Any]) -> None:
        """Replace the progress record (atomically: a reader sees the old or the new one)."""
        ...

    def close(self) -> None: ...
