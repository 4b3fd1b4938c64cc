"""The one reader of input rows, for every command: plain lines, JSONL, CSV / TSV and Parquet, as a stream.

Every row becomes a `Record`: its text (the `text_field` column; the whole line for plain lines), its id and
its other fields. **The id rule**, the same for `encode` (any output), `dedup`, `cluster` and bulk shards:
the row's `id_field` value when one is named (a string or an integer; a row without one is an error), else
its 0-based position in the whole input ("0", "1", ...), counting the rows of a directory's files in their
listed order. Blank lines are not rows in JSONL and CSV / TSV; in plain lines every line is one.

Rows are read a few at a time, never the whole file: JSONL and plain lines line by line, CSV / TSV through
Python's csv module (with no field size limit: a cell may hold a text of any length), Parquet by row groups.
`scan` counts the rows and notes the byte offset and line of every `every`-th one, so a reader can start in
the middle of a large file (`read_file(..., start=, at=)`) without reading what comes before.
Errors are `InputError`s that name the file and line (Parquet: row) and what was wrong.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from minilm.errors import InputError, MinilmError, shown
from minilm.io.sources import FORMATS, InputFile, detect_format, list_inputs, open_binary

__all__ = ["FORMATS", "InputFile", "Record", "detect_format", "json_lines", "list_inputs", "read_file",
           "read_records", "scan", "texts_or_file"]  # fmt: skip

csv.field_size_limit(2**31 - 1)  # no limit below what a text can be (the module's default is 131,072 characters)
READ_BATCH = 2048  # Parquet rows decoded at a time
BOM = b"\xef\xbb\xbf"


@dataclass
class Record:
    """One input row: its text, its id (see the module docstring) and its other fields."""

    text: str
    id: str
    meta: dict[str, Any] = field(default_factory=dict)


Position = tuple[int, int]  # (byte offset, 1-based line number) where a row starts


# -- JSON ------------------------------------------------------------------------------------------------
def parse_json(line: str | bytes, where: str, error: type[MinilmError] = InputError) -> Any:
    """json.loads that reports every failure, a value nested too deep and an over-long integer included, as
    `error` naming `where`."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise error(f"{where}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise error(f"{where}: not usable JSON (nested too deep)") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise error(f"{where}: not usable JSON ({str(exc).split(';')[0]})") from None


def json_lines(
    source: str | Path | IO[str], name: str | None = None, objects: bool = True, error: type[MinilmError] = InputError
) -> Iterator[tuple[str, Any]]:
    """(where, value) for each non-blank line of a JSONL file or open text stream; `where` is "name:line".

    objects: every value must be a JSON object. Errors (type `error`) name the file, the line and what was wrong.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            with path.open(encoding="utf-8-sig") as stream:
                yield from json_lines(stream, name or str(path), objects, error)
        except OSError as exc:
            raise error(f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise error(f"{path}: not valid UTF-8 (byte offset {exc.start})") from None
        return
    name = name or getattr(source, "name", "<stream>")
    for lineno, line in enumerate(source, 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        value = parse_json(line, where, error)
        if objects and not isinstance(value, dict):
            raise error(f"{where}: expected a JSON object, got {type(value).__name__}")
        yield where, value


# -- lines of a byte stream -------------------------------------------------------------------------------
class _Lines:
    """The decoded lines of a binary stream, counting the bytes and lines consumed (csv.reader pulls from it,
    one line at a time, so `position` before each record is where that record starts)."""

    def __init__(self, stream: IO[bytes], where: str, at: Position = (0, 1)):
        self.stream, self.where = stream, where
        self.position, self.line = at

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.stream.readline()
        if not raw:
            raise StopIteration
        if self.position == 0 and raw.startswith(BOM):
            raw, self.position = raw[3:], 3
        self.position += len(raw)
        self.line += 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{self.where}:{self.line - 1}: not valid UTF-8 (byte {exc.start} of the line)") from None


def _line_rows(file: InputFile, stream: IO[bytes], at: Position, parse: bool) -> Iterator[tuple[Position, Any]]:
    """(where the row starts, its value) for the rows of a plain-lines or JSONL file from `at` on; parse=False
    yields None for the values (counting rows)."""
    position, line = at
    jsonl = file.format == "jsonl"
    for raw in stream:
        start = (position, line)
        if position == 0 and raw.startswith(BOM):
            raw, position = raw[3:], 3
        position += len(raw)
        line += 1
        if jsonl and not raw.strip():
            continue  # a blank line
        if not parse:
            yield start, None
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{file.uri}:{start[1]}: not valid UTF-8 (byte {exc.start} of the line)") from None
        if not jsonl:
            yield start, text.rstrip("\r\n")
            continue
        value = parse_json(text, f"{file.uri}:{start[1]}")
        if not isinstance(value, dict):
            raise InputError(f"{file.uri}:{start[1]}: expected a JSON object, got {type(value).__name__}")
        yield start, value


def _csv_rows(file: InputFile, stream: IO[bytes], at: Position | None, parse: bool) -> Iterator[tuple[Position, Any]]:
    """(where the record starts, {column: cell}) for the records of a CSV / TSV file, from `at` on; parse=False
    yields None for the values (counting rows)."""
    lines = _Lines(stream, file.uri)
    delimiter = "\t" if file.format == "tsv" else ","
    try:
        header = next(csv.reader(lines, delimiter=delimiter, strict=True), None)
        if header is None:
            return
        if at is not None:
            stream.seek(at[0])
            lines = _Lines(stream, file.uri, at)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        while True:
            start = (lines.position, lines.line)
            cells = next(reader, None)
            if cells is None:
                return
            if not cells:
                continue  # a blank line
            if len(cells) > len(header):
                raise InputError(f"{file.uri}:{start[1]}: {len(cells)} fields, the header has {len(header)}")
            yield start, dict(zip(header, cells, strict=False)) if parse else None
    except csv.Error as exc:
        raise InputError(f"{file.uri}:{lines.line}: cannot read as {file.format.upper()} ({exc})") from None


@contextlib.contextmanager
def _opened(file: InputFile) -> Iterator[IO[bytes]]:
    if file.uri != "-":
        with open_binary(file) as stream:
            yield stream
        return
    buffer = getattr(sys.stdin, "buffer", None)  # a replaced sys.stdin (a test's StringIO) has none
    yield buffer if buffer is not None else io.BytesIO(sys.stdin.read().encode("utf-8", "surrogateescape"))


def _rows(file: InputFile, at: Position | None = None, parse: bool = True) -> Iterator[tuple[Position, Any]]:
    with _opened(file) as stream:
        if file.format == "csv" or file.format == "tsv":
            yield from _csv_rows(file, stream, at, parse)
            return
        if at is not None:
            stream.seek(at[0])
        yield from _line_rows(file, stream, at or (0, 1), parse)


# -- Parquet ----------------------------------------------------------------------------------------------
def _parquet(file: InputFile) -> Any:
    from minilm.extras import missing_module

    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise missing_module("parquet", f"reading {file.uri}", exc) from None
    try:
        return pq.ParquetFile(open_binary(file))
    except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError
        raise InputError(f"cannot read {file.uri} as Parquet: {exc}") from None


def _parquet_rows(file: InputFile, columns: list[str] | None, start: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row, {column: value}) from row `start` on; row groups wholly before it are not read."""
    parquet = _parquet(file)
    with contextlib.closing(parquet):
        names = parquet.schema_arrow.names
        missing = [c for c in columns or [] if c not in names]
        if missing:
            raise InputError(f"{file.uri}: no column {shown(missing[0])} (columns: {', '.join(names)})")
        groups, first, row = [], 0, 0
        for g in range(parquet.metadata.num_row_groups):
            rows = parquet.metadata.row_group(g).num_rows
            if first + rows <= start:
                row = first + rows
            else:
                groups.append(g)
            first += rows
        try:
            for batch in parquet.iter_batches(batch_size=READ_BATCH, row_groups=groups, columns=columns):
                for values in batch.to_pylist():
                    if row >= start:
                        yield row, values
                    row += 1
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read {file.uri} as Parquet: {exc}") from None


# -- rows to records --------------------------------------------------------------------------------------
def _record(values: Any, where: str, text_field: str, id_field: str | None, default_id: int, meta: bool) -> Record:
    if isinstance(values, str):  # a plain line
        return Record(values, str(default_id))
    if text_field not in values:
        fields = ", ".join(shown(str(k))[1:-1] for k in list(values)[:20]) or "none"
        raise InputError(f"{where}: no field {shown(text_field)} (fields: {fields})")
    text = values[text_field]
    if not isinstance(text, str):
        seen = "null" if text is None else type(text).__name__
        raise InputError(f"{where}: field {shown(text_field)} is {seen}, expected a string")
    _check_unicode(text, where, text_field)
    rid = str(default_id)
    if id_field is not None:
        given = values.get(id_field)
        if given is None:
            raise InputError(f"{where}: no id in field {shown(id_field)}")
        if isinstance(given, bool) or not isinstance(given, str | int):
            raise InputError(f"{where}: id field {shown(id_field)} is {type(given).__name__}, expected a string "
                             "or an integer")  # fmt: skip
        rid = str(given)
        _check_unicode(rid, where, id_field)
    extra = {k: v for k, v in values.items() if k != text_field and k != id_field} if meta else {}
    return Record(text, rid, extra)


def _check_unicode(value: str, where: str, name: str) -> None:
    """A lone surrogate (JSON can spell one: "\\ud800") is no character: no output format could store it."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(f"{where}: field {shown(name)} holds a lone surrogate ({exc.object[exc.start]!a}) at "
                             f"character {exc.start}, which is not text") from None  # fmt: skip


def scan(file: InputFile, every: int, base: int = 0) -> tuple[int, dict[int, Position]]:
    """(rows in the file, {row: position} for the rows whose global number base + row is a multiple of
    `every`). Parquet row counts come from its footer (and need no positions)."""
    if file.format == "parquet":
        parquet = _parquet(file)
        with contextlib.closing(parquet):
            return int(parquet.metadata.num_rows), {}
    rows, positions = 0, {}
    for start, _ in _rows(file, parse=False):
        if (base + rows) % every == 0:
            positions[rows] = start
        rows += 1
    return rows, positions


def read_file(file: InputFile, text_field: str = "text", id_field: str | None = None, first_id: int = 0,
              start: int = 0, stop: int | None = None, at: Position | None = None,
              meta: bool = True) -> Iterator[Record]:  # fmt: skip
    """Records of rows [start, stop) of one file; row r's default id is first_id + r.

    at: the position of row `start` (from `scan`), so that the rows before it are not read; without it they
    are read and skipped. meta=False leaves the other fields out (and reads only the needed Parquet columns).
    """
    if file.format == "parquet":
        columns = None if meta else [text_field] + ([id_field] if id_field else [])
        for row, values in _parquet_rows(file, columns, start):
            if stop is not None and row >= stop:
                return
            yield _record(values, f"{file.uri}: row {row}", text_field, id_field, first_id + row, meta)
        return
    row = start if at is not None else 0
    for position, values in _rows(file, at):
        if stop is not None and row >= stop:
            return
        if row >= start:
            yield _record(values, f"{file.uri}:{position[1]}", text_field, id_field, first_id + row, meta)
        row += 1


def read_records(path: str | None, fmt: str = "auto", text_field: str = "text",
                 id_field: str | None = None) -> Iterator[Record]:  # fmt: skip
    """Records of every row of `path`: a file, a directory of files, or stdin ('-' or None)."""
    first = 0
    for file in list_inputs(path, fmt):
        for record in read_file(file, text_field, id_field, first):
            yield record
            first += 1


def texts_or_file(
    texts: list[str], path: str | None, fmt: str = "auto", text_field: str = "text", id_field: str | None = None
) -> list[Record] | None:
    """Records from texts given on a command line, else from a file (None or '-': stdin); None when both."""
    if texts and path:
        return None
    if texts:
        return [Record(text, str(n)) for n, text in enumerate(texts)]
    return list(read_records(path, fmt, text_field, id_field))
