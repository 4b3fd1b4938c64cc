"""The model training trains: the torch BERT (minilm.engines.torch_engine.bert, parameter names equal to the
checkpoint's keys) with tokenizing, pooling and normalizing above it, differentiable.

Inference on the module (dev-set evaluation, a distillation teacher's vectors) goes through the library's one
pipeline: an Encoder over a torch engine that shares the live module's weights (`SentenceModel.encoder`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from minilm import batching
from minilm.checkpoint.folder import ModelFolder, read_folder
from minilm.checkpoint.weights import load_weights
from minilm.config import PoolingConfig, read_json
from minilm.encoder import Encoder
from minilm.engines.torch_engine.bert import Bert, pool
from minilm.engines.torch_engine.engine import TorchEngine
from minilm.tokenizer import Tokenizer

TRAIN_MAX_SEQ_LENGTH = 128  # the recipe's training length; inference keeps the folder's own (256)


class SentenceModel(nn.Module):
    """Tokenizer -> Bert -> pooling -> (normalize): texts to sentence vectors, differentiable.

    The Bert is `self.bert`; its state_dict() has the checkpoint's keys. `max_seq_length` is the training
    length (128 by default, the recipe's); `folder.config.max_seq_length` (256) is kept for saving.
    """

    def __init__(self, bert: Bert, folder: ModelFolder, tokenizer: Tokenizer, max_seq_length: int):
        super().__init__()
        self.bert = bert
        self.folder = folder
        self.pooling: PoolingConfig = folder.config.pooling
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length

    @classmethod
    def from_folder(cls, path: str | Path, max_seq_length: int | None = TRAIN_MAX_SEQ_LENGTH) -> SentenceModel:
        """Load a sentence-transformers BERT folder (weights checked key by key). max_seq_length=None: the folder's."""
        folder = read_folder(Path(path))
        raw = read_json(folder.path / "config.json")
        bert = Bert(
            folder.config.bert,
            hidden_dropout=float(raw.get("hidden_dropout_prob", 0.1)),
            attention_dropout=float(raw.get("attention_probs_dropout_prob", 0.1)),
        )
        weights = load_weights(folder.weights, folder.config.bert)
        bert.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=True)
        limit = min(max_seq_length or folder.config.max_seq_length, folder.config.max_seq_length)
        tokenizer = Tokenizer.from_folder(folder)  # cut at the folder's length; training reads `limit` tokens
        return cls(bert, folder, Tokenizer(tokenizer.backend, limit), limit)

    @property
    def device(self) -> torch.device:
        return next(self.bert.parameters()).device

    def features(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids (B, T) and lengths (B,) on the model's device, cut to max_seq_length as the encoder cuts."""
        padded, lengths = batching.pad(self.tokenizer(list(texts)), self.tokenizer.pad_id)
        return torch.from_numpy(padded).to(self.device), torch.from_numpy(lengths).to(self.device)

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        """Sentence vectors (B, H), float32, normalized when the folder has a Normalize module."""
        ids, lengths = self.features(texts)
        vectors = pool(self.bert(ids, lengths), lengths, self.pooling.mode).float()
        return F.normalize(vectors, dim=-1) if self.pooling.normalize else vectors

    def encoder(self, max_tokens: int | None = None) -> Encoder:
        """An Encoder over the live module: the torch engine on the module's device, sharing its weights (what it
        computes follows the current parameters and mode; `encode` runs it in eval mode). max_tokens: padded
        tokens per call (None: the engine's hints on an accelerator, else the encoder's default)."""
        engine = TorchEngine(self.bert, self.device, threads=None)
        # sha256 names a weights file; a module in training has none
        return Encoder(self.folder.path.name, self.folder, self.tokenizer, engine, sha256="", source="training",
                       max_tokens=max_tokens)  # fmt: skip

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Sentence vectors (N, H) through `encoder()`, in eval mode (train mode restored after). On a CPU a call
        takes up to batch_size texts of max_seq_length tokens; an accelerator takes the engine's batch sizes."""
        was_training = self.training
        self.eval()
        try:
            on_cpu = self.device.type == "cpu"
            encoder = self.encoder(batch_size * self.max_seq_length if on_cpu else None)
            return encoder.encode(list(texts), batch_size=batch_size)
        finally:
            self.train(was_training)

    def state_for_saving(self) -> dict[str, Any]:
        """The Bert's weights as contiguous fp32 CPU tensors, keyed as in model.safetensors."""
        return {k: v.detach().float().cpu().contiguous() for k, v in self.bert.state_dict().items()}
