"""An ONNX export read as a user of ONNX Runtime would: onnxruntime and tokenizers on the folder, no minilm code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def tokenize(folder: Path, texts: list[str]) -> dict[str, np.ndarray]:
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
    encodings = tokenizer.encode_batch(texts)
    return {
        "input_ids": np.array([e.ids for e in encodings], np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], np.int64),
    }


def token_ids(folder: Path, texts: list[str]) -> list[list[int]]:
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    return [e.ids for e in tokenizer.encode_batch(texts)]


def encode(folder: Path, texts: list[str], batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """(model.onnx's token states mean-pooled and normalized here, sentence_model.onnx's output as is)."""
    states = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    sentences = ort.InferenceSession(str(folder / "sentence_model.onnx"), providers=["CPUExecutionProvider"])
    pooled, direct = [], []
    for start in range(0, len(texts), batch_size):
        feed = tokenize(folder, texts[start : start + batch_size])
        hidden = states.run(["last_hidden_state"], feed)[0].astype(np.float64)  # (B, T, H)
        mask = feed["attention_mask"][:, :, None].astype(np.float64)
        mean = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        pooled.append(mean / np.linalg.norm(mean, axis=1, keepdims=True))
        direct.append(sentences.run(["sentence_embedding"], feed)[0].astype(np.float64))
    return np.concatenate(pooled), np.concatenate(direct)


def worst_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float(np.sum(a * b, axis=1).min())
