"""Output precisions for sentence vectors, with sentence-transformers' quantize_embeddings semantics.

- int8 / uint8: each dimension mapped linearly from [min, max] onto 256 levels. The range comes from
  `ranges` (2, D), else from `calibration` vectors, else from the vectors being quantized themselves.
- binary / ubinary: one bit per dimension (value > 0), packed 8 to a byte; binary is the packed byte minus 128
  as int8, ubinary the packed byte as uint8. A 384-d vector becomes 48 bytes.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from minilm.errors import InputError

Precision = Literal["float32", "int8", "uint8", "binary", "ubinary"]
PRECISIONS = ("float32", "int8", "uint8", "binary", "ubinary")


def quantize(
    vectors: np.ndarray,
    precision: str,
    ranges: np.ndarray | None = None,
    calibration: np.ndarray | None = None,
) -> np.ndarray:
    """vectors (N, D) float32 -> the requested precision (binary forms have D/8 columns)."""
    if precision == "float32":
        return vectors
    if precision in ("int8", "uint8"):
        if ranges is None:
            source = calibration if calibration is not None else vectors
            if len(source) == 0:
                return np.zeros(vectors.shape, dtype=precision)
            ranges = np.stack([source.min(axis=0), source.max(axis=0)])  # (2, D)
        starts = ranges[0]
        steps = (ranges[1] - ranges[0]) / 255
        steps = np.where(steps == 0, np.float32(1), steps)
        levels = (vectors - starts) / steps  # in [0, 255] for vectors inside the range
        if precision == "uint8":
            return np.clip(levels, 0, 255).astype(np.uint8)
        return np.clip(levels - 128, -128, 127).astype(np.int8)
    if precision in ("binary", "ubinary"):
        packed = np.packbits(vectors > 0, axis=-1)
        if precision == "ubinary":
            return packed
        return (packed.astype(np.int16) - 128).astype(np.int8)
    raise InputError(f"precision {precision!r} is unknown; expected one of {PRECISIONS}")
