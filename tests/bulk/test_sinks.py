"""minilm encode --to lancedb:// / qdrant+local:// and minilm index export --to: rows into each database.

Each database is read back through its own client (lancedb, qdrant_client), never through minilm.sinks.
Ties: two documents whose cosine scores differ by less than TIE may come in either order (float32 sums in
another order differ in the last bits); every score must match Index.search's within TIE.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pytest
from qdrant_client import QdrantClient

from minilm.cli.main import main
from minilm.errors import InputError, MissingExtraError
from minilm.sinks import open_sink
from minilm.sinks.urls import parse
from tests.bulk.conftest import corpus, write_jsonl

SCIFACT = Path(__file__).resolve().parents[1] / "data" / "scifact"
TIE = 1e-5
QUERIES = 50
SRC = Path(__file__).resolve().parents[2] / "src"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def lance_rows(db: Path, table: str) -> dict[str, Any]:
    data = lancedb.connect(db).open_table(table).to_arrow().to_pylist()
    ids = Counter(r["id"] for r in data)
    assert max(ids.values()) == 1, f"ids stored twice: {[i for i, n in ids.items() if n > 1][:5]}"
    return {r["id"]: r for r in data}


def qdrant_rows(path: Path, collection: str) -> dict[str, Any]:
    client = QdrantClient(path=str(path))
    try:
        points, _ = client.scroll(collection, limit=100_000, with_vectors=True)
    finally:
        client.close()
    ids = Counter(p.payload["id"] for p in points)
    assert max(ids.values()) == 1
    return {p.payload["id"]: {**p.payload, "vector": p.vector} for p in points}


# -- URLs ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "kind", "location", "name", "local"), [
    ("lancedb://out/db/docs", "lancedb", "out/db", "docs", False),
    ("lancedb:///abs/db/docs", "lancedb", "/abs/db", "docs", False),
    ("lancedb+s3://bucket/prefix/docs", "lancedb", "s3://bucket/prefix", "docs", False),
    ("qdrant://localhost:6334/papers", "qdrant", "http://localhost:6334", "papers", False),
    ("qdrant://db.example/papers", "qdrant", "http://db.example:6333", "papers", False),
    ("qdrant+https://db.example:443/papers", "qdrant", "https://db.example:443", "papers", False),
    ("qdrant+local://data/qdrant/papers", "qdrant", "data/qdrant", "papers", True),
])  # fmt: skip
def test_urls_name_the_database_the_place_and_the_table(url: str, kind: str, location: str, name: str,
                                                        local: bool) -> None:  # fmt: skip
    found = parse(url)
    assert (found.kind, found.location, found.name, found.local) == (kind, location, name, local)


@pytest.mark.parametrize(("url", "says"), [
    ("postgres://host/table", "unknown destination scheme 'postgres'"),
    ("lancedb://docs", "no table name"),
    ("lancedb://db/", "no table name"),
    ("lancedb://db/bad name", "table name 'bad name' may hold only"),
    ("qdrant://", "no collection name"),
    ("qdrant://host:port/papers", "port 'port' is not a number"),
    ("qdrant://host:70000/papers", "port '70000' is not a number"),
    ("qdrant://host/sub/papers", "a Qdrant server is HOST[:PORT]/COLLECTION"),
    ("qdrant+grpc://host/papers", "unknown Qdrant variant 'grpc'"),
])  # fmt: skip
def test_bad_urls_say_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(InputError, match=r"--to .*" + says.replace("[", r"\[").replace("]", r"\]")):
        parse(url)


def test_the_cli_refuses_a_bad_url_before_loading_a_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", corpus(3))
    code, _, err = run(capsys, "encode", "-i", str(source), "--to", "lancedb://only-a-table", "--model", "absent")
    assert code == 1
    assert err == ("minilm encode: error: --to 'lancedb://only-a-table': no table name; the table is the last path "
                   "segment, as in lancedb://DIR/TABLE, lancedb+s3://BUCKET/PATH/TABLE, "
                   "qdrant://HOST[:PORT]/COLLECTION or qdrant+local://DIR/COLLECTION\n")  # fmt: skip
    code, _, err = run(capsys, "index", "export", str(tmp_path / "no-index"), "--to", "qdrant://h:x/c")
    assert code == 1 and "port 'x' is not a number" in err and "Traceback" not in err


def test_the_cli_keeps_format_names_and_refuses_other_words(tiny_dir: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    code, _, _ = run(capsys, "encode", "--model", str(tiny_dir), "--to", "npy", "-o", str(tmp_path / "v.npy"), "a b")
    assert code == 0 and np.load(tmp_path / "v.npy").shape == (1, 8)
    with pytest.raises(SystemExit):
        main(["encode", "--to", "lance", "x"])
    assert "invalid choice: 'lance' (choose from auto, npy, jsonl, parquet, shards, or a database URL" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(("argv", "says"), [
    (["texts", "here"], "--to URL reads -i FILE|DIR (not texts or stdin)"),
    (["-i", "SOURCE", "-o", "out.npy"], "give -o PATH or --to URL, not both"),
    (["-i", "SOURCE", "--precision", "int8"], "--to URL stores float32 vectors"),
    (["-i", "SOURCE", "--ray"], "--ray and --actors are for a shard directory"),
])  # fmt: skip
def test_options_that_mean_nothing_for_a_database_are_refused(argv: list[str], says: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    source = str(write_jsonl(tmp_path / "c.jsonl", corpus(3)))
    argv = [source if a == "SOURCE" else a for a in argv]
    code, _, err = run(capsys, "encode", *argv, "--to", f"lancedb://{tmp_path}/db/t")
    assert code == 2 and says in err


# -- missing extras --------------------------------------------------------------------------------------
def test_a_missing_client_names_the_install_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib.metadata as metadata

    real = metadata.version

    def version(name: str) -> str:
        if name in ("lancedb", "qdrant-client"):
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", version)
    with pytest.raises(MissingExtraError, match=r"minilm encode --to needs lancedb, .* pip install '\.\[lancedb\]'"):
        open_sink(f"lancedb://{tmp_path}/db/t", 8, "minilm encode --to")
    with pytest.raises(MissingExtraError, match=r"needs qdrant-client, .* pip install '\.\[qdrant\]'"):
        open_sink(f"qdrant+local://{tmp_path}/q/c", 8, "minilm index export")


def test_a_client_that_fails_to_import_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "qdrant_client", None)  # installed (metadata) but not importable
    with pytest.raises(
        MissingExtraError, match=r"minilm encode --to needs the qdrant extra: pip install '\.\[qdrant\]'"
    ):
        open_sink(f"qdrant+local://{tmp_path}/q/c", 8, "minilm encode --to")


# -- the bulk encoder into each database ------------------------------------------------------------------
def test_encoded_rows_equal_the_encoders_vectors_in_both_databases(
        tiny_dir: Path, tiny: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    texts = corpus(230, seed=3)
    source = write_jsonl(tmp_path / "c.jsonl", texts)  # each row also has the field "n": its metadata
    expected = tiny.encode(texts)
    for url in (f"lancedb://{tmp_path}/db/docs", f"qdrant+local://{tmp_path}/qd/docs"):
        code, _, err = run(capsys, "encode", "-i", str(source), "--to", url, "--shard-size", "100", "--model",
                           str(tiny_dir))  # fmt: skip
        assert code == 0, err
        assert err.endswith(f"{url}: 230 rows in 3 shards (3 written now)\n")
    for rows in (lance_rows(tmp_path / "db", "docs"), qdrant_rows(tmp_path / "qd", "docs")):
        assert sorted(rows, key=int) == [str(n) for n in range(230)]
        for n, text in enumerate(texts):
            row = rows[str(n)]
            assert row["text"] == text
            meta = row["metadata"] if isinstance(row["metadata"], dict) else json.loads(row["metadata"])
            assert meta == {"n": n}
            np.testing.assert_allclose(row["vector"], expected[n], atol=1e-6)
        assert sum(r["truncated"] for r in rows.values()) > 0  # the tiny model stops at 16 tokens


def test_a_rerun_with_other_settings_or_into_foreign_rows_is_refused(
        tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    source = str(write_jsonl(tmp_path / "c.jsonl", corpus(30)))
    url = f"lancedb://{tmp_path}/db/docs"
    base = ["encode", "-i", source, "--to", url, "--model", str(tiny_dir)]
    assert run(capsys, *base, "--shard-size", "10")[0] == 0
    code, _, err = run(capsys, *base, "--shard-size", "20")
    assert code == 1 and "was written with other settings (shard_size: 10 -> 20)" in err and "--overwrite" in err
    code, _, err = run(capsys, *base, "--shard-size", "20", "--overwrite")
    assert code == 0 and err.endswith("30 rows in 2 shards (2 written now)\n")
    assert len(lance_rows(tmp_path / "db", "docs")) == 30
    db = lancedb.connect(tmp_path / "db")
    db.create_table("foreign", data=[{"id": "x", "vector": [0.0] * 8}])
    code, _, err = run(capsys, *base[:3], "--to", f"lancedb://{tmp_path}/db/foreign", *base[5:])
    assert code == 1 and "holds 1 rows but no minilm progress record" in err


KILLER = """
import os, signal, sys
from minilm.sinks.lance import LanceSink

save = LanceSink.save_progress

def save_or_die(self, record):
    if len(record["done"]) == 2:  # shard 1's rows are in the table; its progress record is not
        os.kill(os.getpid(), signal.SIGKILL)
    save(self, record)

LanceSink.save_progress = save_or_die
from minilm.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}


def test_kill_9_between_the_rows_and_the_progress_record_writes_every_row_once(
        tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    source = str(write_jsonl(tmp_path / "c.jsonl", corpus(250)))
    argv = ["encode", "-i", source, "--to", f"lancedb://{tmp_path}/db/docs", "--shard-size", "100", "--model",
            str(tiny_dir)]  # fmt: skip
    killed = subprocess.run([sys.executable, "-c", KILLER, *argv], env=_env(), capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert len(lance_rows(tmp_path / "db", "docs")) == 200  # shards 0 and 1 written ...
    db = lancedb.connect(tmp_path / "db")
    record = json.loads(db.open_table("docs__minilm_progress").to_arrow().column("record")[0].as_py())
    assert record["done"] == [0]  # ... but only shard 0 recorded
    code, _, err = run(capsys, *argv)
    assert code == 0 and err.endswith("250 rows in 3 shards (resumed, 2 written now)\n")
    rows = lance_rows(tmp_path / "db", "docs")  # every id once (checked there)
    assert sorted(rows, key=int) == [str(n) for n in range(250)]


def test_kill_9_from_outside_mid_run_then_resume_writes_every_row_once(
        tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    source = str(write_jsonl(tmp_path / "c.jsonl", corpus(1500, seed=1)))
    argv = ["encode", "-i", source, "--to", f"lancedb://{tmp_path}/db/docs", "--shard-size", "100", "--model",
            str(tiny_dir)]  # fmt: skip
    child = subprocess.Popen([sys.executable, "-m", "minilm.cli.main", *argv], env=_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    done: list[int] = []
    try:
        deadline = time.monotonic() + 240
        while len(done) < 2 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            try:
                table = lancedb.connect(tmp_path / "db").open_table("docs__minilm_progress")
                done = json.loads(table.to_arrow().column("record")[0].as_py())["done"]
            except (ValueError, OSError, RuntimeError, IndexError):
                continue
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL and 2 <= len(done) < 15  # killed mid-way, not after the end
    code, _, err = run(capsys, *argv)
    assert code == 0 and "resumed" in err, err
    rows = lance_rows(tmp_path / "db", "docs")
    assert sorted(rows, key=int) == [str(n) for n in range(1500)]


# -- an index exported, then searched through each database's own client -----------------------------------
@pytest.fixture(scope="module")
def scifact(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """(an index of the SciFact subset: 500 abstracts, title + text, chunked; the first QUERIES query vectors).
    The real model on the fastest installed engine: both sides search the index's own vectors."""
    import minilm
    from minilm.index import Index

    real_model = minilm.load(allow_download=False)

    path = tmp_path_factory.mktemp("scifact") / "index"
    docs = [json.loads(line) for line in (SCIFACT / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    with Index.create(path, real_model) as index:
        index.add([d["title"] + "\n" + d["text"] for d in docs], ids=[d["_id"] for d in docs],
                  metadata=[{"n": n, "part": n % 3} for n in range(len(docs))])  # fmt: skip
    lines = (SCIFACT / "queries.jsonl").read_text(encoding="utf-8").splitlines()[:QUERIES]
    return path, real_model.encode([json.loads(line)["text"] for line in lines])


def best_per_document(hits: list[tuple[str, float]], k: int) -> list[tuple[str, float]]:
    """Chunk hits (doc_id, cosine) best first -> the k best documents, each with its best window's score."""
    best: dict[str, float] = {}
    for doc_id, score in hits:
        best.setdefault(doc_id, score)
    assert len(best) >= k, "search deeper: fewer than k documents among the chunk hits"
    return list(best.items())[:k]


def assert_same_ranking(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    """Same documents in the same order and scores within TIE; documents tied within TIE may swap."""
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=TIE)
    cut = want[-1][1]
    assert {d for d, s in got if s > cut + TIE} == {d for d, s in want if s > cut + TIE}  # ties at the cut aside
    for n, ((a, sa), (b, _)) in enumerate(zip(got, want, strict=True)):
        if a != b:
            near = [d for d, s in want if abs(s - sa) < TIE]
            assert a in near or sa <= cut + TIE, f"rank {n}: {a} ({sa}) where Index.search has {b}"


@pytest.mark.integration
def test_lancedb_and_qdrant_searches_equal_index_search_top_10(scifact: tuple[Path, np.ndarray], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from minilm.index import Index

    path, queries = scifact
    for url in (f"lancedb://{tmp_path}/db/scifact", f"qdrant+local://{tmp_path}/qd/scifact"):
        code, _, err = run(capsys, "index", "export", str(path), "--to", url)
        assert code == 0, err
    with Index.open(path) as index:
        chunks = index.stats()["chunks"]
        want = [[(h.doc_id, h.score) for h in index.search(q, k=10)] for q in queries]
        first = index.search(queries[0], k=1)[0]
    assert chunks > 500  # some abstracts are over 256 tokens: several windows each
    table = lancedb.connect(tmp_path / "db").open_table("scifact")
    client = QdrantClient(path=str(tmp_path / "qd"))
    try:
        assert table.count_rows() == chunks == client.count("scifact", exact=True).count
        for q, expected in zip(queries, want, strict=True):
            lance = table.search(q).distance_type("cosine").limit(100).to_list()
            got = best_per_document([(r["doc_id"], 1.0 - r["_distance"]) for r in lance], 10)
            assert_same_ranking(got, expected)
            points = client.query_points("scifact", query=q, limit=100).points
            got = best_per_document([(p.payload["doc_id"], p.score) for p in points], 10)
            assert_same_ranking(got, expected)
        row = table.search(queries[0]).distance_type("cosine").limit(1).to_list()[0]
        assert (row["doc_id"], row["start"], row["end"], row["text"]) == (first.doc_id, first.start, first.end,
                                                                          first.text)  # fmt: skip
        assert json.loads(row["metadata"]) == first.metadata and row["id"] == f"{first.doc_id}@{first.start}"
        point = client.query_points("scifact", query=queries[0], limit=1).points[0]
        assert point.payload is not None and point.payload["metadata"] == first.metadata
    finally:
        client.close()
    code, _, err = run(capsys, "index", "export", str(path), "--to", f"lancedb://{tmp_path}/db/scifact")
    assert code == 1 and f"holds {chunks} rows; export into a new table / collection, or give --overwrite" in err
    code, _, err = run(capsys, "index", "export", str(path), "--to", f"lancedb://{tmp_path}/db/scifact", "--overwrite")
    assert code == 0 and err == f"exported {chunks} chunks of {path} to lancedb://{tmp_path}/db/scifact\n"
    assert lancedb.connect(tmp_path / "db").open_table("scifact").count_rows() == chunks
