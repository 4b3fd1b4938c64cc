"""sentence-transformers' four similarity functions, matrix and pairwise, on numpy (torch tensors in and out).

cosine: dot product of L2-normalized rows; dot: plain dot product; euclidean / manhattan: the negated L2 / L1
distance (so that, as for the others, larger means more similar).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minilm.errors import InputError
from minilm.pooling import l2_normalize

SIMILARITY_FN_NAMES = ("cosine", "dot", "euclidean", "manhattan")
_BLOCK_VALUES = 1 << 22  # float32 values held at once by the manhattan broadcast (16 MB)


def is_tensor(value: object) -> bool:
    """True for a torch.Tensor, without importing torch when the caller never did."""
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _holds_tensors(value: object) -> bool:
    return is_tensor(value) or (isinstance(value, list) and bool(value) and is_tensor(value[0]))


def as_matrix(value: Any, name: str) -> np.ndarray:
    """A (N, D) float32 array from an array, a tensor or a list of vectors; (D,) becomes (1, D)."""
    if is_tensor(value):
        value = value.detach().cpu().numpy()
    elif _holds_tensors(value):
        value = np.stack([v.detach().cpu().numpy() for v in value])
    matrix = np.atleast_2d(np.asarray(value, dtype=np.float32))
    if matrix.ndim != 2:
        raise InputError(f"{name} has shape {matrix.shape}; expected (N, D) or (D,)")
    return matrix


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return l2_normalize(a) @ l2_normalize(b).T


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b.T


def _euclidean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.astype(np.float64), b.astype(np.float64)  # |a|^2 + |b|^2 - 2ab cancels badly in float32 when a ~ b
    squared = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2 * (a @ b.T)  # (N, M)
    return -np.sqrt(np.maximum(squared, 0))


def _manhattan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty((len(a), len(b)), dtype=np.float32)
    rows = max(1, _BLOCK_VALUES // max(1, b.size))
    for start in range(0, len(a), rows):
        block = a[start : start + rows, None, :] - b[None, :, :]  # (rows, M, D)
        out[start : start + rows] = -np.abs(block).sum(axis=2)
    return out


_MATRIX: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "cosine": _cosine,
    "dot": _dot,
    "euclidean": _euclidean,
    "manhattan": _manhattan,
}
_PAIRWISE: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "cosine": lambda a, b: (l2_normalize(a) * l2_normalize(b)).sum(axis=1),
    "dot": lambda a, b: (a * b).sum(axis=1),
    "euclidean": lambda a, b: -np.sqrt(((a - b) ** 2).sum(axis=1)),
    "manhattan": lambda a, b: -np.abs(a - b).sum(axis=1),
}


def check_name(name: object) -> str:
    """The function's name from a str or an enum member (SimilarityFunction.COSINE); unknown names raise."""
    value = getattr(name, "value", name)
    if value not in SIMILARITY_FN_NAMES:
        raise InputError(f"similarity_fn_name {name!r} is not supported; expected one of {SIMILARITY_FN_NAMES}")
    return str(value)


def similarity(name: str, a: Any, b: Any, pairwise: bool = False) -> Any:
    """Scores (N, M), or (N,) when pairwise; a torch tensor when either input holds tensors, else a numpy array."""
    left, right = as_matrix(a, "embeddings1"), as_matrix(b, "embeddings2")
    if left.shape[1] != right.shape[1]:
        raise InputError(f"vectors of dimension {left.shape[1]} and {right.shape[1]} cannot be compared")
    if pairwise and len(left) != len(right):
        raise InputError(f"pairwise similarity needs as many rows on both sides, got {len(left)} and {len(right)}")
    scores = (_PAIRWISE if pairwise else _MATRIX)[name](left, right).astype(np.float32)
    if _holds_tensors(a) or _holds_tensors(b):
        import torch

        return torch.from_numpy(np.ascontiguousarray(scores))
    return scores
