"""A Qdrant collection as a destination: a server (qdrant://HOST:PORT) or the client's local mode (a directory).

Qdrant point ids are unsigned integers or UUIDs, so each row's point id is the UUID5 of its minilm id (the
same id always gives the same point, which makes a repeated write an overwrite); the minilm id itself is the
payload field "id", next to the row's fields ("metadata" stays a nested object, filtered as metadata.KEY).
Vectors are compared by cosine. The progress record is the collection's own metadata (key "minilm").
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from minilm.errors import OutputError
from minilm.extras import missing_module
from minilm.sinks.sink import Rows
from minilm.sinks.urls import Destination

NAMESPACE = uuid.UUID("6f1c2a4e-3b7d-5e8f-9a0b-1c2d3e4f5a6b")  # fixed: point ids must not change between runs
PROGRESS = "minilm"
UPSERT_BATCH = 256  # points per request: 256 x 384 floats stay well under a server's 32 MiB JSON body limit


def point_id(row_id: str) -> str:
    """The Qdrant point id of a minilm row id."""
    return str(uuid.uuid5(NAMESPACE, row_id))


class QdrantSink:
    def __init__(self, destination: Destination, dimension: int, purpose: str) -> None:
        try:
            from qdrant_client import QdrantClient, models
        except ImportError as exc:
            raise missing_module("qdrant", purpose, exc) from None
        self.url, self.name, self.dimension, self.models = destination.url, destination.name, dimension, models
        try:
            if destination.local:
                self.client = QdrantClient(path=destination.location)
            else:
                self.client = QdrantClient(url=destination.location, api_key=os.environ.get("QDRANT_API_KEY"))
        except (OSError, ValueError, RuntimeError) as exc:
            raise OutputError(f"cannot open Qdrant at {destination.location!r}: {exc}") from None

    def exists(self) -> bool:
        return bool(self.client.collection_exists(self.name))

    def count(self) -> int:
        return int(self.client.count(self.name, exact=True).count) if self.exists() else 0

    def drop(self) -> None:
        if self.exists():
            self.client.delete_collection(self.name)

    def _create(self) -> None:
        if not self.exists():
            params = self.models.VectorParams(size=self.dimension, distance=self.models.Distance.COSINE)
            self.client.create_collection(self.name, vectors_config=params)

    def upsert(self, rows: Rows) -> None:
        self._create()
        rows = rows.unique()
        names = list(rows.fields)
        payloads = [{"id": row_id, **{k: rows.fields[k][n] for k in names}} for n, row_id in enumerate(rows.ids)]
        for a in range(0, len(payloads), UPSERT_BATCH):
            b = a + UPSERT_BATCH
            batch = self.models.Batch(ids=[point_id(i) for i in rows.ids[a:b]], vectors=rows.vectors[a:b].tolist(),
                                      payloads=payloads[a:b])  # fmt: skip
            self.client.upsert(self.name, points=batch, wait=True)

    def progress(self) -> dict[str, Any] | None:
        if not self.exists():
            return None
        metadata = self.client.get_collection(self.name).config.metadata or {}
        record = metadata.get(PROGRESS)
        return record if isinstance(record, dict) else None

    def save_progress(self, record: dict[str, Any]) -> None:
        self._create()
        self.client.update_collection(self.name, metadata={PROGRESS: record})

    def close(self) -> None:
        self.client.close()
