"""Every command reads through the one reader and writes through the one writer: the same CSV gives the same
ids, columns and vectors as a Parquet file and as a shard directory; a 200,000-character CSV cell and hostile
JSONL reach every command as text or as one clean error line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from minilm.cli.main import main

LONG = "the cat sat on the mat " * 8696  # 200,008 characters: over the csv module's default field limit


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "topic"])
        writer.writerows(rows)
    return path


def _shards(out: Path) -> pa.Table:
    manifest = json.loads((out / "manifest.json").read_text())
    return pa.concat_tables([pq.read_table(out / s["file"]) for s in manifest["shards"]])


@pytest.mark.parametrize("with_text", [[], ["--with-text"]])
def test_a_parquet_file_and_a_shard_directory_hold_the_same_rows(tiny_dir: Path, tmp_path: Path, capsys,
                                                                 with_text: list[str]) -> None:  # fmt: skip
    source = _csv(tmp_path / "c.csv", [("the cat sat", "a"), ("a happy dog, today", "b"), (LONG, "c"), ("", "d")])
    base = ["encode", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source), *with_text]
    assert run(capsys, *base, "-o", str(tmp_path / "out.parquet"))[0] == 0
    assert run(capsys, *base, "-o", str(tmp_path / "out") + "/", "--shard-size", "3")[0] == 0
    single, shards = pq.read_table(tmp_path / "out.parquet"), _shards(tmp_path / "out")
    assert single.schema.names == shards.schema.names == ["id", "vector", "tokens", "truncated"] + (
        ["text"] if with_text else [])  # fmt: skip
    assert single.schema == shards.schema
    assert single.column("id").to_pylist() == shards.column("id").to_pylist() == ["0", "1", "2", "3"]
    assert single.column("tokens").to_pylist() == shards.column("tokens").to_pylist()
    assert single.column("truncated").to_pylist() == shards.column("truncated").to_pylist() == [
        False, False, True, False]  # fmt: skip
    flat = [np.array(t.column("vector").to_pylist(), dtype=np.float32) for t in (single, shards)]
    assert flat[0].shape == (4, 8) and np.abs(flat[0] - flat[1]).max() <= 1e-6
    if with_text:
        assert single.column("text").to_pylist()[2] == LONG == shards.column("text").to_pylist()[2]


def test_a_200k_character_csv_cell_through_every_command(tiny_dir: Path, tmp_path: Path, capsys) -> None:
    source = str(_csv(tmp_path / "c.csv", [(LONG, "x"), ("a happy dog", "y"), (LONG + " today", "z")]))
    model = ["-m", str(tiny_dir), "-e", "numpy"]
    for target in ("v.npy", "v.jsonl", "v.parquet"):
        code, _, err = run(capsys, "encode", *model, "-i", source, "-o", str(tmp_path / target))
        assert (code, err) == (0, f"wrote 3 vectors of dimension 8 to {tmp_path / target}\n")
    code, _, err = run(capsys, "encode", *model, "-i", source, "-o", str(tmp_path / "shards/"), "--with-text")
    assert (code, err) == (0, f"{tmp_path / 'shards'}: 3 rows in 1 shards (1 written now)\n")
    for ix in ("ix", "ix2"):
        assert run(capsys, "index", "create", str(tmp_path / ix), *model[:2])[0] == 0
    code, _, err = run(capsys, "index", "add", str(tmp_path / "ix"), "-i", source)
    assert code == 0 and "added 3, replaced 0, unchanged 0" in err, err
    code, _, err = run(capsys, "index", "add", str(tmp_path / "ix2"), "--vectors", str(tmp_path / "shards"))
    assert code == 0 and err.startswith("added 3, replaced 0, unchanged 0 documents")
    code, out, err = run(capsys, "dedup", *model, "-i", source, "-t", "0.99")
    groups = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and err == "1 groups, 1 duplicates of 3 texts\n"
    assert sorted(g["id"] for g in groups) == ["0", "2"]  # the tiny model reads 16 tokens: the same vector
    assert sorted(len(g["text"]) for g in groups) == [len(LONG), len(LONG) + 6]
    code, out, err = run(capsys, "cluster", *model, "-i", source, "-k", "2")
    assert code == 0 and err == "2 clusters covering 3 of 3 texts\n"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "x", "m": ' + "[" * 100_000 + "]" * 100_000 + "}", "not usable JSON (nested too deep)"),
        ('{"text": "x", "n": ' + "9" * 4301 + "}", "not usable JSON (Exceeds the limit (4300 digits)"),
    ],
    ids=["nested-100000", "int-4301-digits"],
)
def test_hostile_jsonl_is_one_error_line_everywhere(tiny_dir: Path, tmp_path: Path, capsys, line: str,
                                                    message: str) -> None:  # fmt: skip
    source = tmp_path / "h.jsonl"
    source.write_text('{"text": "fine"}\n' + line + "\n")
    model = ["-m", str(tiny_dir), "-e", "numpy"]
    assert run(capsys, "index", "create", str(tmp_path / "ix"), *model[:2])[0] == 0
    for argv in (["encode", *model, "-i", str(source)],
                 ["encode", *model, "-i", str(source), "-o", str(tmp_path / "v.parquet")],
                 ["encode", *model, "-i", str(source), "-o", str(tmp_path / "shards/")],
                 ["index", "add", str(tmp_path / "ix"), "-i", str(source)],
                 ["dedup", *model, "-i", str(source)]):  # fmt: skip
        code, out, err = run(capsys, *argv)
        assert (code, out) == (1, ""), argv
        assert err.startswith(f"minilm {argv[0]}: error: {source}:2: {message}") and err.count("\n") == 1, err
