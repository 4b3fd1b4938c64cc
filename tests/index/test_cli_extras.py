"""The index commands and missing extras (checked before any work) and their progress bars (on a terminal only,
off with -q)."""

from __future__ import annotations

import fcntl
import importlib.metadata
import os
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from minilm.cli import collection
from minilm.cli.main import main
from minilm.extras import install_line

REAL_VERSION = importlib.metadata.version


def _without(monkeypatch: pytest.MonkeyPatch, distribution: str, module: str) -> None:
    """Make one installed package look missing: no distribution metadata, and its import fails."""

    def version(name: str) -> str:
        if name.lower() == distribution:
            raise importlib.metadata.PackageNotFoundError(name)
        return REAL_VERSION(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setitem(sys.modules, module, None)


def _no_work(*args: object, **kwargs: object) -> None:
    raise AssertionError("the model was loaded before the missing extra was reported")


def test_cluster_plot_png_without_matplotlib_fails_before_any_work(
    tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(f"text number {n}\n" for n in range(20)))
    _without(monkeypatch, "matplotlib", "matplotlib")
    monkeypatch.setattr(collection, "load_model", _no_work)
    code = main(["cluster", "-i", str(texts), "-k", "2", "-m", str(tiny_dir), "--plot", str(tmp_path / "map.png")])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err == f"minilm cluster: error: --plot {tmp_path / 'map.png'} needs matplotlib, which is not installed: " \
                  f"{install_line('plot')}\n"  # fmt: skip
    assert not (tmp_path / "map.png").exists()


def test_index_create_without_faiss_refuses_at_once(tiny_dir: Path, tmp_path: Path, capsys,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    _without(monkeypatch, "faiss-cpu", "faiss")
    from minilm.cli import index as index_cli

    monkeypatch.setattr(index_cli, "load_model", _no_work)
    code = main(["index", "create", str(tmp_path / "ix"), "-m", str(tiny_dir)])
    err = capsys.readouterr().err
    assert code == 1 and err == (f"minilm index: error: minilm index create needs faiss-cpu, which is not "
                                 f"installed: {install_line('index')}\n")  # fmt: skip
    assert not (tmp_path / "ix").exists()


def _stderr_of(argv: list[str], terminal: bool) -> str:
    """What `minilm ARGV` writes to stderr when stderr is a pseudo-terminal (or a pipe)."""
    command = [sys.executable, "-m", "minilm.cli.main", *argv]
    env = dict(os.environ)
    if not terminal:
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=True).stderr
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the follower side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(60) == 0
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_progress_bars_on_a_terminal_only_and_off_with_quiet(tiny_dir: Path, tmp_path: Path) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(f"text number {n} of many\n" for n in range(1100)))  # bars from 1024 items
    ix = tmp_path / "ix"
    assert main(["index", "create", str(ix), "-m", str(tiny_dir)]) == 0
    add = ["index", "add", str(ix), "-i", str(texts)]
    shown = _stderr_of(add, terminal=True)
    assert "adding:" in shown and "/1100 [" in shown
    dedup = ["dedup", "--index", str(ix), "-o", str(tmp_path / "groups.jsonl")]
    assert "pairs:" in _stderr_of(dedup, terminal=True)
    for argv, terminal in ((["-q", *dedup], True), (dedup, False)):
        err = _stderr_of(argv, terminal)
        assert "pairs:" not in err and "adding:" not in err and "/s]" not in err, argv
