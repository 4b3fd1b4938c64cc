"""From texts to units: the token-id lists the model reads ([CLS] ... [SEP], at most max_seq_length each), under
the long-text policy, with each unit's owner (input index) and character span.

truncate / warn / error: one unit per text, its first max_seq_length - 2 word pieces, read from a prefix just
long enough (see tokenizer.py), so a text's token count is exact only when the whole text was read; for a cut text
it is a lower bound. chunk: every window of every text, streamed piece by piece; counts are exact.
Texts are read in blocks, and windows handed on in parts of a bounded number of units, so memory follows the
block, not the input.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from minilm.chunking import Windower
from minilm.tokenizer import Tokenizer

OnLong = Literal["truncate", "warn", "error", "chunk"]
ON_LONG = ("truncate", "warn", "error", "chunk")
DEFAULT_OVERLAP = 32  # tokens shared by neighbouring chunk windows


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


def parts(tokenizer: Tokenizer, texts: Sequence[str], on_long: str, overlap: int, block: int) -> Iterator[Part]:
    """The units of texts, in parts: a block of `block` texts at a time; chunk windows in parts of <= block units."""
    for start in range(0, len(texts), block):
        batch = texts[start : start + block]
        if on_long == "chunk":
            yield from _windows(tokenizer, batch, start, overlap, block)
        else:
            yield _heads(tokenizer, batch, start)


def _heads(tokenizer: Tokenizer, texts: Sequence[str], offset: int) -> Part:
    part = Part(finished=len(texts))
    n = tokenizer.max_length - 2
    for i, (text, head) in enumerate(zip(texts, tokenizer.heads(texts, n), strict=True)):
        end = head.end if head.found > n else len(text)
        part.add([tokenizer.cls_id, *head.ids, tokenizer.sep_id], offset + i, (0, end), head.found + 2, head.complete)
    return part


def _windows(tokenizer: Tokenizer, texts: Sequence[str], offset: int, overlap: int, max_units: int) -> Iterator[Part]:
    makers = [Windower(tokenizer.max_length, overlap, tokenizer.cls_id, tokenizer.sep_id) for _ in texts]
    part = Part()
    for round_ in tokenizer.scan(texts, lambda i: False):
        for i, run in round_:
            made = makers[i].feed(run.ids, run.offsets) + (makers[i].close() if run.done else [])
            for w in made:
                part.add(w.ids, offset + i, (w.start, w.end), w.new_tokens, True)
            part.finished += run.done
        if len(part.units) >= max_units:
            yield part
            part = Part()
    if part.units:
        yield part


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
