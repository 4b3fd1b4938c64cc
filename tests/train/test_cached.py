"""GradCache gives the plain loss and every parameter's gradient (within 1e-5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from minilm.train.cached import cached_step, plain_step
from minilm.train.contrastive import ContrastiveObjective
from minilm.train.model import SentenceModel

from .train_helpers import sentence


def _columns(rows: int, width: int, seed: int = 1) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [[sentence(rng, int(rng.integers(1, 9))) for _ in range(rows)] for _ in range(width)]


def _gradients(model: SentenceModel) -> dict[str, torch.Tensor]:
    grads = {}
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        grads[name] = p.grad.clone()
    model.zero_grad(set_to_none=True)
    return grads


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys() and len(a) > 30
    for name in a:
        assert (a[name] - b[name]).abs().max().item() < 1e-5, name
    assert any(g.abs().max().item() > 1e-3 for g in a.values())  # gradients are not trivially zero


def test_cached_equals_plain(tiny_dir: Path) -> None:
    model = SentenceModel.from_folder(tiny_dir)
    model.eval()  # no dropout: the two paths must agree exactly in arithmetic
    loss_fn = ContrastiveObjective(symmetric=True).loss
    columns = _columns(rows=10, width=3)  # anchors, positives, hard negatives
    plain = plain_step(model, columns, loss_fn)
    plain_grads = _gradients(model)
    for mini in (1, 3, 4):
        cached = cached_step(model, columns, loss_fn, mini_batch_size=mini)
        assert abs(cached - plain) < 1e-5
        _assert_same(_gradients(model), plain_grads)


def test_cached_replays_dropout(tiny_dir: Path) -> None:
    """With dropout on, the re-run mini-batches see the masks of the first pass (saved RNG states)."""
    model = SentenceModel.from_folder(tiny_dir)
    model.train()
    loss_fn = ContrastiveObjective().loss
    columns = _columns(rows=6, width=2)
    torch.manual_seed(3)
    plain = plain_step(model, columns, loss_fn)
    plain_grads = _gradients(model)
    torch.manual_seed(3)
    cached = cached_step(model, columns, loss_fn, mini_batch_size=6)  # one mini-batch per column: same masks
    assert abs(cached - plain) < 1e-5
    _assert_same(_gradients(model), plain_grads)
