"""Checking what callers pass as texts: errors name the offending index and the type seen."""

from __future__ import annotations

from collections.abc import Iterable

from minilm.errors import InputError, InputTypeError


def _as_text(item: object, index: int) -> str:
    if isinstance(item, str):
        try:
            item.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(
                f"input {index} is not valid Unicode text ({exc.reason} at position {exc.start})"
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
    return [_as_text(item, i) for i, item in enumerate(texts)], False
