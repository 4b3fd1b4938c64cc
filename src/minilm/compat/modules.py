"""`model[0]`: the Transformer module's attributes that user code reads (max_seq_length, tokenizer)."""

from __future__ import annotations

from typing import Protocol

from minilm.compat.tokenizer import TokenizerView
from minilm.encoder import Encoder


class Model(Protocol):
    """What the module view reads of the drop-in (compat.model.SentenceTransformer), without importing it."""

    max_seq_length: int
    encoder: Encoder

    @property
    def tokenizer(self) -> TokenizerView: ...


class TransformerModule:
    """A view of the model's first module; max_seq_length reads and sets the model's own."""

    def __init__(self, model: Model):
        self._model = model

    @property
    def max_seq_length(self) -> int:
        return self._model.max_seq_length

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        self._model.max_seq_length = value

    @property
    def tokenizer(self) -> TokenizerView:
        return self._model.tokenizer

    @property
    def do_lower_case(self) -> bool:
        return self._model.encoder.config.do_lower_case

    def get_word_embedding_dimension(self) -> int:
        return self._model.encoder.dimension

    def __repr__(self) -> str:
        return f"Transformer({{'max_seq_length': {self.max_seq_length}, 'do_lower_case': {self.do_lower_case}}})"
