"""A LanceDB table as a destination (embedded: a local directory or object storage; no server).

Columns: id (string), vector (fixed_size_list<float32>[D], the column LanceDB searches by default), then
the row's fields; "metadata" is a JSON string (Arrow has no type for free-form objects). Rows go in through
merge_insert on "id", so a repeated id replaces its row. The progress record is the one row of a second table,
TABLE__minilm_progress, replaced whole on each save (a new Lance version: old or new, never a mix).
"""

from __future__ import annotations

import json
from typing import Any

from minilm.errors import OutputError
from minilm.extras import missing_module
from minilm.sinks.sink import Rows
from minilm.sinks.urls import Destination

PROGRESS = "__minilm_progress"


class LanceSink:
    def __init__(self, destination: Destination, dimension: int, purpose: str) -> None:
        try:
            import lancedb
            import pyarrow as pa
        except ImportError as exc:
            raise missing_module("lancedb", purpose, exc) from None
        self.url, self.name, self.dimension, self.pa = destination.url, destination.name, dimension, pa
        try:
            self.db = lancedb.connect(destination.location)
        except (OSError, ValueError, RuntimeError) as exc:
            raise OutputError(f"cannot open LanceDB database {destination.location!r}: {exc}") from None

    def _tables(self) -> set[str]:
        return set(self.db.list_tables().tables)

    def exists(self) -> bool:
        return self.name in self._tables()

    def count(self) -> int:
        return int(self.db.open_table(self.name).count_rows()) if self.exists() else 0

    def drop(self) -> None:
        tables = self._tables()
        for name in (self.name, self.name + PROGRESS):
            if name in tables:
                self.db.drop_table(name)

    def upsert(self, rows: Rows) -> None:
        data = self._arrow(rows.unique())
        if not self.exists():
            self.db.create_table(self.name, data=data)
            return
        table = self.db.open_table(self.name)
        table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(data)

    def progress(self) -> dict[str, Any] | None:
        if self.name + PROGRESS not in self._tables():
            return None
        rows = self.db.open_table(self.name + PROGRESS).to_arrow().column("record").to_pylist()
        return json.loads(rows[0]) if rows else None

    def save_progress(self, record: dict[str, Any]) -> None:
        data = self.pa.table({"record": [json.dumps(record)]})
        mode = "overwrite" if self.name + PROGRESS in self._tables() else "create"
        self.db.create_table(self.name + PROGRESS, data=data, mode=mode)

    def close(self) -> None:
        pass

    def _arrow(self, rows: Rows) -> Any:
        pa = self.pa
        flat = pa.array(rows.vectors.astype("float32", copy=False).reshape(-1))
        columns = {"id": pa.array(list(rows.ids), pa.string()),
                   "vector": pa.FixedSizeListArray.from_arrays(flat, self.dimension)}  # fmt: skip
        for name, values in rows.fields.items():
            if name == "metadata":
                values = [json.dumps(v, ensure_ascii=False) for v in values]
            columns[name] = pa.array(list(values))
        return pa.table(columns)
