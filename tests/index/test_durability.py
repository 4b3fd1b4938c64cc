"""Crashes, collisions, corrupt files and model mismatches."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minilm.errors import IndexCorruptError, IndexLockedError, IndexMismatchError
from minilm.index import Index
from tests.conftest import ROOT, write_tiny_model
from tests.index.conftest import sentence

CHILD = """
import sys
import minilm
from minilm.index import Index
sys.path.insert(0, {root!r})
from tests.index.conftest import sentence
model = minilm.load({model!r}, engine="numpy")
index = Index.open({path!r}, writable=True, cache=False)
n = 0
for round in range(3):
    index.add([sentence(n + i) for i in range(20)], ids=[f"d{{n + i}}" for i in range(20)], batch=20)
    n += 20
    print("committed", n, flush=True)
print("adding", flush=True)
index.add([sentence(n + i) * 4 for i in range(20000)], ids=[f"d{{n + i}}" for i in range(20000)], batch=50)
print("finished", flush=True)
"""


def test_kill_during_add_keeps_every_committed_document(tiny, tiny_dir: Path, index_dir: Path) -> None:
    Index.create(index_dir, tiny, cache=False).close()
    code = CHILD.format(root=str(ROOT), model=str(tiny_dir), path=str(index_dir))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ)
    assert child.stdout is not None
    lines = []
    while not lines or lines[-1] != "adding":
        line = child.stdout.readline().strip()
        assert line, "the child stopped before the big add"
        lines.append(line)
    with Index.open(index_dir, model=tiny) as reader:  # a reader works while the child writes
        deadline = time.monotonic() + 120
        while len(reader) <= 60:  # until the big add has committed a transaction of its own
            assert time.monotonic() < deadline and child.poll() is None, "the big add committed nothing"
            time.sleep(0.01)
        assert reader.search(sentence(5), k=1)[0].doc_id == "d5"
        with pytest.raises(IndexLockedError):
            Index.open(index_dir, model=tiny, writable=True)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    with Index.open(index_dir, model=tiny, writable=True) as index:  # the lock died with the child
        ids = set(index.ids())
        assert {f"d{i}" for i in range(60)} <= ids
        assert len(ids) < 20060 and (len(ids) - 60) % 50 == 0  # whole transactions only
        docs, chunks = index.store.count()
        orphans = index.store.db.execute(
            "SELECT COUNT(*) FROM chunks WHERE doc_id NOT IN (SELECT doc_id FROM docs)"
        ).fetchone()[0]
        empty = index.store.db.execute(
            "SELECT COUNT(*) FROM docs WHERE doc_id NOT IN (SELECT doc_id FROM chunks)"
        ).fetchone()[0]
        assert (orphans, empty) == (0, 0) and chunks >= docs
        text = index.get("d7")
        assert text is not None
        assert index.search(text[0], k=1)[0].doc_id == "d7"
        assert index.add(["after the crash"], ids=["new"]).added == 1


def test_second_writer_is_refused_and_readers_see_commits(tiny, index_dir: Path) -> None:  # type: ignore[no-untyped-def]
    writer = Index.create(index_dir, tiny, cache=False)
    with pytest.raises(IndexLockedError, match=rf"open for writing by another process \(pid {os.getpid()}\)"):
        Index.open(index_dir, model=tiny, writable=True)
    writer.add(["hello world"], ids=["a"])
    reader = Index.open(index_dir, model=tiny)
    assert [h.doc_id for h in reader.search("hello world", k=5)] == ["a"]
    writer.add(["the cat sat"], ids=["b"])
    reader.refresh()
    assert {h.doc_id for h in reader.search("hello world", k=5)} == {"a", "b"}
    reader.close()
    writer.close()
    Index.open(index_dir, model=tiny, writable=True).close()  # free again


def test_sqlite_write_lock_times_out_with_a_clear_error(tiny, index_dir: Path) -> None:  # type: ignore[no-untyped-def]
    index = Index.create(index_dir, tiny, cache=False)
    blocker = sqlite3.connect(index_dir / "index.sqlite", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    index.store.db.execute("PRAGMA busy_timeout = 100")
    try:
        with pytest.raises(IndexLockedError, match="locked by another writer"):
            index.add(["hello"])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    index.close()


def test_corrupt_database_is_reported(tiny, index_dir: Path) -> None:  # type: ignore[no-untyped-def]
    with Index.create(index_dir, tiny, cache=False) as index:
        index.add(["hello world"] * 1, ids=["a"])
    db = index_dir / "index.sqlite"
    data = bytearray(db.read_bytes())
    data[:16] = b"not a database!!"
    db.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"index\.sqlite"):
        Index.open(index_dir, model=tiny)


def test_corrupt_vector_blob_is_reported(tiny, index_dir: Path) -> None:  # type: ignore[no-untyped-def]
    with Index.create(index_dir, tiny, cache=False) as index:
        index.add(["hello world", "the cat"], ids=["a", "b"])
        index.store.db.execute("UPDATE chunks SET vector = x'0000' WHERE doc_id = 'b'")
    (index_dir / "vectors.npz").unlink()
    with Index.open(index_dir, model=tiny) as again, pytest.raises(IndexCorruptError, match="2 bytes, expected 32"):
        again.search("hello")


def test_corrupt_or_stale_vector_file_is_rebuilt_from_the_database(tiny, index_dir: Path) -> None:  # type: ignore[no-untyped-def]
    with Index.create(index_dir, tiny, cache=False) as index:
        index.add(["hello world", "the cat sat"], ids=["a", "b"])
    (index_dir / "vectors.npz").write_bytes(b"garbage")
    with Index.open(index_dir, model=tiny) as again:
        assert again.search("the cat sat", k=1)[0].doc_id == "b"


def test_model_mismatch_is_refused(tiny, tmp_path: Path, index_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import minilm
    from minilm.config import BertConfig

    Index.create(index_dir, tiny, cache=False).close()
    other_weights = minilm.load(write_tiny_model(tmp_path / "other", seed=1), engine="numpy")
    with pytest.raises(IndexMismatchError, match="sha256"):
        Index.open(index_dir, model=other_weights)
    wide = BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=16, max_position_embeddings=32)  # fmt: skip
    other_dim = minilm.load(write_tiny_model(tmp_path / "wide", config=wide), engine="numpy")
    with pytest.raises(IndexMismatchError, match="dimension 16"):
        Index.open(index_dir, model=other_dim)
    assert np.isfinite(other_dim.encode("hello")).all()
