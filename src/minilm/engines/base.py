"""The engine contract: token ids and lengths in, token states out.

Everything else (tokenizing, length-sorted batching, pooling, normalising, output quantization) lives once,
above the engines, in minilm.encoder. A new engine implements `forward` and registers a factory in
minilm.engines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from minilm.checkpoint.folder import ModelFolder
from minilm.checkpoint.weights import Weights


@runtime_checkable
class Engine(Protocol):
    """Runs the BERT encoder on one padded batch."""

    name: str

    def forward(self, input_ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """input_ids (B, T) int64, padded with the pad id past each row's length; lengths (B,) int64.

        Returns the last layer's token states, (B, T, H) float32. Rows past a text's length are undefined:
        the caller masks them. Token i of a row must not depend on anything past that row's length.
        """
        ...

    @property
    def threads(self) -> int | None:
        """Compute threads the engine uses (None when it does not control them)."""
        ...


@dataclass(frozen=True)
class Checkpoint:
    """What an engine factory is given: the model folder, its validated weights and their sha256."""

    folder: ModelFolder
    weights: Weights
    sha256: str
