"""Whole runs: the CLI with TOML/YAML configs on the tiny model, a loss that falls, and a real-model slice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import minilm
from minilm.cli.main import main
from minilm.train.runs import RunConfig, read_config_file, run_train
from minilm.train.trainer import TrainConfig

from ..conftest import DATA
from .train_helpers import write_pairs


def _history(output: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (output / "history.jsonl").read_text().splitlines()]


def test_tiny_model_learns_its_pairs(tiny_dir: Path, tmp_path: Path) -> None:
    """Random pairs, memorized: the loss falls well below log(16). Dropout off (config.json): at hidden size 8
    it drowns the signal."""
    config_file = tiny_dir / "config.json"
    raw = json.loads(config_file.read_text())
    config_file.write_text(json.dumps({**raw, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}))
    data = write_pairs(tmp_path / "pairs.jsonl", 16, seed=3)
    config = RunConfig.from_mapping({"model": str(tiny_dir), "output": str(tmp_path / "run"), "data": [str(data)],
                                     "batch_size": 16, "steps": 60, "lr": 2e-2, "warmup_steps": 2})  # fmt: skip
    run_train(config)
    losses = [float(h["loss"]) for h in _history(tmp_path / "run") if "loss" in h]  # type: ignore[arg-type]
    assert losses[0] > 2.5 and losses[-1] < 1.0


def test_cli_train_with_toml_and_yaml(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = write_pairs(tmp_path / "a.jsonl", 20, seed=1), write_pairs(tmp_path / "b.jsonl", 20, seed=2)
    (tmp_path / "run.toml").write_text(
        f'model = "{tiny_dir}"\noutput = "{tmp_path / "t"}"\nbatch_size = 4\nsteps = 3\n'
        f'data = [{{path = "{a}", weight = 1}}, {{path = "{b}", weight = 3}}]\n'
    )
    (tmp_path / "run.yaml").write_text(f"model: {tiny_dir}\noutput: {tmp_path / 'y'}\nbatch_size: 4\ndata: [{a}]\n")
    assert read_config_file(tmp_path / "run.yaml")["data"] == [str(a)]
    assert main(["train", "-c", str(tmp_path / "run.toml"), "--no-progress"]) == 0
    assert main(["train", "-c", str(tmp_path / "run.yaml"), "--steps", "2", "--no-progress"]) == 0
    assert "saved the fine-tuned model to" in capsys.readouterr().err
    assert len([h for h in _history(tmp_path / "y") if "loss" in h]) == 2  # the flag overrides the file
    assert minilm.load(tmp_path / "t" / "final", engine="numpy").encode("the cat").shape == (8,)


def test_cli_reports_config_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.toml").write_text('output = "x"\ndata = ["a.jsonl"]\nbatchsize = 3\n')
    assert main(["train", "-c", str(tmp_path / "bad.toml")]) == 1
    assert "unknown keys ['batchsize']" in capsys.readouterr().err
    assert main(["train", "--output", str(tmp_path / "o")]) == 1
    assert "no training data" in capsys.readouterr().err


def test_defaults_are_stated_once(capsys: pytest.CaptureFixture[str]) -> None:
    """RunConfig takes the trainer's defaults from TrainConfig, and the CLI's help shows RunConfig's."""
    for name in ("lr", "warmup_steps", "weight_decay", "max_grad_norm", "seed", "checkpoint_every", "device"):
        assert getattr(RunConfig, name) == getattr(TrainConfig, name)
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"rows per batch (default {RunConfig.batch_size})" in help_text
    assert f"AdamW learning rate (default {TrainConfig.lr:g})" in help_text
    assert f"linear warmup steps (default {TrainConfig.warmup_steps})" in help_text
    assert f"similarity scale (default {RunConfig.scale:g})" in help_text


def test_cli_prune_and_distill(tiny_dir: Path, tmp_path: Path) -> None:
    data = write_pairs(tmp_path / "s.jsonl", 30, seed=4)
    assert main(["prune", "-m", str(tiny_dir), "--layers", "1", "-o", str(tmp_path / "student")]) == 0
    args = ["distill", str(data), "--student", str(tmp_path / "student"), "--teacher", str(tiny_dir),
            "--output", str(tmp_path / "d"), "--steps", "30", "--batch-size", "16", "--lr", "3e-3",
            "--warmup-steps", "1", "--no-progress"]  # fmt: skip
    assert main(args) == 0
    losses = [float(h["loss"]) for h in _history(tmp_path / "d") if "loss" in h]  # type: ignore[arg-type]
    assert len(losses) == 30 and losses[-1] < losses[0]
    assert json.loads((tmp_path / "d" / "final" / "config.json").read_text())["num_hidden_layers"] == 1


@pytest.mark.integration
def test_real_model_short_run_on_a_slice(tmp_path: Path) -> None:
    """all-MiniLM-L6-v2, 2 steps of 8 STS-B train pairs (score >= 4), with a dev-set evaluation."""
    rows = [line.rstrip("\n").split("\t") for line in (DATA / "stsbenchmark/sts-train.csv").open()]
    pairs = [{"anchor": r[5], "positive": r[6]} for r in rows if float(r[4]) >= 4][:24]
    (tmp_path / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    dev = tmp_path / "dev.tsv"
    dev_rows = [line.rstrip("\n").split("\t") for line in (DATA / "stsbenchmark/sts-dev.csv").open()][:30]
    dev.write_text("sentence1\tsentence2\tscore\n" + "".join(f"{r[5]}\t{r[6]}\t{r[4]}\n" for r in dev_rows))
    config = RunConfig.from_mapping({"output": str(tmp_path / "run"), "data": [str(tmp_path / "pairs.jsonl")],
                                     "batch_size": 8, "steps": 2, "warmup_steps": 1, "max_seq_length": 32,
                                     "eval_data": str(dev), "eval_every": 2})  # fmt: skip
    final = run_train(config)
    history = _history(tmp_path / "run")
    losses = [float(h["loss"]) for h in history if "loss" in h]  # type: ignore[arg-type]
    assert len(losses) == 2 and all(0 < x < 5 for x in losses)
    scores = [h["eval"]["sts_dev_spearman"] for h in history if "eval" in h]  # type: ignore[index]
    assert scores and all(50 < s <= 100 for s in scores)
    before = minilm.load(engine="numpy", allow_download=False).encode(pairs[0]["anchor"])
    after = minilm.load(final, engine="numpy").encode(pairs[0]["anchor"])
    assert 0.9 < float(before @ after) < 1 - 1e-7  # trained: changed, but only a little
