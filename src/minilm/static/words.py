"""Token ids of plain ASCII texts without the tokenizer: split into words as BERT does, each word's pieces cached.

For a BERT tokenizer (BertNormalizer, BertPreTokenizer, WordPiece, no truncation or padding), a text of printable
ASCII, tabs and newlines normalizes to its lowercase form (clean_text maps \\t\\n\\r to spaces and leaves nothing
else to remove; there are no accents or CJK characters to handle), and BertPreTokenizer splits it into runs of
letters and digits and single characters of every other kind but whitespace: in ASCII all of
!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ count as punctuation. WordPiece then splits each word on its own, so a text's ids
are its words' ids one after another. A word's ids come from the tokenizer itself on its first use (one batch call
for a batch's new words) and are kept in a bounded dict; any other text (non-ASCII, control characters, an added
token such as "[PAD]" in it) is left to the tokenizer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from itertools import chain

from tokenizers import Tokenizer as HFTokenizer

PLAIN = re.compile(r"[^\t\n\r\x20-\x7e]")  # a character outside printable ASCII, tab, newline, carriage return
WORD = re.compile(r"[A-Za-z0-9]+|\S", re.ASCII)  # a run of letters and digits, or one punctuation character
CACHE_WORDS = 1 << 16  # words kept before the cache starts over


def bert_wordpiece(tokenizer: HFTokenizer) -> bool:
    """True when the tokenizer is the one this module reproduces the splitting of (see the module docstring)."""
    spec = json.loads(tokenizer.to_str())
    normalizer, pre, model = spec.get("normalizer") or {}, spec.get("pre_tokenizer") or {}, spec.get("model") or {}
    return (normalizer.get("type") == "BertNormalizer" and normalizer.get("clean_text") is True
            and pre.get("type") == "BertPreTokenizer" and model.get("type") == "WordPiece"
            and tokenizer.truncation is None and tokenizer.padding is None)  # fmt: skip


class WordPieces:
    """Each plain ASCII text's token ids (without special tokens, `drop` left out) from cached per-word ids."""

    def __init__(self, tokenizer: HFTokenizer, drop: int | None, limit: int = CACHE_WORDS):
        spec = json.loads(tokenizer.to_str())
        self.tokenizer = tokenizer
        self.lowercase = bool(spec["normalizer"].get("lowercase", True))
        self.drop = drop
        self.limit = limit
        # an added token is matched in the raw text before any splitting: texts that hold one go to the tokenizer
        added = sorted({t.content.lower() for t in tokenizer.get_added_tokens_decoder().values()})
        self.added = re.compile("|".join(map(re.escape, added))) if added else None
        self.pieces: dict[str, tuple[int, ...]] = {}

    def words(self, text: str) -> list[str] | None:
        """The text's words as BertPreTokenizer gives them, or None for a text this fast path does not take."""
        if PLAIN.search(text):
            return None
        lowered = text.lower()
        if self.added is not None and self.added.search(lowered):
            return None
        return WORD.findall(lowered if self.lowercase else text)

    def ids(self, texts: Sequence[str]) -> list[list[int] | None]:
        """Each text's ids, equal to the tokenizer's; None where the text is left to the tokenizer."""
        split = [self.words(t) for t in texts]
        pieces = self.pieces  # a local reference: another thread starting the cache over does not empty it
        new = {w for words in split if words is not None for w in words if w not in pieces}
        if len(pieces) + len(new) > self.limit:
            pieces = self.pieces = {}
            new = {w for words in split if words is not None for w in words}
        if new:
            batch = list(new)
            for word, encoding in zip(batch, self.tokenizer.encode_batch_fast(batch, add_special_tokens=False),
                                      strict=True):  # fmt: skip
                pieces[word] = tuple(t for t in encoding.ids if t != self.drop)
        get = pieces.__getitem__
        return [None if words is None else list(chain.from_iterable(map(get, words))) for words in split]


__all__ = ["CACHE_WORDS", "WordPieces", "bert_wordpiece"]
