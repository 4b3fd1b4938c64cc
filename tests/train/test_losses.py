"""MNRL against a case computed by hand."""

from __future__ import annotations

import math

import pytest
import torch

from minilm.train.losses import mnrl

S = 1 / math.sqrt(2)
# anchors a0 = (1, 0), a1 = (0, 1); positives p0 = (1, 0), p1 = (1, 1)/sqrt2 (given unnormalized: the loss uses cosines)
ANCHORS = torch.tensor([[2.0, 0.0], [0.0, 3.0]])
POSITIVES = torch.tensor([[1.0, 0.0], [5.0, 5.0]])


def test_in_batch_negatives() -> None:
    # cosines: row 0 = [1, S], row 1 = [0, S]; logits = 20 * cosines; targets on the diagonal
    row0 = math.log(1 + math.exp(20 * S - 20))  # -log softmax([20, 20S])[0]
    row1 = math.log(1 + math.exp(0 - 20 * S))  # -log softmax([0, 20S])[1]
    assert mnrl(ANCHORS, POSITIVES).item() == pytest.approx((row0 + row1) / 2, abs=1e-6)


def test_hard_negatives_are_extra_columns() -> None:
    negatives = torch.tensor([[0.0, 1.0], [1.0, 0.0]])  # n0 = (0, 1), n1 = (1, 0)
    # every anchor sees all columns [p0, p1, n0, n1]: row 0 logits [20, 20S, 0, 20]; row 1 [0, 20S, 20, 0]
    row0 = -math.log(math.exp(20) / (math.exp(20) + math.exp(20 * S) + 1 + math.exp(20)))  # about log 2
    row1 = -math.log(math.exp(20 * S) / (1 + math.exp(20 * S) + math.exp(20) + 1))  # n0 outranks p1
    assert mnrl(ANCHORS, POSITIVES, [negatives]).item() == pytest.approx((row0 + row1) / 2, abs=1e-6)


def test_symmetric_term_and_scale() -> None:
    # forward as above; backward rows: p0 -> [1, 0] (target 0), p1 -> [S, S] (target 1): log 2
    forward = (math.log(1 + math.exp(20 * S - 20)) + math.log(1 + math.exp(-20 * S))) / 2
    backward = (math.log(1 + math.exp(-20)) + math.log(2)) / 2
    assert mnrl(ANCHORS, POSITIVES, symmetric=True).item() == pytest.approx((forward + backward) / 2, abs=1e-6)
    # scale 1: row 0 logits [1, S], row 1 logits [0, S]
    scale1 = (math.log(1 + math.exp(S - 1)) + math.log(1 + math.exp(-S))) / 2
    assert mnrl(ANCHORS, POSITIVES, scale=1.0).item() == pytest.approx(scale1, abs=1e-6)
