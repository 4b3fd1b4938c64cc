"""The torch engine through the CLI (info, encode, eval, serve's batch limits) and the server's batcher."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm.cli import serve
from minilm.cli.main import main
from minilm.engines.torch_engine import devices
from minilm.engines.torch_engine.engine import GPU_HINTS
from minilm.eval import evaluate_sts, load_sts
from minilm.server.batcher import Batcher

TEXTS = ["the cat sat on the mat", "a dog", "hello world !", "today is a sunny day", "é", "that is a happy person"]


def test_info_prints_device_and_dtype(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["info", "-m", str(tiny_dir), "-e", "torch", "--device", "cpu", "--dtype", "bfloat16", "--json"]
    assert main(args) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["engine"], info["device"], info["dtype"]) == ("torch", "cpu", "bfloat16")


def test_encode_refuses_a_device_for_another_engine(tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["encode", "-m", str(tiny_dir), "-e", "numpy", "--device", "cuda", "the cat"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "engine 'numpy' does not take device='cuda'" in captured.err and "Traceback" not in captured.err


def test_encode_with_torch_matches_numpy(tiny_dir: Path, tiny, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["encode", "-m", str(tiny_dir), "-e", "torch", "--device", "cpu", *TEXTS]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert np.abs(np.array([r["embedding"] for r in rows]) - tiny.encode(TEXTS)).max() < 1e-5


def test_eval_sts_runs_on_the_torch_engine(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [f"g\tf\ty\t{i}\t{i % 5}\t{TEXTS[i]}\t{TEXTS[-1 - i]}\n" for i in range(len(TEXTS))]
    data = tmp_path / "sts-test.csv"
    data.write_text("".join(rows))
    out = tmp_path / "out"
    assert main(["eval", "sts", str(data), "--model", str(tiny_dir), "--engine", "torch", "-o", str(out)]) == 0
    saved = json.loads((out / "sts-sts-test-torch.json").read_text())
    expected = evaluate_sts(minilm.load(tiny_dir, engine="numpy"), load_sts(data)[0]).main_score
    assert saved["results"][0]["scores"]["cosine_spearman"] == pytest.approx(expected, abs=1e-6)
    assert "(torch engine)" in capsys.readouterr().out


def limits(engine: str, device: str | None, tokens: int | None = None, rows: int | None = None) -> tuple[int, int]:
    return serve._batch_limits(
        argparse.Namespace(engine=engine, device=device, max_batch_tokens=tokens, max_batch_size=rows)
    )


def test_serve_batch_limits_follow_the_device(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits("torch", "cpu") == limits("numpy", None) == limits("auto", None) == (1024, 32)  # no GPU here
    assert limits("torch", "cpu", 4096, 64) == (4096, 64)
    monkeypatch.setattr(devices, "gpu_present", lambda: True)
    assert limits("auto", None) == (GPU_HINTS.max_tokens, GPU_HINTS.min_rows)
    assert limits("torch", "cuda", 8192) == (8192, GPU_HINTS.min_rows)  # a given limit is kept
    assert limits("onnx", None) == (1024, 32)


def test_server_batcher_on_the_torch_engine_matches_the_library(tiny_dir: Path) -> None:
    model = minilm.load(tiny_dir, engine="torch", device="cpu")
    batcher = Batcher(model, max_batch_tokens=24, max_batch_size=3, max_queue=100, workers=2)
    try:
        prepared = [model.prepare(texts) for texts in (TEXTS, TEXTS[2:], TEXTS[::-1])]
        futures = [batcher.submit(p.units) for p in prepared]
        for texts, p, future in zip((TEXTS, TEXTS[2:], TEXTS[::-1]), prepared, futures, strict=True):
            vectors = model.finish(p, future.result(timeout=60))
            np.testing.assert_allclose(vectors, model.encode(texts), atol=1e-6, rtol=0)
    finally:
        batcher.close()
