"""The streaming bulk encoder: its shards hold what Encoder.encode gives, for every input format and setting."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from minilm.bulk import encode_files
from minilm.errors import InputError, TooLongError
from minilm.precision import quantize
from tests.bulk.conftest import corpus, read_output, vectors, write_csv, write_jsonl, write_parquet


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_shards_equal_the_library(tiny, tmp_path: Path, kind: str) -> None:
    texts = corpus(700)
    writer = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}[kind]
    source = writer(tmp_path / f"c.{kind}", texts)
    result = encode_files(source, tmp_path / "out", model=tiny, shard_size=300)
    assert (result.rows, result.shards, result.written, result.resumed) == (700, 3, 3, False)
    table = read_output(tmp_path / "out")
    expected, info = tiny.encode_with_info(texts)
    assert table.column("id").to_pylist() == [str(n) for n in range(700)]  # the row number: the one id rule
    assert np.abs(vectors(table) - expected).max() <= 1e-6
    assert table.column("tokens").to_pylist() == info.token_counts.tolist()
    assert table.column("truncated").to_pylist() == info.truncated.tolist()
    assert any(info.truncated) and not all(info.truncated)
    assert "text" not in table.column_names
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "manifest.json", "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]  # fmt: skip


def test_directory_of_mixed_files_in_name_order(tiny, tmp_path: Path) -> None:
    texts = corpus(500, seed=1)
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    write_parquet(data / "b.parquet", texts[:170], row_group=50)
    write_jsonl(data / "a.jsonl", texts[170:300], blank_every=7)
    write_csv(data / "sub" / "c.csv", texts[300:])
    (data / "notes.txt").write_text("not an input\n")
    encode_files(data, tmp_path / "out", model=tiny, shard_size=64, with_text=True)
    table = read_output(tmp_path / "out")
    order = texts[170:300] + texts[:170] + texts[300:]  # a.jsonl, b.parquet, sub/c.csv
    assert table.column("text").to_pylist() == order
    ids = table.column("id").to_pylist()
    assert ids == [str(n) for n in range(500)]  # rows counted over the files in their listed order
    assert np.abs(vectors(table) - tiny.encode(order)).max() <= 1e-6
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [f["name"] for f in manifest["inputs"]] == ["a.jsonl", "b.parquet", "sub/c.csv"]
    assert [f["rows"] for f in manifest["inputs"]] == [130, 170, 200]
    assert manifest["shards"][2] == {
        "index": 2, "file": "part-00002.parquet", "rows": 64, "first_row": 128, "last_row": 191,
        "first_input": "a.jsonl:128", "last_input": "b.parquet:61",
        "bytes": (tmp_path / "out" / "part-00002.parquet").stat().st_size,
        "sha256": hashlib.sha256((tmp_path / "out" / "part-00002.parquet").read_bytes()).hexdigest()}  # fmt: skip


def test_id_field_and_manifest_settings(tiny, tmp_path: Path) -> None:
    texts = corpus(50)
    source = write_jsonl(tmp_path / "c.jsonl", texts, ids=[f"doc-{n}" for n in range(50)])
    encode_files(source, tmp_path / "out", model=tiny, id_field="id", shard_size=20)
    assert read_output(tmp_path / "out").column("id").to_pylist() == [f"doc-{n}" for n in range(50)]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {k: manifest[k] for k in ("format", "sha256", "dimension", "normalized", "precision", "on_long",
                                     "ranges", "complete", "rows")} == {
        "format": 2, "sha256": tiny.sha256, "dimension": 8, "normalized": True, "precision": "float32",
        "on_long": "truncate", "ranges": None, "complete": True, "rows": 50}  # fmt: skip
    assert manifest["inputs"][0]["size"] == source.stat().st_size
    assert manifest["inputs"][0]["mtime_ns"] == source.stat().st_mtime_ns


def test_int8_ranges_are_fixed_for_the_whole_job(tiny, tmp_path: Path) -> None:
    texts = corpus(600, seed=2)
    source = write_jsonl(tmp_path / "c.jsonl", texts)
    encode_files(source, tmp_path / "out", model=tiny, shard_size=100, precision="int8", calibration_rows=200)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    ranges = np.array(manifest["ranges"], dtype=np.float32)
    calibration = tiny.encode(texts[:200])
    assert np.array_equal(ranges, np.stack([calibration.min(axis=0), calibration.max(axis=0)]))
    table = read_output(tmp_path / "out")
    assert str(table.schema.field("vector").type) == "fixed_size_list<element: int8>[8]"
    expected = quantize(tiny.encode(texts), "int8", ranges=ranges)
    assert np.abs(vectors(table).astype(int) - expected.astype(int)).max() <= 1  # float rounding at a level edge


def test_binary_precision_packs_bits(tiny, tmp_path: Path) -> None:
    texts = corpus(40)
    encode_files(write_parquet(tmp_path / "c.parquet", texts), tmp_path / "out", model=tiny, precision="ubinary")
    table = read_output(tmp_path / "out")
    assert str(table.schema.field("vector").type) == "fixed_size_list<element: uint8>[1]"
    assert np.array_equal(vectors(table), tiny.encode(texts, precision="ubinary"))


def test_on_long_chunk_and_error(tiny, tmp_path: Path) -> None:
    texts = corpus(60, seed=3)
    source = write_jsonl(tmp_path / "c.jsonl", texts)
    encode_files(source, tmp_path / "chunked", model=tiny, on_long="chunk", chunk_overlap=4, shard_size=25)
    table = read_output(tmp_path / "chunked")
    assert np.abs(vectors(table) - tiny.encode(texts, on_long="chunk", chunk_overlap=4)).max() <= 1e-6
    assert not any(table.column("truncated").to_pylist())
    with pytest.raises(TooLongError, match="over the model's limit"):
        encode_files(source, tmp_path / "strict", model=tiny, on_long="error")


def test_rerun_is_a_no_op_and_other_settings_refuse(tiny, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", corpus(90))
    out = tmp_path / "out"
    encode_files(source, out, model=tiny, shard_size=40)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = encode_files(source, out, model=tiny, shard_size=40)
    assert (again.written, again.shards) == (0, 3)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    with pytest.raises(InputError, match=r"other settings \(shard_size: 40 -> 30\)"):
        encode_files(source, out, model=tiny, shard_size=30)
    with pytest.raises(InputError, match=r"other settings \(with_text: False -> True\)"):
        encode_files(source, out, model=tiny, shard_size=40, with_text=True)
    with pytest.raises(InputError, match=r"other settings \(precision: 'float32' -> 'binary'\)"):
        encode_files(source, out, model=tiny, shard_size=40, precision="binary")
    with open(source, "a", encoding="utf-8") as f:
        f.write(json.dumps({"text": "one more"}) + "\n")
    with pytest.raises(InputError, match=r"other inputs \(.*c\.jsonl changed"):
        encode_files(source, out, model=tiny, shard_size=40)


def test_unlisted_and_partial_shards_are_rewritten(tiny, tmp_path: Path) -> None:
    texts = corpus(100)
    source = write_jsonl(tmp_path / "c.jsonl", texts)
    out = tmp_path / "out"
    encode_files(source, out, model=tiny, shard_size=30)
    whole = read_output(out)
    # A crash after part-00002 was renamed but before the manifest listed it, with a torn temporary file.
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["shards"] = manifest["shards"][:2]
    manifest["complete"] = False
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "part-00003.parquet").unlink()
    (out / ".part-00003.parquet.abc.tmp").write_bytes(b"PAR1 torn")
    again = encode_files(source, out, model=tiny, shard_size=30)
    assert (again.written, again.resumed) == (2, True)
    assert read_output(out).equals(whole)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_input_errors_name_the_place(tiny, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n\n{"text": 3}\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:3: field 'text' is int, expected a string"):
        encode_files(bad, tmp_path / "o1", model=tiny)
    with pytest.raises(InputError, match=r"c\.parquet: no column 'body' \(columns: id, text\)"):
        encode_files(write_parquet(tmp_path / "c.parquet", ["a"]), tmp_path / "o2", model=tiny, field="body")
    with pytest.raises(InputError, match="does not exist"):
        encode_files(tmp_path / "missing.jsonl", tmp_path / "o3", model=tiny)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no .jsonl, .csv, .tsv or .parquet files"):
        encode_files(tmp_path / "empty", tmp_path / "o4", model=tiny)
    (tmp_path / "o5").mkdir()
    (tmp_path / "o5" / "part-00000.parquet").write_bytes(b"x")
    with pytest.raises(InputError, match="holds part files but no manifest.json"):
        encode_files(bad, tmp_path / "o5", model=tiny)
    assert not os.path.exists(tmp_path / "o3")


def test_actors_option() -> None:
    from minilm.bulk.ray_runner import parse_actors

    assert parse_actors("3") == 3 and parse_actors("1:4") == (1, 4)
    for bad in ("0", "4:1", "x", "1:"):
        with pytest.raises(InputError, match="--actors"):
            parse_actors(bad)


def test_load_options_with_a_loaded_encoder_are_refused(tiny, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", ["the cat", "a dog"])
    for options, named in (({"engine": "onnx-int8"}, "engine='onnx-int8'"), ({"threads": 2}, "threads=2")):
        with pytest.raises(InputError, match=f"{named}: the model passed is an Encoder already loaded"):
            encode_files(source, tmp_path / "out", model=tiny, **options)
    assert not (tmp_path / "out").exists()  # refused before anything was written
