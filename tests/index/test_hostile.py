"""Hostile input at the index's edges: ids and filter keys SQLite cannot hold, filters past the field limit,
FIFOs and planted links among the index files, documents read with their hits under a byte cap."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from minilm.cli.main import main
from minilm.errors import IndexStoreError, InputError
from minilm.files import UnsafeFileError
from minilm.index import Index
from minilm.index.filters import MAX_FILTER_KEYS

SURROGATE = "a\udc80b"


def test_lone_surrogates_and_nul_keys_are_input_errors_naming_them(index) -> None:  # type: ignore[no-untyped-def]
    index.add(["the cat sat"], ids=["a"], metadata=[{"k": 1}])
    calls = [lambda: index.add(["a text"], ids=[SURROGATE]), lambda: index.add([SURROGATE]),
             lambda: index.get(SURROGATE), lambda: index.delete([SURROGATE]),
             lambda: index.search("cat", where={SURROGATE: 1}), lambda: index.search("cat", where={"k": SURROGATE}),
             lambda: index.search("cat", where={"a\x00b": 1})]  # fmt: skip
    for call in calls:
        with pytest.raises(InputError, match=r"lone surrogate|NUL character") as err:
            call()
        assert "'a\\udc80b'" in str(err.value) or "'a\\x00b'" in str(err.value)
    assert index.ids() == ["a"] and [h.doc_id for h in index.search("cat", where={"k": 1})] == ["a"]


def test_a_filter_past_the_field_limit_is_refused_by_name(index, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    index.add(["the cat sat"], ids=["a"], metadata=[{f"f{n}": n for n in range(MAX_FILTER_KEYS)}])
    full = {f"f{n}": n for n in range(MAX_FILTER_KEYS)}
    assert [h.doc_id for h in index.search("cat", where=full)] == ["a"]
    for n in (MAX_FILTER_KEYS + 1, 600):
        with pytest.raises(InputError, match=rf"where has {n} fields; a filter takes at most {MAX_FILTER_KEYS}"):
            index.search("cat", where={f"f{i}": i for i in range(n)})
    index.close()
    argv = ["search", str(index.path), "cat"] + [a for i in range(600) for a in ("--where", f"f{i}={i}")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == f"minilm search: error: where has 600 fields; a filter takes at most {MAX_FILTER_KEYS}\n"


def _open_and_search(path: Path, outcome: list[BaseException | str]) -> None:
    try:
        with Index.open(path) as again:
            again.search("cat", k=1)
        outcome.append("searched")
    except BaseException as exc:
        outcome.append(exc)


def test_a_fifo_at_an_index_file_is_refused_without_blocking(index, index_dir: Path) -> None:  # type: ignore[no-untyped-def]
    index.add(["the cat sat"], ids=["a"])
    index.close()
    for name in ("vectors.npz", "index.sqlite-wal"):
        target = index_dir / name
        target.unlink(missing_ok=True)
        os.mkfifo(target)
        outcome: list[BaseException | str] = []
        worker = threading.Thread(target=_open_and_search, args=(index_dir, outcome), daemon=True)
        worker.start()
        worker.join(20)
        if worker.is_alive():  # unblock the reader stuck on the FIFO before failing
            os.close(os.open(target, os.O_WRONLY | os.O_NONBLOCK))
            worker.join(5)
        assert outcome and isinstance(outcome[0], UnsafeFileError), (name, outcome)
        assert f"{target} is a FIFO" in str(outcome[0])
        target.unlink()


def test_planted_links_at_fixed_names_are_never_followed(index, index_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    index.add(["the cat sat", "a happy dog"], ids=["a", "b"])
    (index_dir / "vectors.npz.tmp").symlink_to(victim)  # the temporary name of the structure's old writer
    index.close()
    assert victim.read_text() == "precious" and (index_dir / "vectors.npz").is_file()
    for name in ("write.lock", "vectors.npz", "index.sqlite-shm"):
        target = index_dir / name
        saved = target.read_bytes() if target.exists() else None
        target.unlink(missing_ok=True)
        target.symlink_to(victim)
        with pytest.raises(UnsafeFileError, match=rf"{target} is a symbolic link"):
            Index.open(index_dir, writable=True)
        assert victim.read_text() == "precious"
        target.unlink()
        if saved is not None:
            target.write_bytes(saved)
    with Index.open(index_dir, writable=True) as again:
        assert again.ids() == ["a", "b"]


def test_the_writer_lock_refuses_a_link_even_when_planted_after_the_check(index_dir: Path, tmp_path: Path) -> None:
    from minilm.index.lock import WriterLock

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    index_dir.mkdir()
    (index_dir / "write.lock").symlink_to(victim)
    with pytest.raises(IndexStoreError, match="is a symbolic link"):
        WriterLock(index_dir / "write.lock").acquire()
    assert victim.read_text() == "precious"


def test_documents_come_with_their_hits_under_a_byte_cap(index, tiny) -> None:  # type: ignore[no-untyped-def]
    texts = ["é" * 300, "b" * 500, "c" * 50]
    vectors = np.eye(tiny.dimension)[:3] + 0.1
    index.add(texts, ids=["e", "b", "c"], vectors=vectors)
    query = np.eye(tiny.dimension)[0]
    whole = index.search(query, k=3, documents=True)
    assert [h.document for h in whole] == [dict(zip("ebc", texts, strict=True))[h.doc_id] for h in whole]
    assert not any(h.document_truncated for h in whole)
    capped = index.search(query, k=3, documents=True, document_bytes=600)  # "é" is 2 bytes
    assert capped[0].doc_id == "e" and capped[0].document == "é" * 300 and not capped[0].document_truncated
    assert [(h.document, h.document_truncated) for h in capped[1:]] == [("", True), ("", True)]
    cut = index.search(query, k=1, documents=True, document_bytes=101)  # 50.5 characters: cut to 50
    assert cut[0].document == "é" * 50 and cut[0].document_truncated
    assert index.search(query, k=1)[0].document is None
