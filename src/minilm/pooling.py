"""From token states to one vector per text, as sentence-transformers' Pooling and Normalize modules do."""

from __future__ import annotations

import numpy as np

from minilm.config import PoolingMode
from minilm.errors import InputError


def pool(states: np.ndarray, lengths: np.ndarray, mode: PoolingMode) -> np.ndarray:
    """states (B, T, H), lengths (B,) -> (B, H). Positions past a row's length never contribute."""
    t = states.shape[1]
    keep = (np.arange(t)[None, :] < lengths[:, None])[:, :, None]  # (B, T, 1)
    if mode == "cls":
        return states[:, 0].copy()
    if mode == "max":
        return np.where(keep, states, np.float32(-1e9)).max(axis=1)
    summed = np.where(keep, states, np.float32(0)).sum(axis=1)  # (B, H)
    counts = np.maximum(lengths.astype(np.float32), np.float32(1e-9))[:, None]  # (B, 1)
    if mode == "mean":
        return summed / counts
    if mode == "mean_sqrt_len":
        return summed / np.sqrt(counts)
    raise ValueError(f"pooling mode {mode!r} is unknown")


def l2_normalize(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows scaled to unit L2 norm (torch.nn.functional.normalize: norm clamped at eps)."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, np.float32(eps))).astype(np.float32)


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows (float64) scaled to unit length after dividing by their largest entry (no overflow or underflow for
    any finite vector); an all-zero row stays zero, so its cosine with anything is 0, as the reference's.

    The one scaling of user-given vectors (queries, vectors added to an index, similarity inputs)."""
    x = np.asarray(x, dtype=np.float64)
    peak = np.abs(x).max(axis=-1, keepdims=True)
    scaled = x / np.where(peak > 0, peak, 1.0)
    norms = np.linalg.norm(scaled, axis=-1, keepdims=True)
    return scaled / np.where(norms > 0, norms, 1.0)


def cosine_matrix(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Cosine similarity (N, M) float32 of rows a (N, D) and b (M, D) (default: a), through unit_rows."""
    left = unit_rows(a)
    right = left if b is None else unit_rows(b)
    if left.shape[1] != right.shape[1]:
        raise InputError(f"vectors of dimension {left.shape[1]} and {right.shape[1]} cannot be compared")
    return (left @ right.T).astype(np.float32)
