"""The writers of every output: vectors as .npy, JSONL or Parquet (one schema, for a file and for every bulk
shard), and the rows of dedup / cluster / mine-paraphrases as CSV or JSONL.

**The Parquet schema** (`-o out.parquet` and each `-o DIR/` shard alike):

    id         string                      the row's id (see minilm.io.readers)
    vector     fixed_size_list<T>[W]       float32 [D]; int8 / uint8 [D]; binary int8 / ubinary uint8 [D/8] bits
    tokens     int32                       the text's token count, [CLS]/[SEP] included (a lower bound when cut)
    truncated  bool                        the model saw only its first max_seq_length tokens
    text       string                      only when asked for (--with-text)

JSONL has one object per row, {"id", "text", "embedding"}; .npy holds the (N, W) array alone. A file is
written through `minilm.files.atomic_write` (a fresh temporary name beside it, fsync, rename; the umask's
mode), so it is the old file or the complete new one, and an OS failure (a full disk, a read-only folder) is
one `OutputError` naming the file, with nothing half-written left behind.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from minilm.errors import InputError, OutputError, shown
from minilm.files import atomic_write

OUTPUT_FORMATS = ("auto", "npy", "jsonl", "parquet", "shards")
SUFFIXES = {".npy": "npy", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
VECTOR_TYPES = {"float32": "float32", "int8": "int8", "uint8": "uint8", "binary": "int8", "ubinary": "uint8"}


def output_format(path: str | None, fmt: str = "auto") -> str:
    """The output named by --to, else by the path: .npy / .jsonl / .parquet a file; an existing directory, a
    path ending in "/" or one without an extension a shard directory ("shards"); stdout JSONL."""
    if fmt not in OUTPUT_FORMATS:
        raise InputError(f"output format {shown(fmt)} is unknown; expected one of {', '.join(OUTPUT_FORMATS)}")
    if fmt != "auto":
        return fmt
    if path in (None, "-"):
        return "jsonl"
    text = str(path)
    suffix = os.path.splitext(text.rstrip("/" + os.sep))[1].lower()
    if os.path.isdir(text) or text.endswith(("/", os.sep)) or not suffix:
        return "shards"
    if suffix not in SUFFIXES:
        raise InputError(f"cannot tell the output format from {shown(text)}; use .npy, .jsonl, .parquet or a "
                         "directory, or --to")  # fmt: skip
    return SUFFIXES[suffix]


# -- the Parquet schema -----------------------------------------------------------------------------------
def vector_schema(precision: str, width: int, with_text: bool) -> Any:
    """The Arrow schema of a vector table (see the module docstring)."""
    import pyarrow as pa

    vector = pa.list_(pa.from_numpy_dtype(np.dtype(VECTOR_TYPES[precision])), width)
    fields = [("id", pa.string()), ("vector", vector), ("tokens", pa.int32()), ("truncated", pa.bool_())]
    return pa.schema(fields + ([("text", pa.string())] if with_text else []))


def vector_table(schema: Any, ids: Sequence[str], vectors: np.ndarray, tokens: np.ndarray, truncated: np.ndarray,
                 texts: Sequence[str] | None) -> Any:  # fmt: skip
    """Rows as an Arrow table in `schema` (texts given when the schema has a text column)."""
    import pyarrow as pa

    flat = pa.array(np.ascontiguousarray(vectors).reshape(-1))
    width = schema.field(1).type.list_size
    columns = [pa.array(list(ids), pa.string()), pa.FixedSizeListArray.from_arrays(flat, width),
               pa.array(np.asarray(tokens, dtype=np.int32)), pa.array(np.asarray(truncated, dtype=bool))]  # fmt: skip
    if texts is not None:
        columns.append(pa.array(list(texts), pa.string()))
    try:
        return pa.Table.from_arrays(columns, schema=schema)
    except (pa.ArrowInvalid, UnicodeEncodeError) as exc:
        raise InputError(f"cannot store these rows in Parquet: {exc}") from None


def parquet_module(purpose: str) -> Any:
    from minilm.extras import missing_module

    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise missing_module("parquet", purpose, exc) from None
    return pq


# -- files ------------------------------------------------------------------------------------------------
@contextmanager
def output_file(path: str | os.PathLike[str], mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """atomic_write(path) whose OS failures become one OutputError naming the file."""
    try:
        with atomic_write(path, mode, **kwargs) as f:
            yield f
    except OutputError:
        raise
    except OSError as exc:
        if not hasattr(exc, "errno") or exc.errno is None:
            raise
        raise OutputError(f"cannot write {path}: {exc.strerror}; nothing was written there") from None


def write(path: str | None, fmt: str, ids: Sequence[str], texts: Sequence[str], vectors: np.ndarray,
          tokens: np.ndarray | None = None, truncated: np.ndarray | None = None, precision: str = "float32",
          with_text: bool = False) -> None:  # fmt: skip
    """Write the vectors (N, W) of texts to a file ('-' or None: JSONL on stdout) in format `fmt`."""
    kind = output_format(path, fmt)
    if path in (None, "-"):
        if kind != "jsonl":
            raise InputError(f"{kind} output needs a file (-o PATH); stdout takes JSONL")
        _jsonl(sys.stdout, ids, texts, vectors)
        return
    if kind == "parquet":
        pq = parquet_module(f"-o {path}")
        width = vectors.shape[1] if vectors.ndim == 2 else 0
        schema = vector_schema(precision, width, with_text)
        n = len(ids)
        table = vector_table(schema, ids, vectors.reshape(n, width),
                             np.zeros(n) if tokens is None else tokens,
                             np.zeros(n, bool) if truncated is None else truncated,
                             texts if with_text else None)  # fmt: skip
        with output_file(path) as f:
            pq.write_table(table, f)
    elif kind == "npy":
        with output_file(path) as f:
            np.save(f, vectors)
    elif kind == "jsonl":
        with output_file(path, "w", encoding="utf-8") as f:
            _jsonl(f, ids, texts, vectors)
    else:
        raise InputError(f"{kind} output is written by the bulk job, not as one file")


def _jsonl(out: IO[str], ids: Sequence[str], texts: Sequence[str], vectors: np.ndarray) -> None:
    for rid, text, vector in zip(ids, texts, vectors, strict=True):
        out.write(json.dumps({"id": rid, "text": text, "embedding": vector.tolist()}) + "\n")


def write_rows(path: str | None, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Rows as CSV (a .csv path) or JSONL (another path, or stdout when path is None)."""
    if not path:
        _rows(sys.stdout, rows, columns, csv_=False)
        return
    with output_file(path, "w", encoding="utf-8", newline="") as f:
        _rows(f, rows, columns, csv_=Path(path).suffix.lower() == ".csv")


def _rows(out: IO[str], rows: list[dict[str, Any]], columns: list[str], csv_: bool) -> None:
    if csv_:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
