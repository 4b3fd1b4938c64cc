"""The long-text policy, whole: what happens to a text over the model's max_seq_length tokens.

- "truncate" (the reference's behaviour) and "warn": one unit per text, its first max_seq_length - 2 word pieces,
  read from a prefix just long enough (tokenizer.py); "warn" also warns once per call naming the first cut text.
- "error": the same reading, and a TooLongError naming the first text over the limit.
- "chunk": every window of max_seq_length tokens, `chunk_overlap` shared by neighbours (chunking.py), streamed
  piece by piece; a text's vector is the mean of its windows' pooled vectors weighted by their token counts
  (WindowMeans).

Texts are read in blocks, and windows handed on in parts of a bounded number of units (prepare.Part), so memory
follows the block, not the input.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np

from minilm.chunking import Windower
from minilm.errors import InputError, TooLongError
from minilm.prepare import EncodeInfo, Part
from minilm.tokenizer import Tokenizer

OnLong = Literal["truncate", "warn", "error", "chunk"]
ON_LONG = ("truncate", "warn", "error", "chunk")
DEFAULT_OVERLAP = 32  # tokens shared by neighbouring chunk windows


def check_overlap(on_long: str, overlap: object, max_length: int) -> None:
    """A chunk overlap must leave each window new tokens: an int in [0, max_length - 3]."""
    if on_long == "chunk" and (not isinstance(overlap, int) or not 0 <= overlap < max_length - 2):
        raise InputError(f"chunk overlap must be an int in [0, {max_length - 3}], got {overlap!r}")


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


def refuse_long(part: Part, on_long: str, limit: int) -> None:
    """on_long="error": a TooLongError naming the first text of the part over the limit (one unit per text)."""
    if on_long != "error":
        return
    for owner, tokens, exact in zip(part.owners, part.tokens, part.exact, strict=True):
        if tokens > limit:
            raise TooLongError(
                f"input {owner} has {'' if exact else 'at least '}{tokens} tokens, over the model's limit of "
                f"{limit}; use on_long='truncate' or 'chunk'"
            )


def warn_long(info: EncodeInfo, on_long: str, limit: int, stacklevel: int) -> None:
    """on_long="warn": one warning for the call, naming the first truncated text."""
    long = np.flatnonzero(info.truncated)
    if on_long == "warn" and len(long):
        first = int(long[0])
        at_least = "" if info.exact[first] else "at least "
        warnings.warn(
            f"{len(long)} texts over {limit} tokens were truncated (first: input {first}, "
            f"{at_least}{info.token_counts[first]} tokens); on_long='chunk' embeds them whole",
            stacklevel=stacklevel + 1,
        )


class WindowMeans:
    """Each input's vector: its units' pooled vectors averaged, weighted by their token counts (a text embedded as
    several windows), accumulated part by part. weighted=False: one unit per input, whose vector is kept as is."""

    def __init__(self, n: int, dimension: int, weighted: bool = True):
        self.sums = np.zeros((n, dimension), dtype=np.float32)
        self.weights = np.zeros(n, dtype=np.float32)
        self.weighted = weighted

    def add(self, owners: np.ndarray, lengths: np.ndarray, pooled: np.ndarray) -> None:
        """owners (U,) input index of each unit, lengths (U,) its tokens, pooled (U, D)."""
        if not self.weighted:
            self.sums[owners] = pooled
            return
        weights = lengths.astype(np.float32)
        np.add.at(self.sums, owners, pooled * weights[:, None])
        np.add.at(self.weights, owners, weights)

    def result(self) -> np.ndarray:
        """(n, D) float32."""
        if not self.weighted:
            return self.sums
        return self.sums / np.maximum(self.weights, np.float32(1))[:, None]
