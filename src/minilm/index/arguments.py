"""Checks of what callers hand to `Index`: ids, metadata, query vectors, k (filters: filters.py). Each failure is an
InputError naming the item (its position, field or value) and what was expected."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from minilm.errors import InputError, shown
from minilm.index.filters import check_text
from minilm.pooling import unit_rows

SEARCH_KINDS = ("auto", "exact", "hnsw", "ivf")
JSON_TYPES = "str, int, float, bool, None, list or dict"


def check_count(value: Any, name: str, minimum: int = 1) -> int:
    """An int (numpy ints too, not bool) of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise InputError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_search(value: Any) -> str | None:
    """A per-call search kind: None, 'auto', 'exact', 'hnsw' or 'ivf' (the large layout)."""
    if value is not None and value not in SEARCH_KINDS:
        raise InputError(f"search {value!r} is unknown; expected one of {SEARCH_KINDS}")
    return None if value in (None, "auto") else str(value)


def check_ids(ids: Any, what: str = "ids") -> list[str]:
    """Document ids: a list of non-empty str (ints are written as decimal str); a lone str is refused."""
    if isinstance(ids, str | bytes) or not isinstance(ids, Sequence | np.ndarray):
        raise InputError(f"{what} must be a list of str, got {type(ids).__name__}")
    out = []
    for n, doc_id in enumerate(ids):
        if isinstance(doc_id, int | np.integer) and not isinstance(doc_id, bool):
            doc_id = str(int(doc_id))
        if not isinstance(doc_id, str):
            raise InputError(f"{what}[{n}] is {type(doc_id).__name__} {shown(doc_id)}, expected a str")
        if not doc_id:
            raise InputError(f"{what}[{n}] is empty; an id must have at least one character")
        out.append(check_text(doc_id, f"{what}[{n}]"))
    return out


def check_metadata(meta: Any, where: str) -> dict[str, Any]:
    """Metadata as plain JSON: str keys, JSON values (numpy scalars converted), no NaN or Infinity."""
    if not isinstance(meta, Mapping):
        raise InputError(f"{where} is {type(meta).__name__}, expected a dict")
    return {_key(k, where): _json_value(v, f"{where} field {k!r}") for k, v in meta.items()}


def _key(key: Any, where: str) -> str:
    if not isinstance(key, str):
        raise InputError(f"{where} has the key {key!r} ({type(key).__name__}); JSON keys are str")
    return key


def _json_value(value: Any, where: str) -> Any:
    if isinstance(value, np.generic):  # a numpy number or bool: its Python value is exact
        value = value.item()
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"{where} is {value}; JSON has no NaN or Infinity")
        return value
    if isinstance(value, list | tuple):
        return [_json_value(v, f"{where}[{n}]") for n, v in enumerate(value)]
    if isinstance(value, Mapping):
        return {_key(k, where): _json_value(v, f"{where}.{k}") for k, v in value.items()}
    raise InputError(f"{where} is {type(value).__name__}, which JSON cannot hold; expected {JSON_TYPES}")


def check_vectors(vectors: Any, dimension: int, what: str) -> np.ndarray:
    """Rows of a numeric (N, D) or (D,) array scaled to unit length (pooling.unit_rows: float64, so 1e20 or
    1e-20 scales survive), as float32 (N, D); zero or non-finite rows are refused."""
    array = np.asarray(vectors)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise InputError(f"{what} must be real numbers, got dtype {array.dtype}")
    if array.ndim not in (1, 2) or array.shape[-1] != dimension:
        seen = f"dimension {array.shape[-1]}" if array.ndim in (1, 2) else f"{array.ndim} axes"
        raise InputError(
            f"{what} has {seen} (shape {array.shape}); the index holds dimension {dimension}: expected "
            f"({dimension},) or (N, {dimension})"
        )
    rows = np.atleast_2d(array).astype(np.float64)
    bad = ~np.isfinite(rows).all(axis=1)
    if bad.any():
        raise InputError(f"{what} row {int(np.argmax(bad))} holds NaN or Infinity")
    zero = ~rows.any(axis=1)
    if zero.any():
        raise InputError(f"{what} row {int(np.argmax(zero))} is all zeros: it has no direction to compare")
    return unit_rows(rows).astype(np.float32)
