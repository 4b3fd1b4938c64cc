"""Cutting one text into windows of at most max_length tokens that overlap, as its word pieces are read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """One window of a text: its ids with [CLS]/[SEP], the character span [start, end) it covers, and its share of
    the text's token count (the pieces not in the previous window; [CLS]/[SEP] counted with the first window)."""

    ids: list[int]
    start: int
    end: int
    new_tokens: int


class Windower:
    """Windows of <= max_length tokens, `overlap` word pieces shared by neighbours, from pieces fed in order.

    feed() returns the windows that the pieces read so far complete; close() the rest once the text ends. A text
    that fits is one window; an empty text is one [CLS][SEP] window. Memory: one window plus the last piece.
    """

    def __init__(self, max_length: int, overlap: int, cls_id: int, sep_id: int):
        self.size = max_length - 2  # word pieces per window, beside [CLS] and [SEP]
        if not isinstance(overlap, int) or not 0 <= overlap < self.size:
            raise ValueError(f"chunk overlap must be an int in [0, {self.size - 1}], got {overlap!r}")
        self.overlap, self.cls_id, self.sep_id = overlap, cls_id, sep_id
        self.ids: list[int] = []  # pieces from the next window's first on
        self.offsets: list[tuple[int, int]] = []
        self.made = 0  # windows so far

    def feed(self, ids: list[int], offsets: list[tuple[int, int]]) -> list[Window]:
        self.ids += ids
        self.offsets += offsets
        out = []
        while len(self.ids) > self.size:  # more pieces follow this window, so it is a full one
            out.append(self._window(self.size))
            step = self.size - self.overlap
            self.ids, self.offsets = self.ids[step:], self.offsets[step:]
        return out

    def close(self) -> list[Window]:
        if not self.ids:
            return [] if self.made else [Window([self.cls_id, self.sep_id], 0, 0, 2)]
        window = self._window(len(self.ids))
        self.ids, self.offsets = [], []
        return [window]

    def _window(self, n: int) -> Window:
        shared = 2 + self.overlap if self.made else 0  # [CLS]/[SEP] and the overlap were counted before
        self.made += 1
        ids = [self.cls_id, *self.ids[:n], self.sep_id]
        return Window(ids, self.offsets[0][0], self.offsets[n - 1][1], len(ids) - shared)
