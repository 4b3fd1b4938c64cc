"""Reading a bulk output back: its manifest checked against a consumer (the index) and its rows in batches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from minilm.bulk.manifest import NAME, Manifest, shard_problem
from minilm.bulk.plan import Shard
from minilm.errors import IndexMismatchError, InputError, shown


def checked_manifest(path: str | Path, sha256: str, dimension: int, model: str) -> Manifest:
    """The manifest of a finished float32 output with texts, written by the model with this digest."""
    manifest = Manifest.read(path)
    if manifest is None:
        raise InputError(f"{path} holds no {NAME}; give a directory written by `minilm encode -i ... -o DIR`")
    data = manifest.data
    if data["dimension"] != dimension or data["sha256"] != sha256:
        raise IndexMismatchError(
            f"{path} was encoded by {data['model']} (dimension {data['dimension']}, weights sha256 "
            f"{data['sha256'][:12]}…); the index uses {model} (dimension {dimension}, sha256 {sha256[:12]}…): "
            "its vectors would not be comparable"
        )
    if data["precision"] != "float32":
        raise InputError(f"{path} holds {data['precision']} vectors; the index takes float32 vectors only "
                         "(re-encode without --precision)")  # fmt: skip
    if not data["with_text"]:
        raise InputError(f"{path} was encoded without --with-text; the index keeps each document's text for "
                         "snippets and spans: re-encode with --with-text")  # fmt: skip
    if not manifest.complete or len(manifest.shards) != data["shards_planned"]:
        raise InputError(f"{path} is unfinished ({len(manifest.shards)} of {data['shards_planned']} shards); "
                         "rerun the same `minilm encode` command to finish it")  # fmt: skip
    for record in manifest.shards:
        problem = shard_problem(manifest.path.parent, record, _planned(record), digest=False)
        if problem is not None:
            raise InputError(f"{path}: shard {record['index']} ({shown(record['file'])}): {problem}; rerun the "
                             "same `minilm encode` command to write it again")  # fmt: skip
    return manifest


def _planned(record: dict[str, Any]) -> Shard:
    """The plan entry a listed shard claims to be (its file name must then be the planned one)."""
    return Shard(record["index"], 0, record["rows"], ())


def batches(manifest: Manifest, batch: int) -> Iterator[tuple[list[str], list[str], np.ndarray]]:
    """(ids, texts, vectors (n, D) float32) of every row, shard by shard in input order."""
    import pyarrow.parquet as pq

    for shard in manifest.shards:
        part = pq.ParquetFile(manifest.path.parent / shard["file"])
        for record_batch in part.iter_batches(batch_size=batch, columns=["id", "text", "vector"]):
            vectors = record_batch.column(2).flatten().to_numpy().reshape(record_batch.num_rows, -1)
            yield record_batch.column(0).to_pylist(), record_batch.column(1).to_pylist(), vectors
