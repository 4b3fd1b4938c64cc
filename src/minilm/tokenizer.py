"""WordPiece tokenization through Hugging Face `tokenizers`, read piece by piece so work follows what the model uses.

The model reads the first max_seq_length tokens of a text: [CLS], the first max_seq_length - 2 word pieces and
[SEP], exactly what the reference's "longest_first" truncation gives for a single text. The limit comes from
sentence_bert_config.json (256), not from tokenizer.json (which ships truncation at 128 and fixed padding, both
switched off here).

A text is read in pieces of a few thousand characters rather than whole (a 7 MB text tokenized whole holds
hundreds of megabytes of token objects). A piece cut inside the text may end inside a word, so the pieces of its
last pre-tokenized word are dropped and the next read starts where that word starts: everything kept is what
the whole text's tokenization has at those positions, because the pre-tokenizer (whitespace and punctuation for
BERT) decides each word boundary from the characters beside it. A read whose only word reaches the cut is
repeated with twice the characters (a text without boundaries is eventually read whole).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer as HFTokenizer

from minilm.checkpoint.folder import ModelFolder
from minilm.errors import CheckpointError

PIECE_TOKENS = 8  # characters read per piece, per token of max_length (2,048 for 256: ~400 English word pieces)


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
        runs = []
        for (text, start, n), encoding in zip(jobs, encodings, strict=True):
            ids, offsets = encoding.ids, encoding.offsets
            if start + n >= len(text):
                runs.append(Run(ids, [(start + a, start + b) for a, b in offsets], len(text), True))
                continue
            keep, words = len(ids), encoding.word_ids
            while keep and words[keep - 1] == words[-1]:
                keep -= 1  # the last word may go on past the cut
            next_start = start + (offsets[keep][0] if keep < len(ids) else n)
            runs.append(Run(ids[:keep], [(start + a, start + b) for a, b in offsets[:keep]], next_start, False))
        return runs

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
