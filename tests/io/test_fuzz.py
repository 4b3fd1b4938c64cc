"""Fuzzing the file readers and bulk resume: whatever the cells of a CSV / TSV / JSONL / Parquet file, only
minilm's own errors (MinilmError) escape the reader and `minilm encode`, and a file read whole gives one record
per row; whatever is done to a finished bulk output directory, a rerun either raises a MinilmError or reports
a complete job whose shards equal an unbroken run's: never complete with rows missing."""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minilm.bulk import encode_files
from minilm.cli.main import main
from minilm.errors import MinilmError
from minilm.io.readers import read_records
from tests.bulk.conftest import corpus, read_output, write_jsonl
from tests.conftest import write_tiny_model

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

hostile = st.sampled_from(["", '"', '""', "\x00", "\r", "\n", "\r\n", ",", "\t", "\ufeff", "\u2028", "{", "[", "\\",
                           "\\ud800", "é", "中", "😀", "a" * 300, "b" * 140_000])  # fmt: skip
nested = st.integers(1, 120_000).map(lambda n: b'{"text": "x", "v": ' + b"[" * n + b"]" * n + b"}")
huge_int = st.integers(4_000, 6_000).map(lambda n: b'{"text": "x", "id": ' + b"7" * n + b"}")
cells = st.lists(hostile | st.text(max_size=20), max_size=4).map("".join)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


@contextlib.contextmanager
def folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp())
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _read(path: Path, **options: str) -> list[object] | MinilmError:
    try:
        return list(read_records(str(path), **options))
    except MinilmError as exc:
        assert "Traceback" not in str(exc) and len(str(exc)) < 2000
        return exc


def _encode(tiny: Path, path: Path, out: Path, *options: str) -> int:
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        return main(["encode", "-m", str(tiny), "-e", "numpy", "-i", str(path), "-o", str(out), *options])


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=1, max_size=3), max_size=6), tsv=st.booleans(),
       raw=st.binary(max_size=40))  # fmt: skip
def test_csv_and_tsv_cells(rows: list[list[str]], tsv: bool, raw: bytes) -> None:
    with folder() as tmp:
        path = tmp / ("t.tsv" if tsv else "t.csv")
        stream = io.StringIO()
        csv.writer(stream, delimiter="\t" if tsv else ",").writerows([["text", "id"], *rows])
        path.write_bytes(stream.getvalue().encode("utf-8", "surrogatepass") + raw)
        result = _read(path)
        if not isinstance(result, MinilmError):
            assert all(isinstance(r.text, str) for r in result)  # type: ignore[attr-defined]
        assert _encode(_setup()[0], path, tmp / "v.parquet") in (0, 1)


@FUZZ
@given(
    rows=st.lists(st.dictionaries(st.sampled_from(["text", "id", "x"]), json_values | cells, max_size=3), max_size=5),
    junk=st.lists(st.binary(max_size=12) | hostile.map(str.encode) | nested | huge_int, max_size=2),
)
def test_jsonl_rows(rows: list[dict[str, object]], junk: list[bytes]) -> None:
    with folder() as tmp:
        path = tmp / "r.jsonl"
        lines = [json.dumps(r).encode() for r in rows] + junk
        path.write_bytes(b"\n".join(lines) + b"\n")
        result = _read(path, id_field="id")
        if not isinstance(result, MinilmError) and not junk:
            assert [r.text for r in result] == [row["text"] for row in rows]  # type: ignore[attr-defined]
        assert _encode(_setup()[0], path, tmp / "shards/", "--shard-size", "2", "--id-field", "id") in (0, 1)


@FUZZ
@given(texts=st.lists(st.none() | cells, max_size=5), ids=st.sampled_from(["str", "int", "float", "binary", "none"]))
def test_parquet_columns(texts: list[str | None], ids: str) -> None:
    with folder() as tmp:
        path = tmp / "p.parquet"
        column = {"str": [str(n) for n in range(len(texts))], "int": list(range(len(texts))),
                  "float": [n / 3 for n in range(len(texts))], "binary": [b"\xff"] * len(texts),
                  "none": [None] * len(texts)}[ids]  # fmt: skip
        try:
            table = pa.table({"text": texts, "id": column})
        except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
            return  # not a Parquet file anyone could write
        pq.write_table(table, path)
        result = _read(path, id_field="id")
        if not isinstance(result, MinilmError):
            assert len(result) == len(texts)
        assert _encode(_setup()[0], path, tmp / "v.jsonl", "--id-field", "id") in (0, 1)


# -- bulk resume over a damaged output directory -------------------------------------------------------------
ROWS, SHARD = 60, 10


def _damage(out: Path, what: str, shard: int, amount: int) -> None:
    part = out / f"part-{shard:05d}.parquet"
    manifest = out / "manifest.json"
    try:
        record = json.loads(manifest.read_text())
    except ValueError:
        record = None  # an earlier damage broke it
    if what.startswith("manifest-") and (not isinstance(record, dict) or not record.get("shards")):
        return
    if what == "delete" and part.is_file():
        part.unlink()
    elif what == "truncate" and part.is_file():
        os.truncate(part, min(amount, part.stat().st_size))
    elif what == "flip" and part.is_file():
        data = bytearray(part.read_bytes()) or bytearray(1)
        data[amount % len(data)] ^= 0x5A
        part.write_bytes(bytes(data))
    elif what == "directory" and part.is_file():
        part.unlink()
        part.mkdir()
    elif what == "stray":
        (out / f"part-{90 + shard:05d}.parquet").write_bytes(b"x" * amount)
        (out / f".part-{shard:05d}.parquet.abc.tmp").write_bytes(b"y")
    elif what == "manifest-bytes":
        data = bytearray(manifest.read_bytes())
        del data[amount % max(len(data), 1) :]
        manifest.write_bytes(bytes(data))
    elif what == "manifest-rows" and isinstance(record, dict):
        record["shards"][shard % len(record["shards"])]["rows"] = amount
        manifest.write_text(json.dumps(record))
    elif what == "manifest-drop" and isinstance(record, dict):
        del record["shards"][shard % len(record["shards"])]
        record["complete"] = True
        manifest.write_text(json.dumps(record))


KINDS = ["delete", "truncate", "flip", "directory", "stray", "manifest-bytes", "manifest-rows", "manifest-drop"]
damages = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, ROWS // SHARD - 1), st.integers(0, 5000)), min_size=1, max_size=3
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damage=damages)
def test_bulk_resume_over_a_damaged_directory(damage: list[tuple[str, int, int]]) -> None:
    with folder() as tmp:
        out = tmp / "out"
        tiny, source, reference = _setup()
        shutil.copytree(reference, out)
        for what, shard, amount in damage:
            _damage(out, what, shard, amount)
        try:
            result = encode_files(source, out, model=str(tiny), engine="numpy", shard_size=SHARD)
        except MinilmError:
            return
        manifest = json.loads((out / "manifest.json").read_text())
        assert result.rows == ROWS and manifest["complete"] and len(manifest["shards"]) == ROWS // SHARD
        assert read_output(out).equals(read_output(reference))


@functools.cache
def _setup() -> tuple[Path, Path, Path]:
    """(tiny model, a JSONL corpus, its unbroken bulk output), made once per session."""
    home = Path(tempfile.mkdtemp(prefix="minilm-fuzz-io-"))
    tiny = write_tiny_model(home / "tiny")
    source = write_jsonl(home / "c.jsonl", corpus(ROWS, seed=9))
    encode_files(source, home / "reference", model=str(tiny), engine="numpy", shard_size=SHARD)
    return tiny, source, home / "reference"
