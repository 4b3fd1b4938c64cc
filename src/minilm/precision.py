"""Output precisions for sentence vectors, with sentence-transformers' quantize_embeddings semantics.

- int8 / uint8: each dimension's [min, max] split into 255 equal steps; a value becomes the floor of its step
  count, clipped to [0, 255] (uint8), or that level minus 128 (int8). The range comes from `ranges` (2, D), else
  from `calibration` vectors, else from the vectors being quantized themselves (at least two are needed: one
  vector's range is a single point and would map every dimension to the lowest level).
- binary / ubinary: one bit per dimension (value > 0), packed 8 to a byte; binary is the packed byte minus 128
  as int8, ubinary the packed byte as uint8. A 384-d vector becomes 48 bytes.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from minilm.errors import InputError

Precision = Literal["float32", "int8", "uint8", "binary", "ubinary"]
PRECISIONS = ("float32", "int8", "uint8", "binary", "ubinary")


def int8_ranges(vectors: np.ndarray, calibration: np.ndarray | None, precision: str) -> np.ndarray:
    """Per-dimension [min; max] (2, D) from the calibration vectors, else from the vectors themselves."""
    source = calibration if calibration is not None else vectors
    if len(source) < 2:
        raise InputError(
            f"precision={precision!r} needs a value range per dimension: from one vector it is a single point "
            f"and every value would map to the lowest level; pass ranges (2, D) or several texts at once"
        )
    return np.stack([source.min(axis=0), source.max(axis=0)])


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
        if len(vectors) == 0:
            return np.zeros(vectors.shape, dtype=precision)
        if ranges is None:
            ranges = int8_ranges(vectors, calibration, precision)
        starts = ranges[0]
        steps = (ranges[1] - ranges[0]) / 255
        steps = np.where(steps == 0, 1, steps)
        # floor, not a cast: a cast truncates toward zero and would put values below `starts` one level high
        levels = np.clip(np.floor((vectors - starts) / steps), 0, 255)
        if precision == "uint8":
            return levels.astype(np.uint8)
        return (levels - 128).astype(np.int8)
    if precision in ("binary", "ubinary"):
        packed = np.packbits(vectors > 0, axis=-1)
        if precision == "ubinary":
            return packed
        return (packed.astype(np.int16) - 128).astype(np.int8)
    raise InputError(f"precision {precision!r} is unknown; expected one of {PRECISIONS}")
