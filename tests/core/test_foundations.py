"""The shared helpers every layer writes, opens and reports through: files, extras, the version, echo caps."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from minilm import extras, files
from minilm.errors import MissingExtraError, shown
from minilm.version import __version__


def test_atomic_write_takes_the_umask_mode_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    old = os.umask(0o022)
    try:
        files.write_bytes_atomic(target, b"new")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_atomic_write_keeps_the_old_file_when_the_block_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), files.atomic_write(target, "w") as f:
        f.write("half")
        raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_write_refuses_a_link_and_ignores_planted_temp_names(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "link").symlink_to(victim)
    with pytest.raises(files.UnsafeFileError, match="symbolic link"):
        files.write_text_atomic(tmp_path / "link", "x")
    (tmp_path / ".out.tmp").symlink_to(victim)
    files.write_text_atomic(tmp_path / "out", "fresh")
    assert victim.read_text() == "precious"
    assert (tmp_path / "out").read_text() == "fresh"


def test_open_nofollow_refuses_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "write.lock").symlink_to(victim)
    with pytest.raises(files.UnsafeFileError, match="write.lock"):
        files.open_nofollow(tmp_path / "write.lock", os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    assert victim.read_text() == "precious"


def test_check_regular_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "vectors.npz"
    os.mkfifo(fifo)
    with pytest.raises(files.UnsafeFileError, match="FIFO"):
        files.check_regular(fifo, "vector file")
    (tmp_path / "plain").write_text("x")
    files.check_regular(tmp_path / "plain")


def test_install_lines_come_from_the_declared_extras() -> None:
    assert "index" in extras.declared()
    assert extras.install_line("index") == "pip install '.[index]'"
    assert extras.install_line("train") == "pip install torch==2.13.0 && pip install '.[train]'"
    with pytest.raises(KeyError, match="no extra 'nope'"):
        extras.missing("nope")


def test_require_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extras, "declared", lambda: {"plot": ("matplotlib-not-a-real-dist>=3.7",)})
    with pytest.raises(MissingExtraError, match=r"--plot needs matplotlib-not-a-real-dist.*pip install '\.\[plot\]'"):
        extras.require("plot", "--plot")


def test_version_has_one_home() -> None:
    import importlib.metadata

    import minilm

    assert minilm.__version__ == __version__ == importlib.metadata.version("minilm")


def test_shown_caps_echoed_input() -> None:
    assert shown("abc") == "'abc'"
    long = shown("k" * 7_000_000)
    assert len(long) < 200 and "7,000,000 characters" in long
