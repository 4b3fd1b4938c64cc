"""The contrastive objective: MNRL over a batch of pairs/triplets, plain or cached (GradCache)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import torch

from minilm.train.cached import cached_step, plain_step
from minilm.train.data import Row
from minilm.train.losses import DEFAULT_SCALE, mnrl
from minilm.train.model import SentenceModel


class ContrastiveObjective:
    """Trainer objective: rows (anchor, positive, negatives...) -> MNRL, backpropagated; returns the loss.

    mini_batch_size: None (or >= the batch) embeds the batch in one go; smaller uses GradCache with that many
    texts per forward pass (same loss and gradients, less memory).
    """

    def __init__(self, scale: float = DEFAULT_SCALE, symmetric: bool = False, mini_batch_size: int | None = None):
        self.scale, self.symmetric, self.mini_batch_size = scale, symmetric, mini_batch_size

    def loss(self, embeddings: list[torch.Tensor]) -> torch.Tensor:
        """embeddings: one (N, D) tensor per column: anchors, positives, then hard negatives."""
        return mnrl(embeddings[0], embeddings[1], embeddings[2:], self.scale, self.symmetric)

    def __call__(self, model: SentenceModel, rows: list[Row],
                 autocast: Callable[[], AbstractContextManager[Any]]) -> float:  # fmt: skip
        columns = [list(column) for column in zip(*rows, strict=True)]
        if len(columns) < 2:
            raise ValueError(f"contrastive training needs pairs or triplets; these rows have {len(columns)} text(s)")
        if self.mini_batch_size is None or self.mini_batch_size >= len(rows):
            return plain_step(model, columns, self.loss, autocast)
        return cached_step(model, columns, self.loss, self.mini_batch_size, autocast)
