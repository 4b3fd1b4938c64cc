"""`encode_into`: the bulk encoder (minilm.bulk's plan and job) with a database table as its output.

The input is cut into the same fixed row ranges as the Parquet shards (bulk/plan.py). Each shard's rows are
upserted by id, then the shard is added to the progress record kept in the destination (sink.py). A run
killed between the two writes its last shard again on resume; the upsert replaces those rows, so every row is
stored once. The record also holds the job's settings and its inputs' fingerprints: a resumed run must ask
for the same ones (as with a shard directory), or pass overwrite=True to start the table over.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from minilm.bulk.job import CALIBRATION_ROWS, Job
from minilm.bulk.plan import Shard, count_rows, plan_shards
from minilm.encoder import DEFAULT_OVERLAP, Encoder
from minilm.errors import InputError, TooLongError
from minilm.io.readers import read_file
from minilm.io.sources import InputFile, list_inputs
from minilm.progress import progress_bar
from minilm.sinks import open_sink
from minilm.sinks.sink import Rows, Sink

log = logging.getLogger(__name__)
FORMAT = 1  # of the progress record
DEFAULT_SHARD_SIZE = 10_000  # rows per progress record: what a killed run writes again
READ_BATCH = 2048


@dataclass(frozen=True)
class SinkResult:
    """What a run did: the destination, rows and shards of the whole job, shards written now, resumed or not."""

    url: str
    rows: int
    shards: int
    written: int
    resumed: bool


def encode_into(inputs: str | os.PathLike[str], url: str, field: str = "text", id_field: str | None = None,
                shard_size: int = DEFAULT_SHARD_SIZE, on_long: str = "truncate",
                chunk_overlap: int = DEFAULT_OVERLAP, model: Encoder | str | None = None, engine: str = "auto",
                threads: int | None = None, batch_size: int = 32, normalize: bool | None = None,
                format: str = "auto", show_progress: bool | None = None,
                overwrite: bool = False) -> SinkResult:  # fmt: skip
    """Embed every row of `inputs` (as minilm.bulk.encode_files reads them) into the table or collection
    named by `url` (minilm.sinks.urls): id, vector (float32), text, tokens, truncated and metadata (the
    row's other fields). Rerunning the same call continues where a killed one stopped."""
    from minilm.loading import load, refuse_load_options

    encoder = model if isinstance(model, Encoder) else load(model, engine=engine, threads=threads)
    if isinstance(model, Encoder):
        refuse_load_options(model, engine=engine, threads=threads)
    job = Job.for_encoder(encoder, normalize=normalize, precision="float32", on_long=on_long,
                          shard_size=shard_size, field=field, id_field=id_field, with_text=True,
                          calibration_rows=CALIBRATION_ROWS, chunk_overlap=chunk_overlap,
                          batch_size=batch_size)  # fmt: skip
    files = list_inputs(os.fspath(inputs), format)
    if files[0].uri == "-":
        raise InputError("encoding into a database reads its input twice (counting, then encoding): give a file")
    counts, offsets = count_rows(files, shard_size)
    shards = plan_shards(files, counts, offsets, shard_size)
    sink = open_sink(url, encoder.dimension, "minilm encode --to")
    try:
        record = _start(sink, job, files, counts, len(shards), overwrite)
        done = set(record["done"])
        todo = [s for s in shards if s.index not in done]
        log.info("%s: %d rows in %d shards, %d to write", url, sum(counts), len(shards), len(todo))
        with progress_bar(sum(counts), show_progress, desc="encoding") as bar:
            bar.update(sum(counts) - sum(s.rows for s in todo))
            for shard in todo:
                for rows in _shard_rows(encoder, job, shard, files):
                    sink.upsert(rows)
                    bar.update(len(rows.ids))
                record["done"] = sorted({*record["done"], shard.index})
                sink.save_progress(record)
    finally:
        sink.close()
    return SinkResult(url, sum(counts), len(shards), len(todo), resumed=bool(done) and len(todo) < len(shards))


def _start(sink: Sink, job: Job, files: list[InputFile], counts: list[int], shards: int,
           overwrite: bool) -> dict[str, Any]:  # fmt: skip
    """The progress record to continue from: a new one for a new (or overwritten) destination, else the one
    found there, refused when its settings or inputs differ from this run's."""
    again = "use another table / collection, or --overwrite to start this one over"
    if overwrite:
        sink.drop()
    found = sink.progress()
    fingerprints = [f.fingerprint() for f in files]
    if found is None:
        if sink.count():
            raise InputError(f"{sink.url} holds {sink.count()} rows but no minilm progress record (not written by "
                             f"`minilm encode --to`); {again}")  # fmt: skip
        record = {"format": FORMAT, **job.settings(), "inputs": fingerprints, "rows": sum(counts),
                  "shards_planned": shards, "done": []}  # fmt: skip
        sink.save_progress(record)
        return record
    if found.get("format") != FORMAT or not isinstance(found.get("done"), list):
        raise InputError(f"{sink.url}: its minilm progress record has format {found.get('format')!r}, expected "
                         f"{FORMAT}; {again}")  # fmt: skip
    diff = job.mismatch(found)
    if diff is not None:
        raise InputError(f"{sink.url} was written with other settings ({diff}); {again}")
    if found.get("inputs") != fingerprints:
        raise InputError(f"{sink.url} was written from other inputs (their paths, sizes or mtimes differ); {again}")
    return found


def _shard_rows(encoder: Encoder, job: Job, shard: Shard, files: list[InputFile]) -> Iterator[Rows]:
    """The shard's rows, encoded a read batch at a time; default ids are the global row numbers."""
    first_id, read = shard.first_row, 0
    for piece in shard.pieces:
        records = read_file(files[piece.file], job.field, job.id_field, first_id - piece.start, piece.start,
                            piece.stop, piece.at)  # fmt: skip
        while batch := list(itertools.islice(records, READ_BATCH)):
            texts = [r.text for r in batch]
            read += len(batch)
            try:
                vectors, info = encoder.encode_with_info(texts, options=job.options())
            except TooLongError as exc:
                raise TooLongError(f"{exc} (inputs counted from the row with id {batch[0].id!r})") from None
            assert isinstance(vectors, np.ndarray)  # sentence output: (N, D)
            truncated = info.truncated if job.on_long != "chunk" else np.zeros(len(texts), dtype=bool)
            fields: dict[str, Sequence[Any]] = {"text": texts, "tokens": [int(t) for t in info.token_counts],
                      "truncated": [bool(t) for t in truncated],
                      "metadata": [_plain(r.meta) for r in batch]}  # fmt: skip
            yield Rows([r.id for r in batch], vectors, fields)
        first_id += piece.stop - piece.start
    if read != shard.rows:
        raise InputError(f"shard {shard.index} read {read} rows, expected {shard.rows}: did an input change?")


def _plain(meta: dict[str, Any]) -> dict[str, Any]:
    """A row's other fields as plain JSON (a Parquet date or decimal becomes its string form)."""
    plain: dict[str, Any] = json.loads(json.dumps(meta, default=str))
    return plain
