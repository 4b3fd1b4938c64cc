"""Writing one shard: read its rows, encode them a batch at a time, stream them into part-NNNNN.parquet.

Columns: id (string), vector (fixed-size list of the precision's type: float32 [D], int8 / uint8 [D],
binary int8 / ubinary uint8 [D/8] packed bits), tokens (int32: the text's full token count, [CLS]/[SEP]
included, before truncation), truncated (bool: the model saw only its first max_seq_length tokens) and, with
--with-text, text. The file is written under a temporary name, fsynced and renamed, so part-NNNNN.parquet
either does not exist or is complete; writing the same shard twice gives the same rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from minilm.bulk.job import Job
from minilm.bulk.manifest import fsync_dir
from minilm.bulk.plan import Shard
from minilm.bulk.reading import read_rows
from minilm.bulk.sources import InputFile
from minilm.encoder import Encoder
from minilm.errors import InputError, TooLongError

VECTOR_TYPES = {"float32": "float32", "int8": "int8", "uint8": "uint8", "binary": "int8", "ubinary": "uint8"}


def schema(job: Job) -> Any:
    import pyarrow as pa

    width = job.dimension // 8 if job.precision in ("binary", "ubinary") else job.dimension
    fields = [("id", pa.string()), ("vector", pa.list_(pa.from_numpy_dtype(np.dtype(VECTOR_TYPES[job.precision])),
              width)), ("tokens", pa.int32()), ("truncated", pa.bool_())]  # fmt: skip
    if job.with_text:
        fields.append(("text", pa.string()))
    return pa.schema(fields)


def encode_table(encoder: Encoder, job: Job, texts: list[str], ids: list[str]) -> Any:
    """One batch of rows as an Arrow table in the shard schema."""
    import pyarrow as pa

    try:
        vectors, info = encoder.encode_with_info(texts, batch_size=job.batch_size, normalize=job.normalized,
                                                 show_progress=False, precision=job.precision,
                                                 on_long=job.on_long, chunk_overlap=job.chunk_overlap,
                                                 ranges=job.ranges_array())  # fmt: skip
    except TooLongError as exc:
        raise TooLongError(f"{exc} (inputs counted from the row with id {ids[0]!r})") from None
    assert isinstance(vectors, np.ndarray)  # sentence output: one (N, D) array
    column = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(vectors).reshape(-1)), vectors.shape[1])
    truncated = info.truncated if job.on_long != "chunk" else np.zeros(len(texts), dtype=bool)
    columns = [pa.array(ids, pa.string()), column, pa.array(info.token_counts.astype(np.int32)), pa.array(truncated)]
    if job.with_text:
        columns.append(pa.array(texts, pa.string()))
    return pa.Table.from_arrays(columns, schema=schema(job))


def shard_rows(job: Job, shard: Shard, files: list[InputFile]) -> Iterator[tuple[list[str], list[str]]]:
    """The (texts, ids) batches of a shard, in input order."""
    for piece in shard.pieces:
        yield from read_rows(files[piece.file], job.field, job.id_field, piece.start, piece.stop, piece.offset)


def write_shard(encoder: Encoder, job: Job, shard: Shard, files: list[InputFile], out_dir: Path,
                advance: Callable[[int], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """Encode and write one shard; returns its manifest record."""
    import pyarrow.parquet as pq

    target = out_dir / shard.file
    tmp = out_dir / f".{shard.file}.{uuid.uuid4().hex}.tmp"
    rows = 0
    try:
        with pq.ParquetWriter(tmp, schema(job)) as writer:
            for texts, ids in shard_rows(job, shard, files):
                writer.write_table(encode_table(encoder, job, texts, ids))
                rows += len(texts)
                if advance is not None:
                    advance(len(texts))
        if rows != shard.rows:
            raise InputError(f"shard {shard.index} read {rows} rows, expected {shard.rows}: did an input change?")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
        fsync_dir(out_dir)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    first, last = shard.pieces[0], shard.pieces[-1]
    return {"index": shard.index, "file": shard.file, "rows": rows, "first_row": shard.first_row,
            "last_row": shard.first_row + rows - 1, "first_input": f"{files[first.file].name}:{first.start}",
            "last_input": f"{files[last.file].name}:{last.stop - 1}"}  # fmt: skip
