"""A drop-in for the most common sentence-transformers call.

    from minilm import SentenceTransformer
    model = SentenceTransformer("all-MiniLM-L6-v2")
    vectors = model.encode(sentences)

Same arguments and the same vectors as sentence_transformers.SentenceTransformer for the calls people make;
arguments that only make sense with torch (device, convert_to_tensor) are accepted where harmless.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from minilm.encoder import Encoder
from minilm.errors import InputError, MissingExtraError
from minilm.loading import load

_OUTPUTS = {"sentence_embedding": "sentence", "token_embeddings": "token"}


class SentenceTransformer:
    """sentence_transformers.SentenceTransformer's encode/similarity surface on a minilm Encoder."""

    def __init__(self, model_name_or_path: str | os.PathLike[str] | None = None, device: str | None = None,
                 *, engine: str = "auto", **_: Any):  # fmt: skip
        if device not in (None, "cpu"):
            raise InputError(f"device {device!r} is not supported by minilm's CPU engines; use 'cpu'")
        self.encoder: Encoder = load(model_name_or_path, engine=engine)

    @property
    def max_seq_length(self) -> int:
        return self.encoder.max_seq_length

    def get_sentence_embedding_dimension(self) -> int:
        return self.encoder.dimension

    def tokenize(self, texts: list[str]) -> dict[str, np.ndarray]:
        """input_ids and attention_mask, padded to the longest text, as the reference's tokenize returns."""
        from minilm.batching import pad

        ids, lengths = pad(self.encoder.tokenize(texts), self.encoder.tokenizer.pad_id)
        mask = (np.arange(ids.shape[1])[None, :] < lengths[:, None]).astype(np.int64)
        return {"input_ids": ids, "token_type_ids": np.zeros_like(ids), "attention_mask": mask}

    def encode(
        self,
        sentences: str | list[str],
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        output_value: str | None = "sentence_embedding",
        precision: str = "float32",
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
        device: str | None = None,
        normalize_embeddings: bool = False,
        **_: Any,
    ) -> Any:
        """Embed sentences; normalised when the model's pipeline has a Normalize module or when asked."""
        del convert_to_numpy, device
        if output_value not in _OUTPUTS:
            raise InputError(f"output_value {output_value!r} is not supported; expected one of {list(_OUTPUTS)}")
        result = self.encoder.encode(
            sentences,
            batch_size=batch_size,
            normalize=True if normalize_embeddings else None,
            show_progress=show_progress_bar,
            output=_OUTPUTS[output_value],
            precision=precision,
        )
        if convert_to_tensor:
            try:
                import torch
            except ImportError:
                raise MissingExtraError("convert_to_tensor=True needs torch (pip install torch)") from None
            return torch.from_numpy(np.asarray(result))
        return result

    encode_query = encode
    encode_document = encode

    def similarity(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Cosine similarity matrix, as the model's similarity function (cosine)."""
        return self.encoder.similarity(a, b)
