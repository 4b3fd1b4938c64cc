"""The large layout: vectors in a memory-mapped int8 file, an inverted file trained once and appended to,
crash safety of the file against SQLite, recall against exact float32, and search="auto" switching by size."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minilm.errors import IndexCorruptError, InputError
from minilm.index import Index
from minilm.index.vector_file import CODES, KEYS, row_dtype
from minilm.index.vectors import ASSIGN_EF, VectorIndex
from tests.conftest import ROOT

DIM = 96


class Stub:
    """What Index.create records about a model; these tests add and query vectors only."""

    name = "stub-vectors"
    sha256 = "0" * 64
    dimension = DIM
    max_seq_length = 256
    folder = type("Folder", (), {"path": Path("none")})


def clustered(n: int, seed: int = 0, clusters: int = 40) -> np.ndarray:
    """Unit vectors around `clusters` centres (seed 0's centres are shared by every call)."""
    centres = np.random.default_rng(0).standard_normal((clusters, DIM)).astype(np.float32)
    rng = np.random.default_rng(seed + 1)
    x = centres[rng.integers(0, clusters, n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def create(path: Path, **options: object) -> Index:
    return Index.create(path, Stub(), layout="large", cache=False, **options)  # type: ignore[arg-type]


def add(index: Index, vectors: np.ndarray, first: int, batch: int = 500) -> None:
    ids = [f"d{i}" for i in range(first, first + len(vectors))]
    index.add([f"text {i}" for i in range(first, first + len(vectors))], ids=ids, vectors=vectors, batch=batch)


def test_vectors_live_in_the_file_not_in_sqlite(index_dir: Path) -> None:
    v = clustered(300)
    with create(index_dir) as ix:
        add(ix, v, 0)
        blobs = ix.store.db.execute("SELECT SUM(LENGTH(vector)) FROM chunks").fetchone()[0]
        assert blobs == 0
        assert ix.store.vector_rows() == 300
        back = ix.store.vectors([1, 300])
    assert (index_dir / KEYS).stat().st_size == 300 * 8
    assert (index_dir / CODES).stat().st_size == 300 * row_dtype(DIM).itemsize
    assert np.abs(back - v[[0, 299]]).max() < 0.01  # int8 with a per-vector scale
    with Index.open(index_dir) as reader:
        assert reader.search(v[42], k=1)[0].doc_id == "d42"
        assert reader.stats()["storage"] == "int8"


def test_recall_of_the_inverted_file_against_exact_float32(index_dir: Path) -> None:
    v, queries = clustered(6000), clustered(40, seed=7)
    with create(index_dir, ivf_threshold=2000) as ix:
        add(ix, v, 0, batch=1000)
        assert ix.search_kind() == "ivf" and ix._structure.vectors is not None
        assert ix._structure.vectors.search_kind == "ivf"
        hits = ix.search(queries, k=10)
    truth = np.argsort(-(queries @ v.T), axis=1)[:, :10]
    found = [{h.doc_id for h in row} for row in hits]
    recall = np.mean([len(got & {f"d{i}" for i in t}) / 10 for got, t in zip(found, truth, strict=True)])
    assert recall >= 0.9, recall


def test_appends_extend_the_trained_structure_without_training_again(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = clustered(4000)
    with create(index_dir, ivf_threshold=2000) as ix:
        add(ix, v[:2500], 0)
        vi = ix._structure.vectors
        assert vi is not None and vi.search_kind == "ivf"
        trained = vi.index
        add(ix, v[2500:3000], 2500)
        assert ix._structure.vectors is vi and vi.index is trained and trained.ntotal == 3000
        assert ix.search(v[2900], k=1)[0].doc_id == "d2900"

    def no_training(self: VectorIndex, sample: np.ndarray) -> None:
        raise AssertionError("the inverted file was trained again")

    monkeypatch.setattr(VectorIndex, "train", no_training)
    with Index.open(index_dir, writable=True, cache=False) as ix:  # the saved structure, caught up by appends
        add(ix, v[3000:], 3000)
        assert ix._structure.vectors is not None and ix._structure.vectors.index.ntotal == 4000
        assert ix.search(v[3999], k=1)[0].doc_id == "d3999"
        ix.delete(["d3999"])
        assert ix.search(v[3999], k=1)[0].doc_id != "d3999"


def list_agreement(vi: VectorIndex, vectors: np.ndarray) -> float:
    """Share of `vectors` whose list, as the inverted file assigns it, holds the nearest centre."""
    import faiss

    ivf = faiss.extract_index_ivf(vi.index)
    centres = ivf.quantizer.reconstruct_n(0, ivf.nlist)
    _, assigned = ivf.quantizer.search(vectors, 1)
    return float(np.mean(assigned[:, 0] == np.argmax(vectors @ centres.T, axis=1)))


def test_added_vectors_go_to_their_nearest_list_and_the_setting_is_saved(index_dir: Path) -> None:
    """The assignment search width is set on the trained structure and read back with it. (At this size even
    faiss's default width finds the nearest list; the 10M benchmark is where it mattered.)"""
    import faiss

    v = clustered(8000, clusters=200)
    with create(index_dir, ivf_threshold=6000) as ix:
        add(ix, v, 0, batch=2000)
        vi = ix._structure.vectors
        assert vi is not None and vi.search_kind == "ivf"
        quantizer = faiss.downcast_index(faiss.extract_index_ivf(vi.index).quantizer)
        assert quantizer.hnsw.efSearch == ASSIGN_EF
        assert list_agreement(vi, v) >= 0.99
    with Index.open(index_dir, cache=False) as ix:  # the structure read back from vectors.npz
        ix.refresh()
        vi = ix._structure.vectors
        assert vi is not None
        assert faiss.downcast_index(faiss.extract_index_ivf(vi.index).quantizer).hnsw.efSearch == ASSIGN_EF


def test_auto_switches_from_exact_to_the_inverted_file_by_size(index_dir: Path) -> None:
    v = clustered(3000)
    with create(index_dir, ivf_threshold=2000) as ix:
        add(ix, v[:1500], 0)
        assert ix._structure.vectors is not None and ix._structure.vectors.search_kind == "exact"
        assert ix.search_kind() == "exact"
        add(ix, v[1500:], 1500)
        assert ix._structure.vectors.search_kind == "ivf"  # trained once the index passed the threshold
        assert ix.search_kind() == "ivf"
    with Index.open(index_dir, search="exact") as reader:
        assert reader._structure.kind() == "exact"
        assert reader.search(v[7], k=1)[0].doc_id == "d7"


def test_rows_past_the_committed_count_are_ignored_then_truncated(index_dir: Path) -> None:
    v = clustered(600)
    with create(index_dir) as ix:
        add(ix, v[:500], 0)
    size = (index_dir / CODES).stat().st_size
    with open(index_dir / KEYS, "ab") as f:  # what a writer killed between its append and its commit leaves
        f.write(np.arange(10_000, 10_100, dtype="<i8").tobytes())
    with open(index_dir / CODES, "ab") as f:
        f.write(os.urandom(100 * row_dtype(DIM).itemsize))
    with Index.open(index_dir) as reader:  # readers look only at committed rows
        assert len(reader) == 500 and reader.search(v[3], k=1)[0].doc_id == "d3"
    with Index.open(index_dir, writable=True, cache=False) as ix:  # the writer cuts them off
        assert (index_dir / CODES).stat().st_size == size
        add(ix, v[500:], 500)
        assert ix.search(v[550], k=1)[0].doc_id == "d550"


def test_a_file_shorter_than_the_committed_count_is_reported(index_dir: Path) -> None:
    with create(index_dir) as ix:
        add(ix, clustered(100), 0)
    with open(index_dir / CODES, "r+b") as f:
        f.truncate(50 * row_dtype(DIM).itemsize)
    with pytest.raises(IndexCorruptError, match="holds 50 vectors; index.sqlite records 100"):
        Index.open(index_dir)


def test_options_are_checked(index_dir: Path) -> None:
    with pytest.raises(InputError, match="keeps int8 vectors"):
        create(index_dir, storage="float32")
    with pytest.raises(InputError, match="expected one of"):
        create(index_dir, search="hnsw")
    with pytest.raises(InputError, match="recall must be"):
        create(index_dir, recall=1.5)
    with pytest.raises(InputError, match="layout 'huge' is unknown"):
        Index.create(index_dir, Stub(), layout="huge", cache=False)  # type: ignore[arg-type]


CHILD = """
import sys
sys.path.insert(0, {root!r})
from minilm.index import Index
from tests.index.test_large import add, clustered
index = Index.open({path!r}, writable=True, cache=False)
add(index, clustered(400), 0, batch=200)
print("committed", flush=True)
n = 400
while True:  # batches of 100 until killed
    add(index, clustered(1000, seed=n), n, batch=100)
    n += 1000
"""


def test_kill_during_an_append_loses_at_most_the_batch_in_flight(index_dir: Path) -> None:
    create(index_dir, ivf_threshold=800).close()
    code = CHILD.format(root=str(ROOT), path=str(index_dir))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "committed"
        with Index.open(index_dir) as reader:
            deadline = time.monotonic() + 300
            while len(reader) < 1500:  # the adds have committed batches, the inverted file's training among them
                assert time.monotonic() < deadline and child.poll() is None, "the adds committed too little"
                time.sleep(0.01)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    with Index.open(index_dir, writable=True, cache=False) as ix:
        docs, chunks = ix.store.count()
        assert docs == chunks and docs >= 1500 and docs % 100 == 0  # whole batches only
        rows = ix.store.vector_rows()
        assert rows == chunks
        assert (index_dir / CODES).stat().st_size == rows * row_dtype(DIM).itemsize  # no rows of the lost batch
        assert np.array_equal(ix.store.vector_file.keys(rows), ix.store.keys())  # type: ignore[union-attr]
        last = docs - 1
        made = clustered(1000, seed=400 + (last - 400) // 1000 * 1000)[(last - 400) % 1000]
        assert ix.search(made, k=1)[0].doc_id == f"d{last}"
        assert ix.search(clustered(400)[10], k=1)[0].doc_id == "d10"
        add(ix, clustered(100, seed=9), 10**6)
        assert ix.store.vector_rows() == rows + 100
