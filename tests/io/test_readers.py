"""minilm.io.readers: the one reader of rows (plain lines, JSONL, CSV/TSV, Parquet, directories) and its JSON
parsing, which training rows and BEIR files use too."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from pathlib import Path

import pytest

from minilm.errors import DatasetError, InputError
from minilm.io.readers import json_lines, read_records


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


# -- the one reader of every format -------------------------------------------------------------------------
def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8", newline="")
    return str(path)


def test_deep_nesting_and_huge_integers_name_the_line(tmp_path: Path) -> None:
    deep = _write(tmp_path / "deep.jsonl", '{"text": "ok"}\n' + '{"text": "x", "m": ' + "[" * 100_000 + "]" * 100_000
                  + "}\n")  # fmt: skip
    with pytest.raises(InputError, match=r"deep\.jsonl:2: not usable JSON \(nested too deep\)"):
        list(read_records(deep))
    with pytest.raises(InputError, match=r"deep\.jsonl:2: not usable JSON"):
        list(json_lines(deep))
    big = _write(tmp_path / "big.jsonl", '{"text": "x", "n": ' + "7" * 5000 + "}\n")
    with pytest.raises(InputError, match=r"big\.jsonl:1: not usable JSON \(Exceeds the limit \(4300 digits\)"):
        list(read_records(big))


def test_a_csv_cell_has_no_size_limit_below_a_text(tmp_path: Path) -> None:
    long = "word " * 40_000  # 200,000 characters, over the csv module's default limit of 131,072
    source = _write(tmp_path / "t.csv", f'id,text\n1,"{long}"\n2,short\n')
    assert [(r.id, r.text) for r in read_records(source, id_field="id")] == [("1", long), ("2", "short")]
    tsv = _write(tmp_path / "t.tsv", f"text\tn\n{long}\t3\n")
    assert [(r.text, r.meta) for r in read_records(tsv)] == [(long, {"n": "3"})]


def test_one_id_rule_over_a_directory_of_every_format(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    _write(data / "a.jsonl", '{"text": "a0"}\n\n{"text": "a1", "k": 1}\n')
    pq.write_table(pa.table({"text": ["b0", "b1"], "n": [5, 6]}), data / "b.parquet")
    _write(data / "sub" / "c.csv", 'text\n"c0, with ""quotes""\nand a newline"\n\nc1\n')
    _write(data / "notes.txt", "not read: only with --format lines\n")
    records = list(read_records(str(data)))
    assert [(r.id, r.text) for r in records] == [("0", "a0"), ("1", "a1"), ("2", "b0"), ("3", "b1"),
                                                 ("4", 'c0, with "quotes"\nand a newline'), ("5", "c1")]  # fmt: skip
    assert [r.meta for r in records[1:4]] == [{"k": 1}, {"n": 5}, {"n": 6}]
    lines = _write(tmp_path / "l.txt", "one\n\ntwo\r\n")
    assert [(r.id, r.text) for r in read_records(lines)] == [("0", "one"), ("1", ""), ("2", "two")]


def test_ids_from_the_id_field_must_be_there(tmp_path: Path) -> None:
    source = _write(tmp_path / "i.jsonl", '{"text": "a", "id": 7}\n{"text": "b", "id": "x"}\n{"text": "c"}\n')
    with pytest.raises(InputError, match=r"i\.jsonl:3: no id in field 'id'"):
        list(read_records(source, id_field="id"))
    assert [r.id for r in itertools.islice(read_records(source, id_field="id"), 2)] == ["7", "x"]
    bad = _write(tmp_path / "j.jsonl", '{"text": "a", "id": [1]}\n')
    with pytest.raises(InputError, match=r"j\.jsonl:1: id field 'id' is list, expected a string or an integer"):
        list(read_records(bad, id_field="id"))


@pytest.mark.parametrize("kind", ["jsonl", "csv", "tsv", "lines"])
def test_reading_from_a_scanned_position_equals_reading_from_the_start(tmp_path: Path, kind: str) -> None:
    from minilm.io.readers import list_inputs, read_file, scan

    texts = [f"row {n}" + (' with "quote", comma\nand newline' if n % 3 == 0 else "") for n in range(40)]
    if kind == "jsonl":
        rows = [json.dumps({"text": t}) + ("\n\n" if n % 5 == 0 else "\n") for n, t in enumerate(texts)]
        body = "\ufeff" + "".join(rows)
    elif kind == "lines":
        texts = [t.replace("\n", " ") for t in texts]
        body = "".join(t + "\n" for t in texts)
    else:
        delimiter = "\t" if kind == "tsv" else ","
        stream = io.StringIO()
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerows([["text"]] + [[t] for t in texts])
        body = "\ufeff" + stream.getvalue()
    file = list_inputs(_write(tmp_path / f"t.{'txt' if kind == 'lines' else kind}", body))[0]
    rows, positions = scan(file, every=7)
    assert rows == 40 and sorted(positions) == list(range(0, 40, 7))
    whole = [r.text for r in read_file(file)]
    assert whole == texts
    for start in range(7, 40, 7):
        part = list(read_file(file, first_id=100, start=start, stop=start + 7, at=positions[start]))
        assert [r.text for r in part] == texts[start : start + 7]
        assert [r.id for r in part] == [str(100 + n) for n in range(start, min(start + 7, 40))]


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="is a FIFO"):
        list(read_records(str(fifo)))
