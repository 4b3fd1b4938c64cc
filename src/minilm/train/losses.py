"""Multiple Negatives Ranking loss, the all-* models' contrastive objective.

For N pairs (a_i, b_i): the N x N cosine matrix between anchors and positives, times a scale (20, a temperature
of 0.05), and cross-entropy with the diagonal as target; every other positive in the batch is a negative.
Hard negatives (triplets) add N columns each; the symmetric term adds the same loss from positives to anchors
(without the hard negatives), and the two are averaged.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

DEFAULT_SCALE = 20.0


def cosine_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a (N, D), b (M, D) -> cosine similarities (N, M)."""
    return F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T


def mnrl(
    anchors: torch.Tensor,
    positives: torch.Tensor,
    negatives: Sequence[torch.Tensor] = (),
    scale: float = DEFAULT_SCALE,
    symmetric: bool = False,
) -> torch.Tensor:
    """Multiple Negatives Ranking loss (mean over the batch) of anchors (N, D) against positives (N, D).

    negatives: hard-negative columns, each (N, D), appended after the in-batch positives (N x (N + kN) logits).
    symmetric: average with the positives -> anchors loss (N x N), as MultipleNegativesSymmetricRankingLoss.
    """
    n = anchors.shape[0]
    candidates = torch.cat([positives, *negatives], dim=0)  # (N + kN, D)
    logits = cosine_matrix(anchors, candidates) * scale  # (N, N + kN)
    target = torch.arange(n, device=anchors.device)  # a_i's positive is column i
    loss = F.cross_entropy(logits, target)
    if symmetric:
        backward = cosine_matrix(positives, anchors) * scale  # (N, N)
        loss = (loss + F.cross_entropy(backward, target)) / 2
    return loss
