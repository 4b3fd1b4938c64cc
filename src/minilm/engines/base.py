"""The engine contract: token ids and lengths in, token states out.

Everything else (tokenizing, length-sorted batching, pooling, normalising, output quantization) lives once,
above the engines, in minilm.encoder. A new engine implements `forward` and registers a factory in
minilm.engines.

Two optional extras, for an engine on an accelerator (the torch engine on a GPU): `pooled(batches, mode)`
pools on the device and pipelines the batches, so only (B, H) vectors come back to the host; `batch_hints`
sizes the batches for the device. The encoder uses `pooled` where an engine has it (else `forward` and its own
pooling) and `hints_of` (else its own sizes).
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class BatchHints:
    """How an engine wants its work cut: padded tokens per call, the fewest rows a call may be capped at
    (raises a caller's small batch_size; the token budget still bounds every call), and texts tokenized per block.
    """

    max_tokens: int
    min_rows: int
    block: int


def hints_of(engine: Engine) -> BatchHints | None:
    """The engine's batch_hints, or None when it has none (the caller's defaults apply)."""
    hints = getattr(engine, "batch_hints", None)
    assert hints is None or isinstance(hints, BatchHints)
    return hints


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
