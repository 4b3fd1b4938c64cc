"""minilm.io.readers.json_lines: the one JSONL reader of the package (records, training rows, BEIR files)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from minilm.errors import DatasetError, InputError
from minilm.io.readers import json_lines


def test_values_with_their_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('\ufeff{"a": 1}\n\n  \n["x", "y"]\r\n', encoding="utf-8")  # BOM, blank lines, CRLF
    assert list(json_lines(path, objects=False)) == [(f"{path}:1", {"a": 1}), (f"{path}:4", ["x", "y"])]


def test_streams_are_named() -> None:
    assert list(json_lines(io.StringIO('{"t": "a"}\n'), "<stdin>")) == [("<stdin>:1", {"t": "a"})]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}\n{"a": \n', r"rows.jsonl:2: not valid JSON"),
        ('{"a": 1}\n[1]\n', r"rows.jsonl:2: expected a JSON object, got list"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        list(json_lines(path))


def test_error_type_is_the_callers(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot read .*missing.jsonl"):
        list(json_lines(tmp_path / "missing.jsonl", error=DatasetError))
    (tmp_path / "bad.jsonl").write_bytes(b'{"a": "\xff"}\n')
    with pytest.raises(DatasetError, match="bad.jsonl: not valid UTF-8"):
        list(json_lines(tmp_path / "bad.jsonl", error=DatasetError))
