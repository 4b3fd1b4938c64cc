"""From texts to units: the token-id lists the model reads ([CLS] ... [SEP], at most max_seq_length each), with
each unit's owner (input index) and character span, and what an encode reports about its texts (EncodeInfo).

Which units a text gives (one cut to the limit, or every window) is the long-text policy: minilm.long_text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class EncodeInfo:
    """Per-text facts about an encode ((N,) arrays).

    token_counts: tokens of the text, [CLS]/[SEP] included. Exact where `exact` is true; a text cut at the
    model's limit is read only as far as needed, and its count is then a lower bound (still over the limit).
    truncated: the text has more tokens than max_seq_length. chunks: windows embedded (1 unless on_long="chunk").
    """

    token_counts: np.ndarray  # (N,) int64
    truncated: np.ndarray  # (N,) bool
    chunks: np.ndarray  # (N,) int64
    exact: np.ndarray  # (N,) bool: token_counts[i] is the full count (else a lower bound)


@dataclass(frozen=True)
class Prepared:
    """Texts made ready for the engine: units (token ids [CLS]..[SEP], each <= max_seq_length), owners (U,) int64
    (the input index of each unit, in order within a text), spans (each unit's character span (start, end) in its
    text: the whole text, or up to the last piece kept when cut; a chunk window's first to last piece), info."""

    units: list[list[int]]
    owners: np.ndarray
    spans: list[tuple[int, int]]
    info: EncodeInfo

    @classmethod
    def of_ids(cls, units: list[list[int]]) -> Prepared:
        """Units given as token ids (no text): one per input, spans (0, 0), counts their lengths."""
        counts = np.array([len(u) for u in units], dtype=np.int64)
        ones = np.ones(len(units), dtype=np.int64)
        info = EncodeInfo(counts, np.zeros(len(units), dtype=bool), ones, np.ones(len(units), dtype=bool))
        return cls(units, np.arange(len(units), dtype=np.int64), [(0, 0)] * len(units), info)


@dataclass
class Part:
    """Some units, with per unit: owner, span, its share of the owner's token count and whether that is exact."""

    units: list[list[int]] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    exact: list[bool] = field(default_factory=list)
    finished: int = 0  # texts whose last unit is in this part

    def add(self, ids: list[int], owner: int, span: tuple[int, int], tokens: int, exact: bool) -> None:
        self.units.append(ids)
        self.owners.append(owner)
        self.spans.append(span)
        self.tokens.append(tokens)
        self.exact.append(exact)


class Tally:
    """EncodeInfo accumulated part by part over n texts."""

    def __init__(self, n: int, max_length: int):
        self.counts = np.zeros(n, dtype=np.int64)
        self.chunks = np.zeros(n, dtype=np.int64)
        self.exact = np.ones(n, dtype=bool)
        self.max_length = max_length

    def add(self, part: Part) -> None:
        owners = np.asarray(part.owners, dtype=np.int64)
        np.add.at(self.counts, owners, np.asarray(part.tokens, dtype=np.int64))
        np.add.at(self.chunks, owners, 1)
        np.logical_and.at(self.exact, owners, np.asarray(part.exact, dtype=bool))

    def info(self) -> EncodeInfo:
        return EncodeInfo(self.counts, self.counts > self.max_length, self.chunks, self.exact)


def gather(all_parts: Sequence[Part], n: int, max_length: int) -> Prepared:
    """One Prepared from the parts of n texts."""
    tally = Tally(n, max_length)
    for part in all_parts:
        tally.add(part)
    owners = np.fromiter((o for p in all_parts for o in p.owners), dtype=np.int64)
    order = np.argsort(owners, kind="stable")  # by text, windows in reading order
    units = [u for p in all_parts for u in p.units]
    spans = [s for p in all_parts for s in p.spans]
    return Prepared([units[i] for i in order], owners[order], [spans[i] for i in order], tally.info())
