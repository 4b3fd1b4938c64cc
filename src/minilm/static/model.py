"""A static model: one vector per vocabulary token; a text's vector is the mean of its tokens' vectors, unit length.

The folder is model2vec's layout, so model2vec's StaticModel loads it too: config.json (model_type "model2vec"),
model.safetensors with an "embeddings" tensor (V, D) float32, tokenizer.json. Inference is numpy only and matches
StaticModel.encode: tokens without [CLS]/[SEP], [UNK] dropped, the first `max_length` tokens kept.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save
from tokenizers import Tokenizer as HFTokenizer

from minilm.checkpoint.cache import file_digest
from minilm.errors import CheckpointError, InputError
from minilm.files import atomic_write, fsync_dir
from minilm.inputs import as_texts, as_vectors
from minilm.pooling import cosine_matrix
from minilm.precision import quantize
from minilm.prepare import EncodeInfo
from minilm.static.words import WordPieces, bert_wordpiece

MODEL_TYPE = "model2vec"
MAX_LENGTH = 512  # model2vec's default token cut


def is_static_folder(path: str | os.PathLike[str]) -> bool:
    """True for a folder whose config.json says model_type "model2vec"."""
    config = Path(path) / "config.json"
    if not config.is_file():
        return False
    try:
        return json.loads(config.read_text(encoding="utf-8")).get("model_type") == MODEL_TYPE
    except (ValueError, AttributeError):
        return False


def plain_tokenizer(tokenizer: HFTokenizer) -> HFTokenizer:
    """A copy of the model's tokenizer without truncation or padding (a static model reads every token it keeps)."""
    backend = HFTokenizer.from_str(tokenizer.to_str())
    backend.no_truncation()
    backend.no_padding()
    return backend


class StaticModel:
    """A static embedding model loaded by `minilm.load(folder)`: encode, similarity, tokenize, info."""

    def __init__(self, name: str, path: Path, embeddings: np.ndarray, tokenizer: HFTokenizer, config: dict[str, Any],
                 sha256: str = ""):  # fmt: skip
        if embeddings.ndim != 2 or embeddings.shape[0] != tokenizer.get_vocab_size():
            raise CheckpointError(f"{path}: embeddings of shape {embeddings.shape} do not fit a vocabulary of "
                                  f"{tokenizer.get_vocab_size()} tokens")  # fmt: skip
        self.name = name
        self.path = path
        self.embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)  # (V, D)
        self.tokenizer = tokenizer
        self.config = config
        self.sha256 = sha256
        self.max_length: int | None = config.get("max_length", MAX_LENGTH)
        self.normalize = bool(config.get("normalize", True))
        self.unk_id = tokenizer.token_to_id("[UNK]")
        # plain ASCII texts split without the tokenizer (same ids), when it is a BERT WordPiece one
        self.word_pieces = WordPieces(tokenizer, self.unk_id) if bert_wordpiece(tokenizer) else None

    @classmethod
    def from_folder(cls, path: str | os.PathLike[str]) -> StaticModel:
        folder = Path(path)
        missing = [n for n in ("config.json", "model.safetensors", "tokenizer.json") if not (folder / n).is_file()]
        if missing:
            raise CheckpointError(f"{folder} is not a static model folder: {', '.join(missing)} missing")
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        tensors = load_file(str(folder / "model.safetensors"))
        if "embeddings" not in tensors:
            raise CheckpointError(f"{folder / 'model.safetensors'} has no 'embeddings' tensor")
        embeddings = tensors["embeddings"].astype(np.float32)
        if "weights" in tensors:  # model2vec's optional per-token weights: folded into the vectors
            embeddings = embeddings * tensors["weights"].astype(np.float32)[:, None]
        if "mapping" in tensors:
            raise CheckpointError(f"{folder}: vocabulary-quantized static models (a 'mapping' tensor) are not read")
        tokenizer = HFTokenizer.from_file(str(folder / "tokenizer.json"))
        name = str(config.get("minilm_name") or folder.name)
        return cls(name, folder, embeddings, tokenizer, config, file_digest(folder / "model.safetensors"))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the folder (model2vec's layout); each file atomically."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_write(folder / "model.safetensors", "wb") as f:
            f.write(_safetensors_bytes(self.embeddings))
        with atomic_write(folder / "tokenizer.json", "w", encoding="utf-8") as f:
            f.write(self.tokenizer.to_str())
        with atomic_write(folder / "config.json", "w", encoding="utf-8") as f:
            json.dump(self.config, f, indent=2)
        fsync_dir(folder)
        return folder

    # -- facts -------------------------------------------------------------------------------------------
    @property
    def dimension(self) -> int:
        return int(self.embeddings.shape[1])

    @property
    def max_seq_length(self) -> int | None:
        return self.max_length

    def info(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "kind": "static",
            "path": str(self.path),
            "sha256": self.sha256,
            "engine": "static",
            "threads": None,
            "dimension": self.dimension,
            "vocabulary": int(self.embeddings.shape[0]),
            "max_seq_length": self.max_length,
            "teacher": self.config.get("minilm_teacher"),
            "normalize": self.normalize,
        }

    def __repr__(self) -> str:
        return f"StaticModel({self.name!r}, dimension={self.dimension})"

    # -- public API ----------------------------------------------------------------------------------------
    def tokenize(self, texts: str | Iterable[str]) -> list[list[int]]:
        """The token ids a text's vector averages: no [CLS]/[SEP], no [UNK], the first max_length tokens."""
        items, _ = as_texts(texts)
        return self._known_ids(items)[0]

    def _known_ids(self, items: list[str]) -> tuple[list[list[int]], list[int]]:
        """(each text's ids as tokenize gives them, each text's count of known tokens before the cut)."""
        fast = self.word_pieces.ids(items) if self.word_pieces is not None else [None] * len(items)
        rest = [i for i, row in enumerate(fast) if row is None]
        known = [row or [] for row in fast]
        for i, e in zip(rest, self.tokenizer.encode_batch_fast([items[i] for i in rest], add_special_tokens=False),
                        strict=True):  # fmt: skip
            known[i] = [t for t in e.ids if t != self.unk_id]
        counts = [len(row) for row in known]
        if self.max_length is not None:
            known = [row[: self.max_length] for row in known]
        return known, counts

    def encode(self, texts: str | Iterable[str], batch_size: int = 1024, show_progress: bool | None = None,
               normalize: bool | None = None) -> np.ndarray:  # fmt: skip
        """Sentence vectors (N, D) float32 (a str gives (D,)): the mean of each text's token vectors.

        A text with no known token gets the zero vector, as in model2vec. show_progress is taken for the
        Encoder's signature (minilm.eval calls both alike) and shows nothing.
        """
        items, single = as_texts(texts)
        vectors, _ = self._encode(items, batch_size, normalize)
        return vectors[0] if single else vectors

    def _encode(self, items: list[str], batch_size: int, normalize: bool | None) -> tuple[np.ndarray, list[int]]:
        """(vectors (N, D), each text's count of known tokens before the cut)."""
        out = np.zeros((len(items), self.dimension), dtype=np.float32)  # (N, D)
        counts: list[int] = []
        step = max(1, batch_size)
        for start in range(0, len(items), step):
            ids, batch_counts = self._known_ids(items[start : start + step])
            counts += batch_counts
            # a small gather and sum per text stays in cache; np.add.reduceat over a (T, D) gather of the whole
            # batch is several times slower in numpy. The sum goes straight into its row, divided once per batch.
            for row, known in enumerate(ids, start):
                if known:
                    np.add.reduce(self.embeddings.take(known, axis=0), axis=0, out=out[row])
            lengths = np.array([max(1, len(known)) for known in ids], dtype=np.float32)  # (n,)
            out[start : start + len(ids)] /= lengths[:, None]
        if self.normalize if normalize is None else normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = np.where(norms > 0, out / np.maximum(norms, 1e-32), out).astype(np.float32)
        return out, counts

    def encode_with_info(self, texts: str | Iterable[str], batch_size: int = 1024, normalize: bool | None = None,
                         show_progress: bool | None = None, precision: str = "float32",
                         on_long: str = "truncate") -> tuple[np.ndarray, EncodeInfo]:  # fmt: skip
        """encode(...) with the output precision and per-text facts (token counts without [CLS]/[SEP]; a text is
        truncated past max_length tokens). on_long: only "truncate" (a static model reads no windows)."""
        if on_long != "truncate":
            raise InputError(f"on_long={on_long!r}: a static model truncates at {self.max_length} tokens; "
                             "use on_long='truncate'")  # fmt: skip
        items, single = as_texts(texts)
        floats, known = self._encode(items, batch_size, normalize)
        vectors = quantize(floats, precision)
        counts = np.array(known, dtype=np.int64)  # (N,)
        limit = self.max_length if self.max_length is not None else np.iinfo(np.int64).max
        info = EncodeInfo(np.minimum(counts, limit), counts > limit, np.ones(len(items), dtype=np.int64),
                          np.ones(len(items), dtype=bool))  # fmt: skip
        return (vectors[0] if single else vectors), info

    def similarity(self, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        """Cosine similarity matrix (N, M) between vectors a and b (default: a)."""
        return cosine_matrix(as_vectors(a, "a"), None if b is None else as_vectors(b, "b"))


def _safetensors_bytes(embeddings: np.ndarray) -> bytes:
    return save({"embeddings": np.ascontiguousarray(embeddings, dtype=np.float32)})


__all__ = ["MAX_LENGTH", "MODEL_TYPE", "StaticModel", "is_static_folder", "plain_tokenizer"]
