"""The engine contract: token ids and lengths in, token states out.

Everything else (tokenizing, length-sorted batching, pooling, normalising, output quantization) lives once,
above the engines, in minilm.encoder. A new engine implements `forward` and registers a factory in
minilm.engines.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from minilm.checkpoint.folder import ModelFolder
from minilm.checkpoint.weights import Weights, load_weights


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


class Checkpoint:
    """What an engine factory is given: the model folder and its weights' sha256, and the weights themselves,
    read and validated on first use (an engine whose graph is already built and cached under the sha256 never
    reads them, which keeps ~90 MB of float32 arrays out of its peak memory)."""

    def __init__(self, folder: ModelFolder, sha256: str, weights: Weights | None = None):
        self.folder = folder
        self.sha256 = sha256
        self._weights = weights

    @property
    def weights(self) -> Weights:
        """The checkpoint's tensors by key, validated against the config (loaded once)."""
        if self._weights is None:
            self._weights = load_weights(self.folder.weights, self.folder.config.bert)
        return self._weights
