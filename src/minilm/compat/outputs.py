"""Shaping encode's results as sentence-transformers returns them: arrays, tensors, lists and feature dicts."""

from __future__ import annotations

from typing import Any

import numpy as np

from minilm.extras import missing_module
from minilm.precision import int8_ranges, quantize


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise missing_module("train", "tensor outputs (convert_to_tensor=True, convert_to_numpy=False)", exc) from None
    return torch


def sentences(vectors: np.ndarray, single: bool, convert_to_numpy: bool, convert_to_tensor: bool) -> Any:
    """(N, D) -> an array (default), one tensor (convert_to_tensor) or row tensors (convert_to_numpy=False)."""
    if convert_to_tensor:
        tensor = _torch().from_numpy(vectors)
        return tensor[0] if single else tensor
    if not convert_to_numpy:
        rows = [_torch().from_numpy(row) for row in vectors]
        return rows[0] if single else rows
    return vectors[0] if single else vectors


def quantize_tokens(states: list[np.ndarray], precision: str) -> list[np.ndarray]:
    """Each text's (T, D) token states at `precision`; int8/uint8 share one range taken over all tokens."""
    if precision == "float32" or not states:
        return states
    ranges = int8_ranges(np.concatenate(states), None, precision) if precision in ("int8", "uint8") else None
    return [quantize(matrix, precision, ranges=ranges) for matrix in states]


def tokens(states: list[np.ndarray], single: bool, as_tensors: bool) -> Any:
    """A list of (T, D) arrays, or of tensors (the texts have different lengths, so never one stacked tensor)."""
    out: list[Any] = [_torch().from_numpy(s) for s in states] if as_tensors else states
    return out[0] if single else out


def features(parts: dict[str, list[np.ndarray]], extra: dict[str, Any], single: bool, as_tensors: bool) -> Any:
    """One dict per text (input_ids, attention_mask, token_embeddings, sentence_embedding, ...), unpadded."""
    convert = _torch().from_numpy if as_tensors else (lambda a: a)
    dicts = [
        {name: convert(values[i]) for name, values in parts.items()} | extra
        for i in range(len(next(iter(parts.values()))))
    ]
    return dicts[0] if single else dicts
