"""Splitting a long text into windows of at most max_length tokens that overlap, each with its character span."""

from __future__ import annotations

from dataclasses import dataclass

from minilm.tokenizer import Tokens


@dataclass(frozen=True)
class Window:
    """One window of a text: its ids with [CLS]/[SEP] and the character span [start, end) it covers."""

    ids: list[int]
    start: int
    end: int


def windows(tokens: Tokens, max_length: int, overlap: int, cls_id: int, sep_id: int) -> list[Window]:
    """Cut a tokenized text (with [CLS]/[SEP]) into windows of <= max_length tokens, `overlap` tokens shared
    by neighbours. A text that fits is one window; an empty text is one [CLS][SEP] window."""
    body_ids = tokens.ids[1:-1]
    body_offsets = tokens.offsets[1:-1]
    size = max_length - 2
    if overlap < 0 or overlap >= size:
        raise ValueError(f"chunk overlap must be in [0, {size - 1}], got {overlap}")
    if not body_ids:
        return [Window([cls_id, sep_id], 0, 0)]
    out = []
    start = 0
    while True:
        stop = min(start + size, len(body_ids))
        out.append(Window([cls_id, *body_ids[start:stop], sep_id], body_offsets[start][0], body_offsets[stop - 1][1]))
        if stop == len(body_ids):
            return out
        start = stop - overlap
