"""Checking what callers pass to the encoder: texts, options, vectors. Errors name the offending item."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set

import numpy as np

from minilm.errors import InputError, InputTypeError

CHECK_CHARS = 1 << 20  # characters encoded at a time to check a text is valid Unicode (no copy of a long text)


def _as_text(item: object, index: int) -> str:
    if isinstance(item, str):
        for start in range(0, 0 if item.isascii() else len(item), CHECK_CHARS):
            try:
                item[start : start + CHECK_CHARS].encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InputError(
                    f"input {index} is not valid Unicode text ({exc.reason} at position {start + exc.start})"
                ) from None
        return item
    if isinstance(item, bytes | bytearray):
        try:
            return bytes(item).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"input {index} is bytes that are not valid UTF-8 (byte 0x{item[exc.start]:02x} at "
                f"position {exc.start}); decode it to str first"
            ) from None
    seen = "None" if item is None else type(item).__name__
    raise InputTypeError(f"input {index} is {seen}, expected str")


def as_texts(texts: object) -> tuple[list[str], bool]:
    """(list of texts, was_single): a str is one text; any other iterable is a sequence of texts."""
    if isinstance(texts, str | bytes | bytearray):
        return [_as_text(texts, 0)], True
    if texts is None:
        raise InputTypeError("texts is None, expected a str or a list of str")
    if not isinstance(texts, Iterable):
        raise InputTypeError(f"texts is {type(texts).__name__}, expected a str or a list of str")
    if isinstance(texts, Mapping | Set):  # a dict's keys or a set's items in an order the caller did not choose
        raise InputTypeError(f"texts is a {type(texts).__name__}, expected a str or a list of str; pass "
                             "list(...) of the texts in the order you want their vectors")  # fmt: skip
    return [_as_text(item, i) for i, item in enumerate(texts)], False


def check_normalize(normalize: object) -> bool | None:
    """None (follow the model), True or False; anything else (a string such as "no") is an error."""
    if normalize is None or isinstance(normalize, bool | np.bool_):
        return None if normalize is None else bool(normalize)
    raise InputTypeError(f"normalize is {normalize!r} ({type(normalize).__name__}), expected True, False or None")


def check_ranges(ranges: object, dimension: int) -> np.ndarray | None:
    """int8/uint8 ranges as a (2, D) float32 array, or None: the range then comes from the vectors themselves
    (precision.quantize refuses a single vector, whose range is a point)."""
    if ranges is None:
        return None
    try:
        array = np.asarray(ranges, dtype=np.float32)
    except (TypeError, ValueError):
        raise InputTypeError(f"ranges is {type(ranges).__name__}, expected a (2, {dimension}) array of "
                             "numbers (minimum and maximum per dimension)") from None  # fmt: skip
    if array.shape != (2, dimension) or not np.isfinite(array).all():
        raise InputError(f"ranges has shape {array.shape}, expected (2, {dimension}) finite numbers: the "
                         "minimum and maximum of each dimension")  # fmt: skip
    return array


def as_vectors(value: object, name: str) -> np.ndarray:
    """Vectors (D,) or (N, D) of finite numbers as a 2-D array (float64: scaling a vector of norm 1e20 in float32
    overflows); texts, non-finite values or other things are an error naming `name`."""
    if isinstance(value, str | bytes):
        raise InputTypeError(f"{name} is a {type(value).__name__}, expected vectors (an array (N, D) or (D,)); "
                             "encode texts first: model.similarity(model.encode(a), model.encode(b))")  # fmt: skip
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InputTypeError(f"{name} is {type(value).__name__}, expected an array of numbers (N, D) or (D,)") from None
    if array.ndim not in (1, 2) or array.shape[-1] == 0:
        raise InputError(f"{name} has shape {array.shape}, expected vectors (N, D) or one vector (D,)")
    if not np.isfinite(array).all():
        raise InputError(f"{name} holds NaN or infinite values; vectors must be finite")
    return np.atleast_2d(array)
