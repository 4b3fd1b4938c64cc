"""`minilm eval` on a terminal shows a progress bar on stderr; redirected or with -q it shows none.

The runs are real processes: stderr is a pseudo-terminal (python's pty module) or a pipe; stdout is a pipe.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from minilm.eval.locations import DATA_ENV
from tests.conftest import DATA

MAIN = "import sys; from minilm.cli.main import main; sys.exit(main())"
BAR = "encoding:"  # the encoder's bar, as tqdm draws it: "encoding:  40%|████      | 160/352 ..."


def run_eval(args: list[str], terminal: bool, cwd: Path, timeout: float = 120) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `minilm ARGS`, stderr a pseudo-terminal when `terminal`."""
    command = [sys.executable, "-c", MAIN, *args]
    if not terminal:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return done.returncode, done.stdout, done.stderr
    controller, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a new pty is 0 columns wide
    with subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=child) as proc:
        os.close(child)
        err = bytearray()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            err += chunk
        out = proc.stdout.read().decode() if proc.stdout else ""
        status = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    os.close(controller)
    return status, out, err.decode(errors="replace")


@pytest.fixture
def sts_args(tiny_dir: Path, tmp_path: Path) -> list[str]:
    """`eval sts` of the in-repo STS-B dev pairs (200, under the encoder's own bar threshold) with the tiny model."""
    return ["eval", "sts", str(DATA / "stsbenchmark"), "--split", "dev", "-m", str(tiny_dir), "-e", "numpy",
            "-o", str(tmp_path / "r")]  # fmt: skip


def test_eval_sts_on_a_terminal_draws_a_bar_and_redirected_draws_none(sts_args: list[str], tmp_path: Path) -> None:
    status, out, err = run_eval(sts_args, terminal=True, cwd=tmp_path)
    assert status == 0, err
    assert BAR in err and "%|" in err and "/352" in err  # the 352 distinct sentences of the 200 pairs
    assert "STSBenchmark" in out and BAR not in out

    status, out, err = run_eval(sts_args, terminal=False, cwd=tmp_path)
    assert status == 0, err
    assert BAR not in err and "%|" not in err and "\r" not in err
    assert "STSBenchmark" in out


def test_quiet_turns_the_bar_off_on_a_terminal(sts_args: list[str], tmp_path: Path) -> None:
    status, out, err = run_eval(["-q", *sts_args], terminal=True, cwd=tmp_path)
    assert status == 0, err
    assert BAR not in err and "%|" not in err
    assert "STSBenchmark" in out


def test_missing_data_is_named_with_where_it_comes_from_before_any_model_loads(tmp_path: Path) -> None:
    env = {**os.environ, DATA_ENV: str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", MAIN, "eval", "all", "-m", str(tmp_path / "no-model")], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr  # one line, no traceback
    for folder in ("stsbenchmark", "sick", "sts12-16", "scifact", "ag_news"):
        assert str(tmp_path / "data" / folder) in lines[0]
    assert "ixa2.si.ehu.eus/stswiki" in lines[0] and "BEIR" in lines[0]
    assert "--data DIR" in lines[0] and DATA_ENV in lines[0]
    assert "no-model" not in lines[0]  # refused before the model was looked for

    (tmp_path / "data" / "stsbenchmark").mkdir(parents=True)
    done = subprocess.run([sys.executable, "-c", MAIN, "eval", "sts", "-m", str(tmp_path / "no-model")], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "no-model" in done.stderr  # the data set is there now: the (missing) model is what stops it
