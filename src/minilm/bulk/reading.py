"""Reading rows of one input file as a stream of (texts, ids) batches: a row range [start, stop) at a time.

JSONL is read line by line (blank lines are not rows); a range can start at a byte offset found by `scan`, so
a shard in the middle of a large file does not re-read what comes before it. CSV / TSV go through pyarrow's
streaming CSV reader and Parquet through its row-group batch reader, reading only the text and id columns.
"""

from __future__ import annotations

import io
import json
from collections.abc import Generator, Iterator
from contextlib import closing
from typing import Any

from minilm.bulk.sources import InputFile, filesystem
from minilm.errors import InputError

Batch = tuple[list[str], list[str]]  # (texts, ids)
READ_BATCH = 2048  # rows handed to the encoder at a time


def scan(file: InputFile, base: int, every: int) -> tuple[int, dict[int, int]]:
    """(rows in the file, {row: byte offset} for JSONL rows whose global number base + row is a multiple of
    `every`). Parquet row counts come from its footer; CSV is parsed once to count its records."""
    if file.format == "parquet":
        return _parquet(file).metadata.num_rows, {}
    if file.format in ("csv", "tsv"):
        return sum(b.num_rows for b in _csv_batches(file, None, 0)), {}
    rows, offsets, position = 0, {}, 0
    with _binary(file) as stream:
        for line in stream:
            if line.strip():
                if (base + rows) % every == 0:
                    offsets[rows] = position
                rows += 1
            position += len(line)
    return rows, offsets


def read_rows(file: InputFile, field: str, id_field: str | None, start: int, stop: int,
              offset: int | None = None, batch: int = READ_BATCH) -> Iterator[Batch]:  # fmt: skip
    """Rows [start, stop) of `file` in batches of up to `batch`; ids from id_field, else "<name>:<row>"."""
    if file.format == "jsonl":
        yield from _rebatch(_jsonl_rows(file, field, id_field, start, stop, offset), batch)
        return
    columns = [field] if id_field is None else [field, id_field]
    arrow = _csv_batches(file, columns, start) if file.format != "parquet" else _parquet_batches(file, columns, start)
    row = start
    with closing(arrow):  # stops pyarrow's reading at once when the range ends before the file
        for record_batch in arrow:
            if row >= stop:
                break
            part = record_batch.slice(0, stop - row)
            texts = _texts(file, field, part.column(0).to_pylist(), row)
            ids = _ids(file, id_field, part.column(1).to_pylist() if id_field else None, row, len(texts))
            for at in range(0, len(texts), batch):
                yield texts[at : at + batch], ids[at : at + batch]
            row += len(texts)


def _jsonl_rows(file: InputFile, field: str, id_field: str | None, start: int, stop: int,
                offset: int | None) -> Iterator[tuple[str, str]]:  # fmt: skip
    with _binary(file) as stream:
        row = 0
        if offset is not None:
            stream.seek(offset)
            row = start
        for line in stream:
            if row >= stop:
                return
            if not line.strip():
                continue
            if row >= start:
                yield _json_row(file, line, row, field, id_field)
            row += 1


def _json_row(file: InputFile, line: bytes, row: int, field: str, id_field: str | None) -> tuple[str, str]:
    where = f"{file.name}: row {row}"
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    if field not in obj:
        raise InputError(f"{where}: no field {field!r} (fields: {', '.join(map(str, obj)) or 'none'})")
    text = _texts(file, field, [obj[field]], row)[0]
    if id_field is None:
        return text, f"{file.name}:{row}"
    if obj.get(id_field) is None:
        raise InputError(f"{where}: no id in field {id_field!r}")
    return text, str(obj[id_field])


def _rebatch(rows: Iterator[tuple[str, str]], batch: int) -> Iterator[Batch]:
    texts: list[str] = []
    ids: list[str] = []
    for text, rid in rows:
        texts.append(text)
        ids.append(rid)
        if len(texts) == batch:
            yield texts, ids
            texts, ids = [], []
    if texts:
        yield texts, ids


def _texts(file: InputFile, field: str, values: list[Any], row: int) -> list[str]:
    for n, value in enumerate(values):
        if not isinstance(value, str):
            seen = "null" if value is None else type(value).__name__
            raise InputError(f"{file.name}: row {row + n}: field {field!r} is {seen}, expected a string")
    return values


def _ids(file: InputFile, id_field: str | None, values: list[Any] | None, row: int, n: int) -> list[str]:
    if values is None:
        return [f"{file.name}:{row + i}" for i in range(n)]
    for i, value in enumerate(values):
        if value is None:
            raise InputError(f"{file.name}: row {row + i}: no id in field {id_field!r}")
    return [str(v) for v in values]


def _binary(file: InputFile) -> io.BufferedReader:
    filesys, path = filesystem(file.uri)
    try:
        return io.BufferedReader(filesys.open_input_file(path), 1 << 20)
    except OSError as exc:
        raise InputError(f"cannot read {file.uri}: {exc}") from None


def _parquet(file: InputFile) -> Any:
    import pyarrow.parquet as pq

    filesys, path = filesystem(file.uri)
    try:
        return pq.ParquetFile(filesys.open_input_file(path))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {file.uri} as Parquet: {exc}") from None


def _parquet_batches(file: InputFile, columns: list[str], start: int) -> Generator[Any, None, None]:
    """Record batches from the row group holding row `start` on, the rows before `start` cut off."""
    parquet = _parquet(file)
    with closing(parquet):
        yield from _row_groups_from(file, parquet, columns, start)


def _row_groups_from(file: InputFile, parquet: Any, columns: list[str], start: int) -> Iterator[Any]:
    names = parquet.schema_arrow.names
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputError(f"{file.name}: no column {missing[0]!r} (columns: {', '.join(names)})")
    groups, first, skipped = [], 0, 0
    for g in range(parquet.metadata.num_row_groups):
        rows = parquet.metadata.row_group(g).num_rows
        if first + rows <= start:  # wholly before the range: not read at all
            skipped = first + rows
        else:
            groups.append(g)
        first += rows
    skip = start - skipped
    for record_batch in parquet.iter_batches(batch_size=READ_BATCH, row_groups=groups, columns=columns):
        if skip >= record_batch.num_rows:
            skip -= record_batch.num_rows
            continue
        yield record_batch.slice(skip)
        skip = 0


def _csv_batches(file: InputFile, columns: list[str] | None, start: int) -> Generator[Any, None, None]:
    import pyarrow as pa
    from pyarrow import csv

    read = csv.ReadOptions(skip_rows_after_names=start, block_size=1 << 22)
    parse = csv.ParseOptions(delimiter="\t" if file.format == "tsv" else ",", newlines_in_values=True)
    convert = csv.ConvertOptions(include_columns=columns or [], column_types=dict.fromkeys(columns or [], pa.string()))
    filesys, path = filesystem(file.uri)
    # A native pyarrow stream, and the reader closed however the iteration ends: pyarrow reads ahead on a
    # background thread, and one left running (a range that stops before the end of the file, an error)
    # deadlocks the interpreter's exit, the more so when that thread must call back into a Python file object.
    with filesys.open_input_stream(path) as stream:
        try:
            reader = csv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
        except (pa.ArrowInvalid, KeyError) as exc:
            raise InputError(f"{file.name}: cannot read as {file.format.upper()}: {exc}") from None
        try:
            yield from reader
        except pa.ArrowInvalid as exc:
            raise InputError(f"{file.name}: cannot read as {file.format.upper()}: {exc}") from None
        finally:
            reader.close()
