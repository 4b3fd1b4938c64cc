"""WordPiece tokenization through Hugging Face `tokenizers`, read piece by piece so work follows what the model uses.

The model reads the first max_seq_length tokens of a text: [CLS], the first max_seq_length - 2 word pieces and
[SEP], exactly what the reference's "longest_first" truncation gives for a single text. The limit comes from
sentence_bert_config.json (256), not from tokenizer.json (which ships truncation at 128 and fixed padding, both
switched off here).

A text is read in pieces of a few thousand characters rather than whole (a 7 MB text tokenized whole holds
hundreds of megabytes of token objects). A piece cut inside the text may end inside a word, so the pieces of its
last pre-tokenized word are dropped and the next read starts where that word starts: everything kept is what
the whole text's tokenization has at those positions, because the pre-tokenizer (whitespace and punctuation for
BERT) decides each word boundary from the characters beside it. An added token ([SEP], [MASK], ...) that the
cut splits would read as plain text, so the words from where it may start are read again too.

A read whose only word reaches the cut is usually a word without end: WordPiece makes any word longer than
max_input_chars_per_word (100) one [UNK], whatever its length. Such a word is not read whole: its end is found by
scanning the characters themselves (`WordEnds`: each character's part in pre-tokenization, asked of the backend
once and remembered), so a 5 MB "word" costs a scan of its characters, not their tokenization. A word that
reaches the cut without being that long (most of it characters the normalizer removes) is tokenized from the
characters it keeps. A read whose only word is one punctuation or CJK character (perhaps the start of an added
token) is repeated with twice the characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Encoding, PreTokenizedString
from tokenizers import Tokenizer as HFTokenizer

from minilm.checkpoint.folder import ModelFolder
from minilm.errors import CheckpointError

PIECE_TOKENS = 8  # characters read per piece, per token of max_length (2,048 for 256: ~400 English word pieces)
SCAN_CHARS = 1 << 16  # characters looked at per step when scanning for the end of a word over the length limit
KNOWN_CHARS = 1 << 16  # characters whose part in pre-tokenization is remembered (forgotten all at once past it)
BOUNDARY, GONE, WORD = 0, 1, 2  # a character's part: ends a word, removed by the normalizer, inside a word


@dataclass(frozen=True)
class Tokens:
    """One text's word pieces with [CLS]/[SEP]: ids, and each piece's character span in the text."""

    ids: list[int]
    offsets: list[tuple[int, int]]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Run:
    """Word pieces of one read (no [CLS]/[SEP]) that the whole text's tokenization has at the same positions.

    offsets are character spans in the whole text; the next read starts at `next_start`; `done`: the text is read
    to its end.
    """

    ids: list[int]
    offsets: list[tuple[int, int]]
    next_start: int
    done: bool


@dataclass(frozen=True)
class Head:
    """The first word pieces of a text (no [CLS]/[SEP]), from a prefix read just far enough.

    found: pieces read, the text's exact count when `complete` (the whole text was read), else a lower bound.
    end: character end of the last piece in `ids` (0 when there is none).
    """

    ids: list[int]
    end: int
    found: int
    complete: bool


class Tokenizer:
    """The model's tokenizer: text -> ids with [CLS] and [SEP], no padding, truncation decided by the caller."""

    def __init__(self, backend: HFTokenizer, max_length: int):
        backend.no_padding()
        backend.no_truncation()
        self.backend = backend
        self.max_length = max_length
        self.piece_chars = PIECE_TOKENS * max_length
        self.cls_id = self._special_id("[CLS]")
        self.sep_id = self._special_id("[SEP]")
        self.pad_id = self._special_id("[PAD]")
        self.word_ends = WordEnds.of(backend)
        self.added = sorted({t.content.lower() for t in backend.get_added_tokens_decoder().values() if t.content})
        self.added_reach = max((len(t) for t in self.added), default=0)  # characters before a cut to look at

    def _special_id(self, token: str) -> int:
        found = self.backend.token_to_id(token)
        if found is None:
            raise CheckpointError(f"the tokenizer's vocabulary has no {token} token")
        return int(found)

    @classmethod
    def from_folder(cls, folder: ModelFolder) -> Tokenizer:
        """tokenizer.json when present, else a BERT WordPiece tokenizer built from vocab.txt."""
        max_length = folder.config.max_seq_length
        try:
            if folder.tokenizer_json is not None:
                return cls(HFTokenizer.from_file(str(folder.tokenizer_json)), max_length)
            return cls.from_vocab(folder.vocab_txt, max_length, folder.config.do_lower_case)  # type: ignore[arg-type]
        except Exception as exc:
            if isinstance(exc, CheckpointError):
                raise
            where = folder.tokenizer_json or folder.vocab_txt
            raise CheckpointError(f"{where} could not be read as a tokenizer ({exc})") from None

    @classmethod
    def from_vocab(cls, vocab: Path, max_length: int, lowercase: bool = True) -> Tokenizer:
        """A BERT tokenizer (clean text, CJK split, lowercase, no accent stripping) from a vocab.txt."""
        from tokenizers.implementations import BertWordPieceTokenizer

        wordpiece = BertWordPieceTokenizer(
            str(vocab), lowercase=lowercase, strip_accents=None, clean_text=True, handle_chinese_chars=True
        )
        return cls(wordpiece._tokenizer, max_length)

    # -- whole texts ---------------------------------------------------------------------------------------
    def encode(self, texts: list[str]) -> list[Tokens]:
        """Tokenize texts in full (no truncation), with [CLS]/[SEP] and character offsets.

        Memory and time follow the texts' length: the encoder reads only what the model uses (`heads`, `scan`).
        """
        if not texts:
            return []
        encodings = self.backend.encode_batch(texts, add_special_tokens=True)
        return [Tokens(e.ids, e.offsets) for e in encodings]

    def truncate(self, ids: list[int]) -> list[int]:
        """Cut ids (with [CLS]/[SEP]) to max_length, keeping [SEP] last."""
        if len(ids) <= self.max_length:
            return ids
        return [*ids[: self.max_length - 1], self.sep_id]

    def __call__(self, texts: list[str]) -> list[list[int]]:
        """Token ids as the model sees them: [CLS], the first max_length - 2 pieces, [SEP]."""
        return [[self.cls_id, *head.ids, self.sep_id] for head in self.heads(texts, self.max_length - 2)]

    # -- piece by piece ------------------------------------------------------------------------------------
    def read(self, jobs: Sequence[tuple[str, int, int]]) -> list[Run]:
        """For each (text, start, chars): the exact word pieces of text[start : start + chars], in one batch.

        `start` must be 0 or where an earlier Run said the next read starts.
        """
        encodings = self.backend.encode_batch([text[start : start + n] for text, start, n in jobs],
                                              add_special_tokens=False)  # fmt: skip
        return [self._run(text, start, n, e) for (text, start, n), e in zip(jobs, encodings, strict=True)]

    def _run(self, text: str, start: int, n: int, encoding: Encoding) -> Run:
        """The Run of text[start : start + n]: its words that the cut cannot have changed."""
        ids, offsets, words = encoding.ids, encoding.offsets, encoding.word_ids
        if start + n >= len(text):
            return Run(ids, [(start + a, start + b) for a, b in offsets], len(text), True)
        keep = len(ids)
        while keep and words[keep - 1] == words[-1]:
            keep -= 1  # the last word may go on past the cut
        word_start = start + offsets[0][0] if ids else 0
        if keep == 0 and ids and self.word_ends is not None and self.word_ends.part_of(text[word_start]) == WORD:
            over = self.word_ends.over_limit(text, start, n, offsets)  # one word reaching the cut: find its end
            return self.word_ends.run(text, start + offsets[0][0], start + offsets[-1][1], over, n)
        # an added token ([SEP], ...) split by the cut reads as plain text: the words from its start are read again
        split = self._added_split(text[start + max(0, n - self.added_reach) : start + n], n)
        while keep and offsets[keep - 1][1] > split:
            keep -= 1
        while 0 < keep < len(ids) and words[keep - 1] == words[keep]:
            keep -= 1
        next_start = start + (offsets[keep][0] if keep < len(ids) else n)
        return Run(ids[:keep], [(start + a, start + b) for a, b in offsets[:keep]], next_start, False)

    def _added_split(self, tail: str, n: int) -> int:
        """Where in a piece of n characters ending with `tail` an added token split by the cut may start (n: none)."""
        tail = tail.lower()
        starts = [n - k for token in self.added for k in range(1, len(token)) if tail.endswith(token[:k])]
        return min(starts, default=n)

    def scan(self, texts: Sequence[str], enough: Callable[[int], bool]) -> Iterator[list[tuple[int, Run]]]:
        """Read texts piece by piece, one piece of every unfinished text per round (one batch); yields each round's
        (text index, Run) pairs. Text i is read no further once its Run is done or enough(i) is true."""
        starts, sizes = [0] * len(texts), [self.piece_chars] * len(texts)
        todo = list(range(len(texts)))
        while todo:
            runs = self.read([(texts[i], starts[i], sizes[i]) for i in todo])
            for i, run in zip(todo, runs, strict=True):
                sizes[i] = self.piece_chars if run.next_start > starts[i] else 2 * sizes[i]  # no progress: grow
                starts[i] = run.next_start
            yield list(zip(todo, runs, strict=True))
            todo = [i for i, run in zip(todo, runs, strict=True) if not run.done and not enough(i)]

    def heads(self, texts: Sequence[str], n: int) -> list[Head]:
        """The first n word pieces of each text, reading until n + 1 are found (so a cut is known) or the end."""
        ids: list[list[int]] = [[] for _ in texts]
        ends, found, complete = [0] * len(texts), [0] * len(texts), [False] * len(texts)
        for round_ in self.scan(texts, lambda i: found[i] > n):
            for i, run in round_:
                room = n - len(ids[i])
                if room > 0 and run.ids:
                    ids[i] += run.ids[:room]
                    ends[i] = run.offsets[min(room, len(run.ids)) - 1][1]
                found[i] += len(run.ids)
                complete[i] = run.done
        return [Head(*fields) for fields in zip(ids, ends, found, complete, strict=True)]


class WordEnds:
    """Where a word over WordPiece's max_input_chars_per_word ends, found without tokenizing it.

    BERT's normalizer and pre-tokenizer decide each character's part on its own: it ends a word (whitespace,
    punctuation, a CJK ideograph: BOUNDARY), is removed (control characters, combining marks: GONE), or belongs
    to the word (WORD). Once a word's first characters are over the limit it is one [UNK] whatever follows, so
    its end is the first BOUNDARY after them, and its span ends after its last WORD character, as the backend's
    offsets do. Parts are asked of the backend itself, for the characters met, and remembered.
    """

    def __init__(self, backend: HFTokenizer, max_chars: int, unk_id: int):
        self.backend = backend
        self.max_chars = max_chars
        self.unk_id = unk_id
        self.parts: dict[str, int] = {}

    @classmethod
    def of(cls, backend: HFTokenizer) -> WordEnds | None:
        """WordEnds for a BERT WordPiece backend (BertNormalizer or none, BertPreTokenizer) whose added tokens all
        start at a word boundary (so none can begin inside a word); None for any other backend."""
        from tokenizers import models, normalizers, pre_tokenizers

        if not isinstance(backend.model, models.WordPiece) or not isinstance(
            backend.pre_tokenizer, pre_tokenizers.BertPreTokenizer
        ):
            return None
        if backend.normalizer is not None and not isinstance(backend.normalizer, normalizers.BertNormalizer):
            return None
        unk = backend.token_to_id(backend.model.unk_token)
        if unk is None:
            return None
        ends = cls(backend, int(backend.model.max_input_chars_per_word), int(unk))
        added = [token.content for token in backend.get_added_tokens_decoder().values()]
        if any(not content or ends.part_of(content[0]) != BOUNDARY for content in added):
            return None
        return ends

    def over_limit(self, text: str, start: int, n: int, offsets: list[tuple[int, int]]) -> bool:
        """Whether the one word of text[start : start + n] (at offsets, reaching the cut) is already over the limit."""
        read = text[start + offsets[0][0] : start + n]
        normalizer = self.backend.normalizer
        return len(normalizer.normalize_str(read) if normalizer is not None else read) > self.max_chars

    def run(self, text: str, start: int, read_end: int, over: bool, size: int) -> Run:
        """The Run of the word starting at `start` whose characters read so far (to `read_end`, a WORD character
        before it) reached a piece's cut: one [UNK] if it is over the limit, else its word pieces, tokenized from
        its WORD characters alone (a word whose characters the normalizer mostly removes); the next read starts
        after it. size: characters of the first look past read_end (doubled up to SCAN_CHARS)."""
        end, next_start = self.find(text, read_end, size)
        done = next_start >= len(text)
        found = None if over else self._word_chars(text, start, end)
        if found is None:
            return Run([self.unk_id], [(start, end)], next_start, done)
        chars, where = found
        encoding = self.backend.encode(chars, add_special_tokens=False)
        offsets = [(where[a], where[max(a, b - 1)] + 1) for a, b in encoding.offsets]
        return Run(encoding.ids, offsets, next_start, done)

    def find(self, text: str, pos: int, size: int) -> tuple[int, int]:
        """(end of the word's span, where the next read starts) for a word whose characters read so far end at
        `pos` (text[pos - 1] is a WORD character): the first BOUNDARY at or after pos ends it. The characters are
        looked at `size` at first, then twice as many each time up to SCAN_CHARS."""
        last = pos - 1
        size = max(16, min(size, SCAN_CHARS))
        while pos < len(text):
            chunk = text[pos : pos + size]
            parts = self._parts(set(chunk))
            stops = {c for c, part in parts.items() if part == BOUNDARY}
            stop = next(i for i, c in enumerate(chunk) if c in stops) if stops else len(chunk)
            gone = "".join(c for c, part in parts.items() if part == GONE)
            kept = len(chunk[:stop].rstrip(gone)) if gone else stop
            if kept:
                last = pos + kept - 1
            if stop < len(chunk):
                return last + 1, pos + stop
            pos += len(chunk)
            size = min(2 * size, SCAN_CHARS)
        return last + 1, len(text)

    def _word_chars(self, text: str, start: int, end: int) -> tuple[str, list[int]] | None:
        """The WORD characters of text[start:end] and their positions; None once the word is over the limit."""
        chars: list[str] = []
        where: list[int] = []
        for a in range(start, end, SCAN_CHARS):
            chunk = text[a : min(end, a + SCAN_CHARS)]
            parts = self._parts(set(chunk))
            if len(chunk) <= 2 * self.max_chars:
                kept = [(i, c) for i, c in enumerate(chunk) if parts[c] == WORD]
                where += [a + i for i, _ in kept]
                chars += [c for _, c in kept]
            elif word := [c for c, part in parts.items() if part == WORD]:
                for found in re.finditer("[" + "".join(map(re.escape, word)) + "]", chunk):
                    chars.append(found.group())
                    where.append(a + found.start())
                    if len(chars) > self.max_chars:
                        break
            if len(chars) > self.max_chars:
                return None
        squeezed = "".join(chars)
        normalizer = self.backend.normalizer
        if len(normalizer.normalize_str(squeezed) if normalizer is not None else squeezed) > self.max_chars:
            return None
        return squeezed, where

    def part_of(self, char: str) -> int:
        return self._parts({char})[char]

    def _parts(self, chars: set[str]) -> dict[str, int]:
        """BOUNDARY, GONE or WORD for each character, asking the backend about those not met before."""
        new = [c for c in chars if c not in self.parts]
        if new:
            if len(self.parts) + len(new) > KNOWN_CHARS:
                self.parts.clear()
            # "a" c "a": c ends a word unless both a's share one; " " c " ": a word character makes a word
            joined = self._word_of_each("a" + "a".join(new) + "a")
            alone = self._word_of_each(" " + " ".join(new) + " ")
            for i, c in enumerate(new):
                if joined[2 * i] != joined[2 * i + 2] or joined[2 * i] < 0:
                    self.parts[c] = BOUNDARY
                else:
                    self.parts[c] = WORD if alone[2 * i + 1] >= 0 else GONE
        return {c: self.parts[c] for c in chars}

    def _word_of_each(self, text: str) -> list[int]:
        """For each character of text, the index of the pre-tokenized word that covers it (-1: none)."""
        pieces = PreTokenizedString(text)
        if self.backend.normalizer is not None:
            pieces.normalize(self.backend.normalizer.normalize)
        self.backend.pre_tokenizer.pre_tokenize(pieces)
        owner = [-1] * len(text)
        for w, (_, (a, b), _) in enumerate(pieces.get_splits(offset_referential="original", offset_type="char")):
            owner[a:b] = [w] * (b - a)
        return owner
