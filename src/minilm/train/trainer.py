"""The training loop of the recipe: AdamW, linear warmup then linear decay, gradient clipping, checkpoints.

fp32 on CPU, bf16 autocast on a GPU. Every `checkpoint_every` steps the model, optimizer, scheduler, sampler and
RNG states are written atomically to OUTPUT/checkpoints/step-N/; a run started again on the same OUTPUT
continues from the newest checkpoint at the same step, drawing the same batches (a killed run loses only the
steps after its last checkpoint). OUTPUT/history.jsonl records each step's loss, dataset and batch digest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from minilm.errors import InputError
from minilm.files import atomic_write, write_text_atomic
from minilm.train.data import BatchSampler, Row
from minilm.train.model import SentenceModel
from minilm.train.sts import Evaluator

log = logging.getLogger(__name__)

# Objective: computes the loss of a batch of rows, backpropagates it, returns its value.
Objective = Callable[[SentenceModel, list[Row], Callable[[], AbstractContextManager[Any]]], float]
StepCallback = Callable[[int, float], None]


@dataclass
class TrainConfig:
    """Hyper-parameters and bookkeeping of a run (the recipe's values by default)."""

    output: str
    steps: int
    lr: float = 2e-5
    warmup_steps: int = 500
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    seed: int = 0
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    eval_every: int = 0
    device: str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)  # recorded in the checkpoint, for the reader


def pick_device(name: str) -> torch.device:
    """'auto' is cuda when available, else cpu."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def autocast_for(device: torch.device) -> Callable[[], AbstractContextManager[Any]]:
    """bf16 autocast on a GPU; fp32 (no autocast) on CPU."""
    if device.type == "cuda":
        return partial(torch.autocast, device_type="cuda", dtype=torch.bfloat16)
    return nullcontext


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def warmup_linear(warmup: int, total: int) -> Callable[[int], float]:
    """LR factor: 0 -> 1 over `warmup` steps, then 1 -> 0 linearly to `total` (sentence-transformers' WarmupLinear)."""

    def factor(step: int) -> float:
        if step < warmup:
            return step / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW with weight decay on the weight matrices only (not biases nor LayerNorm)."""
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr)


def batch_digest(rows: list[Row]) -> str:
    """A short digest of a batch's texts, in order (the history's proof of data order)."""
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


class Trainer:
    """Runs `objective` over the sampler's batches for config.steps steps, with checkpoints and resume."""

    def __init__(self, model: SentenceModel, objective: Objective, sampler: BatchSampler, config: TrainConfig,
                 evaluator: Evaluator | None = None, callbacks: list[StepCallback] | None = None):  # fmt: skip
        if config.steps < 1:
            raise InputError(f"steps must be >= 1, got {config.steps}")
        self.config = config
        self.device = pick_device(config.device)
        seed_everything(config.seed)
        self.model = model.to(self.device)
        self.objective, self.sampler, self.evaluator = objective, sampler, evaluator
        self.callbacks = callbacks or []
        self.optimizer = make_optimizer(self.model, config.lr, config.weight_decay)
        factor = warmup_linear(min(config.warmup_steps, config.steps), config.steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, factor)
        self.autocast = autocast_for(self.device)
        self.output = Path(config.output)
        self.step = 0
        self.scores: dict[str, float] = {}

    # -- checkpoints -------------------------------------------------------------------------------------------
    @property
    def checkpoint_dir(self) -> Path:
        return self.output / "checkpoints"

    def latest_checkpoint(self) -> Path | None:
        found = sorted(self.checkpoint_dir.glob("step-*/state.pt")) if self.checkpoint_dir.is_dir() else []
        return found[-1].parent if found else None

    def save_checkpoint(self) -> Path:
        """Write model, optimizer, scheduler, sampler and RNG states for this step (state.pt replaced atomically)."""
        target = self.checkpoint_dir / f"step-{self.step:08d}"
        target.mkdir(parents=True, exist_ok=True)
        state = {
            "step": self.step,
            "model": self.model.bert.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "sampler": self.sampler.state_dict(),
            "rng": {
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if self.device.type == "cuda" else [],
                "numpy": np.random.get_state(),
                "python": random.getstate(),
            },
            "config": asdict(self.config),
        }
        with atomic_write(target / "state.pt") as f:
            torch.save(state, f)
        for old in sorted(self.checkpoint_dir.glob("step-*"))[: -self.config.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)
        log.info("checkpoint at step %d: %s", self.step, target)
        return target

    def load_checkpoint(self, path: Path) -> None:
        """Continue from a checkpoint: same step, same next batch, same RNG."""
        state = torch.load(path / "state.pt", map_location=self.device, weights_only=False)
        self.model.bert.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.sampler.load_state_dict(state["sampler"])
        torch.set_rng_state(state["rng"]["torch"].cpu())
        if state["rng"]["cuda"]:
            torch.cuda.set_rng_state_all([s.cpu() for s in state["rng"]["cuda"]])
        np.random.set_state(state["rng"]["numpy"])
        random.setstate(state["rng"]["python"])
        self.step = int(state["step"])
        self._truncate_history(self.step)
        log.info("resumed from %s at step %d", path, self.step)

    def _truncate_history(self, step: int) -> None:
        """Drop history lines of steps a killed run did after its last checkpoint."""
        history = self.output / "history.jsonl"
        if history.exists():
            lines = [line for line in history.read_text().splitlines() if json.loads(line).get("step", 0) <= step]
            write_text_atomic(history, "".join(line + "\n" for line in lines))

    # -- the loop -----------------------------------------------------------------------------------------------
    def evaluate(self) -> dict[str, float]:
        if self.evaluator is None:
            return {}
        self.scores = self.evaluator(self.model)
        log.info("step %d: %s", self.step, self.scores)
        self._record({"step": self.step, "eval": self.scores})
        return self.scores

    def _record(self, entry: dict[str, Any]) -> None:
        with (self.output / "history.jsonl").open("a") as f:
            f.write(json.dumps(entry) + "\n")

    def train(self, resume: bool = True, progress: bool = False) -> SentenceModel:
        """Run to config.steps (from the newest checkpoint when resume and one exists); returns the model."""
        from tqdm.auto import tqdm

        self.output.mkdir(parents=True, exist_ok=True)
        latest = self.latest_checkpoint() if resume else None
        if latest is not None:
            self.load_checkpoint(latest)
        elif (self.output / "history.jsonl").exists():
            (self.output / "history.jsonl").unlink()
        self.model.train()
        bar = tqdm(total=self.config.steps, initial=self.step, disable=not progress, desc="training", unit="step")
        pairs, started = 0, time.perf_counter()
        while self.step < self.config.steps:
            name, rows = self.sampler.next_batch()
            loss = self.objective(self.model, rows, self.autocast)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.max_grad_norm)
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
            self.step += 1
            pairs += len(rows)
            rate = pairs / max(time.perf_counter() - started, 1e-9)
            self._record({"step": self.step, "loss": loss, "dataset": name, "rows": len(rows),
                          "batch": batch_digest(rows), "lr": self.scheduler.get_last_lr()[0]})  # fmt: skip
            bar.set_postfix(
                loss=f"{loss:.4f}", rows_per_s=f"{rate:.1f}", **{k: f"{v:.2f}" for k, v in self.scores.items()}
            )
            bar.update(1)
            for callback in self.callbacks:
                callback(self.step, loss)
            if self.config.eval_every and self.step % self.config.eval_every == 0:
                self.evaluate()
            if self.config.checkpoint_every and self.step % self.config.checkpoint_every == 0:
                self.save_checkpoint()
        bar.close()
        return self.model
