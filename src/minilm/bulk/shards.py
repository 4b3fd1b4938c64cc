"""Writing one shard: read its rows, encode them a batch at a time, stream them into part-NNNNN.parquet.

The columns are the one Parquet schema of minilm.io.writers (id, vector, tokens, truncated[, text]). The file is
written through minilm.files.atomic_write (a fresh temporary name, fsync, rename), so part-NNNNN.parquet
either does not exist or is complete; writing the same shard twice gives the same rows. Its manifest record
carries its size and sha256, which a resumed run checks before trusting it.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from minilm.bulk.job import Job
from minilm.bulk.plan import Shard
from minilm.encoder import Encoder
from minilm.errors import InputError, OutputError, TooLongError
from minilm.io.readers import read_file
from minilm.io.sources import InputFile
from minilm.io.writers import output_file, parquet_module, vector_schema, vector_table

READ_BATCH = 2048  # rows handed to the encoder at a time


def schema(job: Job) -> Any:
    width = job.dimension // 8 if job.precision in ("binary", "ubinary") else job.dimension
    return vector_schema(job.precision, width, job.with_text)


def encode_table(encoder: Encoder, job: Job, texts: list[str], ids: list[str]) -> Any:
    """One batch of rows as an Arrow table in the shard schema."""
    try:
        vectors, info = encoder.encode_with_info(texts, options=job.options())
    except TooLongError as exc:
        raise TooLongError(f"{exc} (inputs counted from the row with id {ids[0]!r})") from None
    assert isinstance(vectors, np.ndarray)  # sentence output: one (N, D) array
    truncated = info.truncated if job.on_long != "chunk" else np.zeros(len(texts), dtype=bool)
    return vector_table(schema(job), ids, vectors, info.token_counts, truncated, texts if job.with_text else None)


def shard_rows(job: Job, shard: Shard, files: list[InputFile]) -> Iterator[tuple[list[str], list[str]]]:
    """The (texts, ids) batches of a shard, in input order; default ids are the global row numbers."""
    first_id = shard.first_row
    for piece in shard.pieces:
        records = read_file(files[piece.file], job.field, job.id_field, first_id - piece.start, piece.start,
                            piece.stop, piece.at, meta=False)  # fmt: skip
        while batch := list(itertools.islice(records, READ_BATCH)):
            yield [r.text for r in batch], [r.id for r in batch]
        first_id += piece.stop - piece.start


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_shard(encoder: Encoder, job: Job, shard: Shard, files: list[InputFile], out_dir: Path,
                advance: Callable[[int], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """Encode and write one shard; returns its manifest record."""
    pq = parquet_module("bulk encoding")
    target = out_dir / shard.file
    rows = 0
    with output_file(target) as f, pq.ParquetWriter(f, schema(job)) as writer:
        for texts, ids in shard_rows(job, shard, files):
            writer.write_table(encode_table(encoder, job, texts, ids))
            rows += len(texts)
            if advance is not None:
                advance(len(texts))
        if rows != shard.rows:
            raise InputError(f"shard {shard.index} read {rows} rows, expected {shard.rows}: did an input change?")
    try:
        size, digest = target.stat().st_size, sha256_file(target)
    except OSError as exc:
        raise OutputError(f"cannot read back {target}: {exc.strerror}") from None
    first, last = shard.pieces[0], shard.pieces[-1]
    return {"index": shard.index, "file": shard.file, "rows": rows, "bytes": size, "sha256": digest,
            "first_row": shard.first_row, "last_row": shard.first_row + rows - 1,
            "first_input": f"{files[first.file].name}:{first.start}",
            "last_input": f"{files[last.file].name}:{last.stop - 1}"}  # fmt: skip
