"""`model.tokenizer`: a small stand-in for the transformers fast tokenizer that sentence-transformers exposes.

It is not transformers' PreTrainedTokenizerFast (minilm does not depend on transformers); it covers the calls
user code makes on it: tokenizer(texts, padding=, truncation=, max_length=, return_tensors=), tokenize, encode,
decode, batch_decode, convert_ids_to_tokens, convert_tokens_to_ids, get_vocab, vocab_size, len(),
model_max_length (the model's max_seq_length: setting it changes what encode truncates at, as in the reference),
the special token ids, and backend_tokenizer (the Hugging Face `tokenizers` object minilm tokenizes with).
Any other argument raises NotImplementedError naming it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minilm.errors import InputError
from minilm.tokenizer import Tokenizer

_NO_TRUNCATION = (False, "do_not_truncate")
_TRUNCATION = (True, "longest_first", "only_first")
_PADDING = (False, True, "do_not_pad", "longest", "max_length")


def set_max_length(tokenizer: Tokenizer, value: object, position_limit: int) -> None:
    """Make the model truncate at `value` tokens ([CLS]/[SEP] included), as sentence-transformers' setter does."""
    if not isinstance(value, int) or isinstance(value, bool) or not 2 <= value <= position_limit:
        raise InputError(
            f"max_seq_length must be an int from 2 to {position_limit} (the model's position embeddings), got {value!r}"
        )
    tokenizer.max_length = value


def _refuse(method: str, options: dict[str, Any]) -> None:
    if options:
        names = ", ".join(f"{k}=" for k in options)
        raise NotImplementedError(f"tokenizer.{method}({names}) is not supported by minilm's tokenizer stand-in")


def _as_ids(ids: Any) -> list[int]:
    return [int(i) for i in (ids.tolist() if hasattr(ids, "tolist") else ids)]


class TokenizerView:
    """The model's WordPiece tokenizer with the transformers call signature (see the module docstring)."""

    def __init__(self, tokenizer: Tokenizer, position_limit: int):
        self._tokenizer = tokenizer
        self._position_limit = position_limit
        self.backend_tokenizer = tokenizer.backend
        self.pad_token_id, self.cls_token_id, self.sep_token_id = tokenizer.pad_id, tokenizer.cls_id, tokenizer.sep_id
        self.pad_token, self.cls_token, self.sep_token = "[PAD]", "[CLS]", "[SEP]"

    @property
    def model_max_length(self) -> int:
        return self._tokenizer.max_length

    @model_max_length.setter
    def model_max_length(self, value: int) -> None:
        set_max_length(self._tokenizer, value, self._position_limit)

    @property
    def vocab_size(self) -> int:
        return int(self.backend_tokenizer.get_vocab_size(with_added_tokens=False))

    def __len__(self) -> int:
        return int(self.backend_tokenizer.get_vocab_size(with_added_tokens=True))

    def get_vocab(self) -> dict[str, int]:
        return dict(self.backend_tokenizer.get_vocab(with_added_tokens=True))

    def __call__(self, text: str | list[str], text_pair: Any = None, add_special_tokens: bool = True,
                 padding: bool | str = False, truncation: bool | str | None = None, max_length: int | None = None,
                 return_tensors: str | None = None, **options: Any) -> dict[str, Any]:  # fmt: skip
        """input_ids, token_type_ids and attention_mask: lists, or "np" / "pt" arrays of shape (N, T)."""
        _refuse("__call__", options if text_pair is None else {"text_pair": text_pair, **options})
        if padding not in _PADDING or truncation not in (None, *_NO_TRUNCATION, *_TRUNCATION):
            raise NotImplementedError(f"tokenizer(padding={padding!r}, truncation={truncation!r}) is not supported")
        single = isinstance(text, str)
        texts = [text] if single else list(text)
        encodings = self.backend_tokenizer.encode_batch(texts, add_special_tokens=add_special_tokens)
        rows = [list(e.ids) for e in encodings]
        limit = max_length if max_length is not None else self.model_max_length
        if truncation in _TRUNCATION or (truncation is None and max_length is not None):
            rows = [self._cut(r, limit, add_special_tokens) for r in rows]
        width = max((len(r) for r in rows), default=0) if padding in (True, "longest") else 0
        width = limit if padding == "max_length" else width
        masks = [[1] * len(r) + [0] * max(0, width - len(r)) for r in rows]
        rows = [r + [self.pad_token_id] * max(0, width - len(r)) for r in rows]
        batch = {"input_ids": rows, "token_type_ids": [[0] * len(r) for r in rows], "attention_mask": masks}
        if return_tensors is not None:
            return {key: self._tensor(value, return_tensors) for key, value in batch.items()}
        return {key: value[0] for key, value in batch.items()} if single else batch

    @staticmethod
    def _cut(ids: list[int], limit: int, specials: bool) -> list[int]:
        if len(ids) <= limit:
            return ids
        return [*ids[: limit - 1], ids[-1]] if specials else ids[:limit]

    @staticmethod
    def _tensor(rows: list[list[int]], kind: str) -> Any:
        if len({len(r) for r in rows}) > 1:
            raise InputError("texts of different lengths cannot form one array; pass padding=True")
        array = np.array(rows, dtype=np.int64).reshape(len(rows), -1)  # (N, T)
        if kind == "np":
            return array
        if kind == "pt":
            import torch

            return torch.from_numpy(array)
        raise NotImplementedError(f"tokenizer(return_tensors={kind!r}) is not supported; use 'np' or 'pt'")

    def tokenize(self, text: str, **options: Any) -> list[str]:
        """Word pieces of a text, without [CLS]/[SEP]."""
        _refuse("tokenize", options)
        return list(self.backend_tokenizer.encode(text, add_special_tokens=False).tokens)

    def encode(self, text: str, add_special_tokens: bool = True, truncation: bool | str | None = None,
               max_length: int | None = None, **options: Any) -> list[int]:  # fmt: skip
        """Token ids of one text ([CLS] ... [SEP] unless add_special_tokens=False)."""
        _refuse("encode", options)
        ids: list[int] = self(text, None, add_special_tokens, False, truncation, max_length)["input_ids"]
        return ids

    def decode(self, ids: Any, skip_special_tokens: bool = False, **options: Any) -> str:
        _refuse("decode", options)
        return str(self.backend_tokenizer.decode(_as_ids(ids), skip_special_tokens=skip_special_tokens))

    def batch_decode(self, sequences: Any, skip_special_tokens: bool = False, **options: Any) -> list[str]:
        return [self.decode(ids, skip_special_tokens, **options) for ids in sequences]

    def convert_ids_to_tokens(self, ids: int | list[int]) -> str | list[str]:
        if isinstance(ids, int):
            return str(self.backend_tokenizer.id_to_token(ids))
        return [str(self.backend_tokenizer.id_to_token(i)) for i in _as_ids(ids)]

    def convert_tokens_to_ids(self, tokens: str | list[str]) -> int | list[int]:
        if isinstance(tokens, str):
            found = self.backend_tokenizer.token_to_id(tokens)
            found = self.backend_tokenizer.token_to_id("[UNK]") if found is None else found
            if found is None:
                raise InputError(f"token {tokens!r} is not in the vocabulary, which has no [UNK]")
            return int(found)
        return [int(self.convert_tokens_to_ids(t)) for t in tokens]  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"TokenizerView(vocab_size={self.vocab_size}, model_max_length={self.model_max_length})"
