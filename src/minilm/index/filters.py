"""Metadata filters: `{field: value}` checked and compiled to SQL, the one way the library, the CLI
(`minilm search --where`) and the server (`POST /search` `filter`) turn a filter into a query.

A document matches when, for every field, its metadata holds a scalar equal to the value (JSON equality as
SQLite sees it: 1, 1.0 and true are equal; a str matches only a str). Limits, each an InputError naming it:

- at most MAX_FILTER_KEYS fields (SQLite refuses expressions past ~500 terms with an error of its own);
- a field is a non-empty str of at most MAX_KEY_CHARS characters, without NUL and without lone surrogates
  (SQLite can hold neither); a value is a str (same rule), a finite number or a bool.

A field of plain printable ASCII is looked up by a JSON path (`json_extract`, the fast way); any other field
(quotes, backslashes, non-ASCII, control characters) is matched against the decoded keys of `json_each`, since
SQLite compares path labels with the key as stored, escapes and all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from minilm.errors import InputError, shown

MAX_FILTER_KEYS = 64
MAX_KEY_CHARS = 1024
_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


def check_text(value: str, what: str, nul: bool = True) -> str:
    """`value` if SQLite can store it: no lone surrogates (they have no UTF-8 form); nul=False: no NUL either
    (a JSON path or key cannot hold one)."""
    if not nul and "\x00" in value:
        raise InputError(f"{what} {shown(value)} holds a NUL character, which a metadata filter cannot match")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"{what} {shown(value)} holds a lone surrogate ({value[exc.start]!a} at {exc.start}), which has no "
            "UTF-8 form; decode the text with errors='replace' or fix its source"
        ) from None
    return value


def check_where(where: Any) -> dict[str, Any] | None:
    """A metadata filter {field: value} as a plain dict (None or {} for no filter); InputError names what is wrong."""
    if where is None:
        return None
    if not isinstance(where, Mapping):
        raise InputError(f"where must be a dict {{field: value}}, got {type(where).__name__} {shown(where)}")
    if len(where) > MAX_FILTER_KEYS:
        raise InputError(f"where has {len(where)} fields; a filter takes at most {MAX_FILTER_KEYS}")
    out = {}
    for name, value in where.items():
        if not isinstance(name, str) or not name:
            raise InputError(f"where field {shown(name)} must be a non-empty str")
        if len(name) > MAX_KEY_CHARS:
            raise InputError(f"where field {shown(name)} is longer than {MAX_KEY_CHARS} characters")
        check_text(name, "where field", nul=False)
        if isinstance(value, np.generic):
            value = value.item()
        finite = not isinstance(value, float) or math.isfinite(value)
        if not isinstance(value, str | int | float) or not finite:
            raise InputError(f"where[{shown(name)}] is {type(value).__name__} {shown(value)}; expected a str, a "
                             "number or a bool to match")  # fmt: skip
        if isinstance(value, str):
            check_text(value, f"where[{shown(name)}]")
        out[name] = value
    return out or None


def compile_where(where: Mapping[str, Any], column: str = "meta") -> tuple[str, list[Any]]:
    """(SQL condition on the JSON `column`, its parameters) for a filter checked by check_where."""
    clauses: list[str] = []
    params: list[Any] = []
    for name, value in where.items():
        wanted = json.dumps(value)  # ASCII JSON: lone surrogates escaped, so always bindable
        if set(name) <= _PLAIN:
            path = f'$."{name}"'
            clause = f"json_extract({column}, ?) = json_extract(?, '$')"
            params += [path, wanted]
            if isinstance(value, str):  # an object or array would compare as its JSON text
                clause += f" AND json_type({column}, ?) = 'text'"
                params.append(path)
        else:
            clause = (
                f"EXISTS (SELECT 1 FROM json_each({column}) AS f WHERE f.key = ? AND f.value = json_extract(?, '$')"
            )
            params += [name, wanted]
            clause += " AND f.type = 'text')" if isinstance(value, str) else ")"
        clauses.append(clause)
    return " AND ".join(clauses) or "1", params
