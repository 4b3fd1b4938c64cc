"""WordPiece tokenization through Hugging Face `tokenizers`, with truncation made visible.

Texts are tokenized in full (so the token count of a long text is known), then cut to the model's
max_seq_length: the first max_seq_length - 2 word pieces between [CLS] and [SEP], exactly what the reference's
"longest_first" truncation gives for a single text. The limit comes from sentence_bert_config.json (256), not
from tokenizer.json (which ships truncation at 128 and fixed padding, both switched off here).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer as HFTokenizer

from minilm.checkpoint.folder import ModelFolder
from minilm.errors import CheckpointError


@dataclass(frozen=True)
class Tokens:
    """One text's word pieces with [CLS]/[SEP]: ids, and each piece's character span in the text."""

    ids: list[int]
    offsets: list[tuple[int, int]]

    def __len__(self) -> int:
        return len(self.ids)


class Tokenizer:
    """The model's tokenizer: text -> ids with [CLS] and [SEP], no padding, truncation decided by the caller."""

    def __init__(self, backend: HFTokenizer, max_length: int):
        backend.no_padding()
        backend.no_truncation()
        self.backend = backend
        self.max_length = max_length
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

    def encode(self, texts: list[str]) -> list[Tokens]:
        """Tokenize texts in full (no truncation), with [CLS]/[SEP] and character offsets."""
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
        """Token ids as the model sees them (truncated to max_length)."""
        return [self.truncate(t.ids) for t in self.encode(texts)]
