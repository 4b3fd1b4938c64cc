"""Reading records (text + optional id and metadata) from plain text, JSONL, CSV and Parquet files."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from minilm.errors import InputError, MinilmError, MissingExtraError

FORMATS = ("auto", "lines", "jsonl", "csv", "tsv", "parquet")


@dataclass
class Record:
    """One input item: its text, an id (given, or its 0-based position) and any other fields."""

    text: str
    id: str
    meta: dict[str, Any] = field(default_factory=dict)


def detect_format(path: str | None, fmt: str) -> str:
    """The format named, or the one a file's extension implies (plain lines otherwise and for stdin)."""
    if fmt != "auto":
        if fmt not in FORMATS:
            raise InputError(f"format {fmt!r} is unknown; expected one of {FORMATS}")
        return fmt
    suffix = Path(path).suffix.lower() if path and path != "-" else ""
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet"}.get(
        suffix, "lines"
    )


def _open(path: str | None) -> IO[str]:
    if path in (None, "-"):
        return sys.stdin
    try:
        return open(path, encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def _from_mapping(row: dict[str, Any], n: int, where: str, text_field: str, id_field: str | None) -> Record:
    if text_field not in row:
        raise InputError(f"{where}: no field {text_field!r} (fields: {', '.join(map(str, row)) or 'none'})")
    text = row[text_field]
    if not isinstance(text, str):
        raise InputError(f"{where}: field {text_field!r} is {type(text).__name__}, expected a string")
    rid = row.get(id_field) if id_field else None
    meta = {k: v for k, v in row.items() if k not in (text_field, id_field)}
    return Record(text, str(rid) if rid is not None else str(n), meta)


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
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{where}: not valid JSON ({exc.msg})") from None
        if objects and not isinstance(value, dict):
            raise error(f"{where}: expected a JSON object, got {type(value).__name__}")
        yield where, value


def read_records(
    path: str | None, fmt: str = "auto", text_field: str = "text", id_field: str | None = None
) -> Iterator[Record]:
    """Yield records from a file ('-' or None: stdin). Errors name the file, line and what was wrong."""
    kind = detect_format(path, fmt)
    name = path or "<stdin>"
    if kind == "parquet":
        yield from _read_parquet(name, text_field, id_field)
        return
    stream = _open(path)
    try:
        if kind == "lines":
            for n, line in enumerate(stream):
                yield Record(line.rstrip("\r\n"), str(n))
        elif kind == "jsonl":
            for n, (where, row) in enumerate(json_lines(stream, name)):
                yield _from_mapping(row, n, where, text_field, id_field)
        else:
            reader = csv.DictReader(stream, delimiter="\t" if kind == "tsv" else ",")
            for n, row in enumerate(reader):
                yield _from_mapping(row, n, f"{name}:{reader.line_num}", text_field, id_field)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not valid UTF-8 (byte offset {exc.start})") from None
    finally:
        if stream is not sys.stdin:
            stream.close()


def texts_or_file(
    texts: list[str], path: str | None, fmt: str = "auto", text_field: str = "text", id_field: str | None = None
) -> list[Record] | None:
    """Records from texts given on a command line, else from a file (None or '-': stdin); None when both."""
    if texts and path:
        return None
    if texts:
        return [Record(text, str(n)) for n, text in enumerate(texts)]
    return list(read_records(path, fmt, text_field, id_field))


def _read_parquet(path: str, text_field: str, id_field: str | None) -> Iterator[Record]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtraError("reading Parquet needs pyarrow: pip install '.[parquet]'") from None
    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path} as Parquet: {exc}") from None
    for n, row in enumerate(table.to_pylist()):
        yield _from_mapping(row, n, f"{path}: row {n}", text_field, id_field)
