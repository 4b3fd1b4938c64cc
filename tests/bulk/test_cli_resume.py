"""`minilm encode -i ... -o DIR/`: the command's outputs, a run killed with SIGKILL and resumed, the real model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minilm.bulk import encode_files
from minilm.cli.main import main
from tests.bulk.conftest import corpus, read_output, vectors, write_csv, write_jsonl
from tests.conftest import ROOT


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_resumes_and_refuses(tiny_dir: Path, tiny, tmp_path: Path, capsys) -> None:
    texts = corpus(120)
    source = write_jsonl(tmp_path / "c.jsonl", texts)
    out = tmp_path / "vectors"
    argv = ["encode", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source), "-o", str(out), "--shard-size", "50",
            "--with-text"]  # fmt: skip
    assert run(argv, capsys) == (0, "", f"{out}: 120 rows in 3 shards (3 written now)\n")
    table = read_output(out)
    assert table.column("text").to_pylist() == texts
    assert np.abs(vectors(table) - tiny.encode(texts)).max() <= 1e-6
    assert run(argv, capsys) == (0, "", f"{out}: 120 rows in 3 shards (resumed, 0 written now)\n")
    code, stdout, err = run([*argv, "--precision", "int8"], capsys)
    assert (code, stdout) == (1, "")
    assert err == (f"minilm encode: error: {out} was written with other settings (precision: 'float32' -> 'int8'); "
                   "use a new output directory, or --overwrite to start over in this one\n")  # fmt: skip


def test_cli_single_file_outputs_are_unchanged(tiny_dir: Path, tiny, tmp_path: Path, capsys) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", ["the cat", "a dog"])
    code, _, err = run(["encode", "-m", str(tiny_dir), "-i", str(source), "-o", str(tmp_path / "v.npy")], capsys)
    assert code == 0 and err == f"wrote 2 vectors of dimension 8 to {tmp_path / 'v.npy'}\n"
    assert np.allclose(np.load(tmp_path / "v.npy"), tiny.encode(["the cat", "a dog"]), atol=1e-7)
    code, _, err = run(["encode", "-m", str(tiny_dir), "the cat", "--ray"], capsys)
    assert (code, err) == (2, "minilm encode: error: --ray is for a shard directory (-o DIR/), not jsonl output\n")
    code, _, err = run(["encode", "-m", str(tiny_dir), "the cat", "-o", str(tmp_path / "dir/")], capsys)
    assert (code, err) == (2, "minilm encode: error: bulk encoding reads -i FILE|DIR and writes -o DIR "
                              "(not texts or stdin)\n")  # fmt: skip


def test_sigkill_mid_run_then_resume_equals_an_unbroken_run(tiny_dir: Path, tiny, tmp_path: Path, capsys) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", corpus(6000, seed=5))
    out = tmp_path / "vectors"
    argv = ["encode", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source), "-o", str(out), "--shard-size", "500"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "minilm.cli.main", *argv], env=env, stderr=subprocess.PIPE)
    manifest = out / "manifest.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if manifest.exists() and json.loads(manifest.read_text())["shards"]:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode() if proc.stderr else ""
    killed = json.loads(manifest.read_text())
    assert 1 <= len(killed["shards"]) < 12 and not killed["complete"]

    code, _, err = run(argv, capsys)
    assert code == 0 and err.endswith(f"(resumed, {12 - len(killed['shards'])} written now)\n")
    resumed = read_output(out)
    unbroken = encode_files(source, tmp_path / "unbroken", model=tiny, shard_size=500)
    assert unbroken.written == 12
    whole = read_output(tmp_path / "unbroken")
    ids = resumed.column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 6000
    assert resumed.equals(whole)  # same rows, same order, bit-identical vectors
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("part-")) == ["manifest.json"]


@pytest.mark.integration
def test_real_model_shards_match_the_library_and_the_reference(real_model, golden, tmp_path: Path) -> None:
    texts, _, reference = golden
    pick = list(range(24)) + list(range(len(texts) - 4, len(texts)))  # short edge cases and long abstracts
    sample = [texts[i] for i in pick]
    encode_files(write_jsonl(tmp_path / "g.jsonl", sample), tmp_path / "out", model=real_model, shard_size=10)
    table = read_output(tmp_path / "out")
    ours = vectors(table)
    assert ours.shape == (28, 384)
    assert np.abs(ours - real_model.encode(sample)).max() <= 1e-6
    assert np.abs(ours - reference[pick]).max() < 1e-5
    assert any(table.column("truncated").to_pylist())


def test_csv_ranges_that_stop_mid_file_let_the_process_exit(tiny_dir: Path, tmp_path: Path) -> None:
    """Shards ending before the file does, and an error part way, end the process (pyarrow's CSV read-ahead
    thread, which CSV went through once, deadlocked the interpreter's exit then). Two commands."""
    source = write_csv(tmp_path / "c.csv", corpus(3000, seed=6))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    base = [sys.executable, "-m", "minilm.cli.main", "encode", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source)]
    done = subprocess.run([*base, "-o", str(tmp_path / "v"), "--shard-size", "700"], env=env, timeout=120,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and done.stderr.endswith("3000 rows in 5 shards (5 written now)\n")
    failed = subprocess.run([*base, "-o", str(tmp_path / "w"), "--field", "body"], env=env, timeout=120,
                            capture_output=True, text=True)  # fmt: skip
    assert failed.returncode == 1 and f"{source}:2: no field 'body' (fields: id, text)" in failed.stderr
