"""Distillation: a student learns the teacher's sentence vectors (MSE), as the all-* students were made.

The teacher embeds every training sentence once, up front (no graph); each step the student embeds a batch of
sentences and the loss is the mean squared error to the teacher's vectors (both L2-normalized outputs of the
full Transformer -> Pooling -> Normalize pipeline).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from minilm.train.data import Dataset, Row
from minilm.train.model import SentenceModel

log = logging.getLogger(__name__)


def sentences_of(datasets: Sequence[Dataset]) -> list[str]:
    """Every distinct text of the datasets, all columns, in first-seen order."""
    return list(dict.fromkeys(text for d in datasets for row in d.rows for text in row))


def as_sentences(datasets: Sequence[Dataset]) -> list[Dataset]:
    """Each dataset flattened to one-column rows of its distinct texts (what the student trains on)."""
    return [Dataset(d.name, [(t,) for t in sentences_of([d])], d.weight) for d in datasets]


class DistillObjective:
    """Trainer objective: MSE between the student's vectors and the teacher's for the batch's sentences."""

    def __init__(self, teacher_vectors: dict[str, np.ndarray]):
        self.teacher_vectors = teacher_vectors

    @classmethod
    def from_teacher(cls, teacher: SentenceModel, sentences: list[str], batch_size: int = 64) -> DistillObjective:
        """Embed `sentences` with the teacher once (eval mode, no graph)."""
        log.info("teacher embeds %d sentences", len(sentences))
        vectors = teacher.encode(sentences, batch_size)
        return cls(dict(zip(sentences, vectors, strict=True)))

    def __call__(self, model: SentenceModel, rows: list[Row],
                 autocast: Callable[[], AbstractContextManager[Any]]) -> float:  # fmt: skip
        texts = [row[0] for row in rows]
        target = torch.from_numpy(np.stack([self.teacher_vectors[t] for t in texts])).to(model.device)  # (B, D)
        with autocast():
            loss = F.mse_loss(model(texts).float(), target)
        loss.backward()
        return float(loss.detach())
