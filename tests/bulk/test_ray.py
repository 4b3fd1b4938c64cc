"""The bulk job on a local Ray cluster: the library's vectors, every row exactly once when an actor is killed."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minilm.bulk import encode_files
from tests.bulk.conftest import corpus, read_output, vectors, write_jsonl, write_parquet

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    """One local two-CPU Ray instance for the module (starting one takes seconds)."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def test_ray_shards_equal_the_library(tiny, tmp_path: Path) -> None:
    texts = corpus(900, seed=7)
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "a.jsonl", texts[:400])
    write_parquet(data / "b.parquet", texts[400:], row_group=128)
    seen: list[dict[str, Any]] = []
    result = encode_files(data, tmp_path / "out", model=tiny, shard_size=150, ray=True, actors=2,
                          on_shard=seen.append)  # fmt: skip
    assert (result.rows, result.shards, result.written) == (900, 6, 6)
    table = read_output(tmp_path / "out")
    assert table.column("id").to_pylist() == [str(n) for n in range(900)]
    assert np.abs(vectors(table) - tiny.encode(texts)).max() <= 1e-6
    assert sorted(r["index"] for r in seen) == list(range(6))
    assert all(r["pid"] != os.getpid() for r in seen)  # written by actors, not here

    local = encode_files(data, tmp_path / "local", model=tiny, shard_size=150)
    assert local.written == 6
    assert np.abs(vectors(read_output(tmp_path / "local")) - vectors(table)).max() <= 1e-6

    # A rerun (on Ray or here) finds every shard written; with one shard forgotten, only that one is redone.
    assert encode_files(data, tmp_path / "out", model=tiny, shard_size=150, ray=True, actors=1).written == 0
    manifest_path = tmp_path / "out" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["shards"] = [s for s in manifest["shards"] if s["index"] != 3]
    manifest["complete"] = False
    manifest_path.write_text(json.dumps(manifest))
    assert encode_files(data, tmp_path / "out", model=tiny, shard_size=150, ray=True, actors=1).written == 1
    assert read_output(tmp_path / "out").equals(table)


def test_killed_actor_still_gives_every_row_once(tiny, tmp_path: Path) -> None:
    texts = corpus(3000, seed=8)
    source = write_jsonl(tmp_path / "c.jsonl", texts)
    killed: list[int] = []
    writers: list[int] = []

    def kill_first_writer(record: dict[str, Any]) -> None:
        writers.append(record["pid"])
        if not killed:  # the actor that finished first still has shards queued: kill it mid-run
            killed.append(record["pid"])
            os.kill(record["pid"], signal.SIGKILL)

    result = encode_files(source, tmp_path / "out", model=tiny, shard_size=150, ray=True, actors=2,
                          on_shard=kill_first_writer)  # fmt: skip
    assert (result.rows, result.shards) == (3000, 20)
    assert killed and len(set(writers)) >= 2
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)
    table = read_output(tmp_path / "out")
    ids = table.column("id").to_pylist()
    assert ids == [str(n) for n in range(3000)]  # every row once, in order
    assert np.abs(vectors(table) - tiny.encode(texts)).max() <= 1e-6
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["complete"] and [s["index"] for s in manifest["shards"]] == list(range(20))
    assert not [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_cli_ray_option(tiny_dir: Path, tiny, tmp_path: Path, capsys) -> None:
    from minilm.cli.main import main

    texts = corpus(200, seed=9)
    source = write_jsonl(tmp_path / "c.jsonl", texts)
    out = tmp_path / "vectors"
    argv = ["encode", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source), "-o", str(out), "--ray",
            "--actors", "1:2", "--threads", "1", "--shard-size", "80"]  # fmt: skip
    assert main(argv) == 0  # Ray is initialized by the module fixture: the command uses that cluster
    assert capsys.readouterr().err.endswith(f"{out}: 200 rows in 3 shards (3 written now)\n")
    assert np.abs(vectors(read_output(out)) - tiny.encode(texts)).max() <= 1e-6
