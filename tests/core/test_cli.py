"""The CLI, driven in-process: exact outputs, files written, errors without tracebacks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from minilm.cli.main import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:  # fmt: skip
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_encode_arguments_to_jsonl_on_stdout(tiny_dir: Path, tiny, capsys) -> None:
    code, out, _ = run(["encode", "-m", str(tiny_dir), "-e", "numpy", "the cat", "a dog"], capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["text"]) for r in rows] == [("0", "the cat"), ("1", "a dog")]
    assert np.allclose([r["embedding"] for r in rows], tiny.encode(["the cat", "a dog"]), atol=1e-7)


def test_encode_stdin_lines_to_npy(tiny_dir: Path, tiny, tmp_path: Path, capsys, monkeypatch) -> None:
    target = tmp_path / "v.npy"
    code, out, err = run(["encode", "-m", str(tiny_dir), "-e", "numpy", "-o", str(target)], capsys,
                         stdin="the cat\nhello world\n", monkeypatch=monkeypatch)  # fmt: skip
    assert code == 0 and out == ""
    assert err == f"wrote 2 vectors of dimension 8 to {target}\n"
    assert np.allclose(np.load(target), tiny.encode(["the cat", "hello world"]))


def test_encode_jsonl_field_and_ids(tiny_dir: Path, tiny, tmp_path: Path, capsys) -> None:
    source = tmp_path / "docs.jsonl"
    source.write_text('{"doc": "d1", "body": "the cat"}\n\n{"doc": "d2", "body": "a dog", "tag": 1}\n')
    code, out, _ = run(["encode", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source), "--field", "body",
                        "--id-field", "doc"], capsys)  # fmt: skip
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["d1", "d2"]


def test_encode_csv_column_to_parquet(tiny_dir: Path, tiny, tmp_path: Path, capsys) -> None:
    import pyarrow.parquet as pq

    source = tmp_path / "t.csv"
    source.write_text('id,sentence\n7,"the cat, sat"\n8,a dog\n')
    target = tmp_path / "v.parquet"
    code, _, _ = run(["encode", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source), "--field", "sentence",
                      "-o", str(target), "--with-text"], capsys)  # fmt: skip
    assert code == 0
    table = pq.read_table(target).to_pydict()
    assert list(table) == ["id", "vector", "tokens", "truncated", "text"]  # the one schema (minilm.io.writers)
    assert table["text"] == ["the cat, sat", "a dog"]
    assert np.allclose(np.array(table["vector"]), tiny.encode(["the cat, sat", "a dog"]), atol=1e-7)


def test_missing_field_is_a_clean_error(tiny_dir: Path, tmp_path: Path, capsys) -> None:
    source = tmp_path / "d.jsonl"
    source.write_text('{"title": "x"}\n')
    code, out, err = run(["encode", "-m", str(tiny_dir), "-i", str(source)], capsys)
    assert code == 1 and out == ""
    assert err == f"minilm encode: error: {source}:1: no field 'text' (fields: title)\n"


def test_bad_json_line_names_the_line(tiny_dir: Path, tmp_path: Path, capsys) -> None:
    source = tmp_path / "d.jsonl"
    source.write_text('{"text": "ok"}\n{oops\n')
    code, _, err = run(["encode", "-m", str(tiny_dir), "-i", str(source)], capsys)
    assert code == 1 and err.startswith(f"minilm encode: error: {source}:2: not valid JSON")


def test_unknown_output_extension(tiny_dir: Path, capsys) -> None:
    code, _, err = run(["encode", "-m", str(tiny_dir), "x", "-o", "v.txt"], capsys)
    assert code == 1 and "cannot tell the output format from 'v.txt'" in err


def test_info_json(tiny_dir: Path, capsys) -> None:
    code, out, _ = run(["info", "-m", str(tiny_dir), "-e", "numpy", "--json"], capsys)
    info = json.loads(out)
    assert code == 0
    assert info["engine"] == "numpy" and info["dimension"] == 8 and info["source"] == "path"
    assert len(info["sha256"]) == 64 and info["path"] == str(tiny_dir)


def test_info_text(tiny_dir: Path, capsys) -> None:
    code, out, _ = run(["info", "-m", str(tiny_dir), "-e", "numpy"], capsys)
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert code == 0 and lines["engine"] == "numpy" and lines["max_seq_length"] == "16"


def test_missing_model_folder(tmp_path: Path, capsys) -> None:
    code, _, err = run(["info", "-m", str(tmp_path / "none")], capsys)
    assert code == 1 and err == f"minilm info: error: {tmp_path / 'none'} is not a model folder\n"


def test_download_reports_a_model_already_present(tiny_dir: Path, capsys) -> None:
    code, out, _ = run(["download", str(tiny_dir)], capsys)
    assert code == 0 and out == f"{tiny_dir}\n"


def test_encode_refuses_a_data_file_as_model_and_a_missing_output_folder(tiny_dir: Path, tmp_path: Path,
                                                                         capsys) -> None:  # fmt: skip
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"text": "x"}\n')
    code, _, err = run(["encode", "-m", str(docs), "-i", str(docs)], capsys)
    assert (code, err) == (1, f"minilm encode: error: -m {docs} looks like a data file, not a model folder or hub "
                              f"name; did you mean -i {docs}?\n")  # fmt: skip
    target = tmp_path / "nope" / "dir" / "out.npy"
    code, _, err = run(["encode", "-m", str(tiny_dir), "-e", "numpy", "-o", str(target), "x"], capsys)
    assert (code, err) == (1, f"minilm encode: error: -o {target}: the folder {target.parent} does not exist; "
                              "create it first\n")  # fmt: skip
    assert not (tmp_path / "nope").exists()
