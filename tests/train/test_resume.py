"""A run SIGKILLed after a checkpoint resumes at the same step and draws the same batches as an unbroken run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from minilm.train.runs import RunConfig, run_train

from .train_helpers import write_pairs

CHILD = """
import json, sys, threading
from minilm.train.runs import RunConfig, run_train
config = RunConfig.from_mapping(json.loads(sys.argv[1]))
never = threading.Event()
run_train(config, callbacks=[lambda step, loss: step == 5 and never.wait()])  # waits at step 5 to be killed
"""


def _config(tiny_dir: Path, data: list[Path], output: Path) -> dict[str, object]:
    return {"model": str(tiny_dir), "output": str(output), "batch_size": 6, "mini_batch_size": 4, "steps": 12,
            "checkpoint_every": 4, "warmup_steps": 3, "lr": 1e-3, "seed": 7,
            "data": [{"path": str(data[0]), "weight": 1.0}, {"path": str(data[1]), "weight": 2.0}]}  # fmt: skip


def _history(output: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (output / "history.jsonl").read_text().splitlines()]


def test_resume_after_kill(tiny_dir: Path, tmp_path: Path) -> None:
    data = [write_pairs(tmp_path / "a.jsonl", 30, seed=1), write_pairs(tmp_path / "b.jsonl", 20, seed=2, negatives=1)]
    reference = run_train(RunConfig.from_mapping(_config(tiny_dir, data, tmp_path / "unbroken")))

    killed = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(_config(tiny_dir, data, killed))], env=env)
    try:
        deadline = time.monotonic() + 120
        while not (killed / "checkpoints" / "step-00000004" / "state.pt").exists():
            assert child.poll() is None and time.monotonic() < deadline, "the child ended before its first checkpoint"
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    steps_before = [h["step"] for h in _history(killed) if "loss" in h]
    assert not (killed / "final").exists() and max(steps_before) < 12  # it really died mid-run

    resumed = run_train(RunConfig.from_mapping(_config(tiny_dir, data, killed)))
    history, expected = _history(killed), _history(tmp_path / "unbroken")
    assert [h["step"] for h in history] == list(range(1, 13))  # each step once: resumed where the checkpoint was
    assert [h["batch"] for h in history] == [h["batch"] for h in expected]  # same data order
    assert {h["dataset"] for h in history} == {"a", "b"}
    for got, want in zip(history, expected, strict=True):
        assert abs(float(got["loss"]) - float(want["loss"])) < 1e-5  # type: ignore[arg-type]
    a, b = load_file(str(resumed / "model.safetensors")), load_file(str(reference / "model.safetensors"))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
