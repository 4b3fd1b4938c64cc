"""Calibration samples for the int8 model's static activation ranges: minilm's own texts, no data set needed.

Each sample is one text (a (1, T) batch, no padding), so the ranges NNCF measures are those of real tokens.
"""

from __future__ import annotations

import numpy as np

from minilm import batching
from minilm.engines.onnx import calibration
from minilm.tokenizer import Tokenizer

TEXTS = calibration.TEXTS


def samples(tokenizer: Tokenizer, texts: list[str] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each text (default TEXTS) as an (ids (1, T), lengths (1,)) batch."""
    return [batching.pad([unit], tokenizer.pad_id) for unit in tokenizer(texts or TEXTS)]
