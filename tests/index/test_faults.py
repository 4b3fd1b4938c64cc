"""A full disk and a read-only directory: one-line IndexStoreErrors, no temporary file left, data intact.

Tests run as root in CI, where chmod does not stop writes, so the faults are made where they arise: SQLite's
max_page_count gives a real "database or disk is full", and the OS calls raise ENOSPC / EROFS / EACCES."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from minilm.cli.main import main
from minilm.errors import IndexStoreError
from minilm.index import Index
from minilm.index import lock as lock_module
from minilm.index import vectors as vectors_module
from tests.index.conftest import sentence


def _fail_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(vectors_module.os, "fsync", no_space)


def _read_only_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.open

    def open_(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith("write.lock"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lock_module.os, "open", open_)


def test_a_full_database_disk_rolls_the_add_back(index) -> None:  # type: ignore[no-untyped-def]
    index.add(["the cat sat", "a happy dog"], ids=["a", "b"])
    before = [(h.doc_id, h.score) for h in index.search("a cat", k=2)]
    pages = index.store.db.execute("PRAGMA page_count").fetchone()[0]
    index.store.db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite now answers SQLITE_FULL
    with pytest.raises(IndexStoreError, match=r"cannot write .*index.sqlite: database or disk is full; nothing of"):
        index.add([sentence(n) * 20 for n in range(200)], ids=[f"x{n}" for n in range(200)])
    assert index.ids() == ["a", "b"] and [(h.doc_id, h.score) for h in index.search("a cat", k=2)] == before
    index.store.db.execute("PRAGMA max_page_count = 1000000")
    assert index.add(["hello world"], ids=["c"]).added == 1


def test_no_space_for_the_structure_leaves_no_temporary_file(index, index_dir: Path, tiny,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    index.add(["the cat sat", "a happy dog"], ids=["a", "b"])
    before = [(h.doc_id, h.score) for h in index.search("a cat", k=2)]
    _fail_fsync(monkeypatch)
    with pytest.raises(IndexStoreError, match=r"cannot save .*vectors.npz: No space left on device; the documents"):
        index.close()
    assert sorted(p.name for p in index_dir.iterdir() if p.name.endswith(".tmp")) == []
    monkeypatch.undo()
    with Index.open(index_dir, model=tiny, writable=True) as again:  # the writer lock was released
        assert [(h.doc_id, h.score) for h in again.search("a cat", k=2)] == before


def test_a_read_only_directory_is_a_one_line_error(index, index_dir: Path, tiny, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    index.add(["the cat sat"], ids=["a"])
    index.close()
    _read_only_lock(monkeypatch)
    with pytest.raises(IndexStoreError, match=r"cannot open .*write.lock for writing: Read-only file system"):
        Index.open(index_dir, writable=True)
    with pytest.raises(IndexStoreError, match="Read-only file system"):
        Index.create(tmp_path / "new", tiny)
    assert not (tmp_path / "new" / "index.sqlite").exists()
    monkeypatch.undo()

    def denied(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(Path, "mkdir", denied)
    with pytest.raises(IndexStoreError, match=r"cannot write .*other: Permission denied \(EACCES\)"):
        Index.create(tmp_path / "other", tiny)
    monkeypatch.undo()
    with Index.open(index_dir) as reader:
        assert reader.ids() == ["a"]


def test_the_cli_reports_faults_in_one_line(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    ix = str(tmp_path / "ix")
    assert main(["index", "create", ix, "-m", str(tiny_dir)]) == 0
    capsys.readouterr()
    _fail_fsync(monkeypatch)
    code = main(["index", "add", ix, "the cat sat", "a happy dog"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"minilm index: error: cannot save {ix}/vectors.npz: No space left on device;")
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "ix").iterdir())
    monkeypatch.undo()
    assert main(["index", "list", ix]) == 0 and len(capsys.readouterr().out.splitlines()) == 2
    _read_only_lock(monkeypatch)
    for argv in (["index", "delete", ix, "x"], ["index", "add", ix, "hello"], ["index", "create", ix + "2"]):
        code = main(argv)
        err = capsys.readouterr().err
        assert (code, err.count("\n")) == (1, 1), argv
        assert err.startswith("minilm index: error: cannot open ") and err.endswith(
            "write.lock for writing: Read-only file system\n"
        )
