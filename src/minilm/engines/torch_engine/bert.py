"""BERT in torch, parameter names equal to the checkpoint's keys: the torch engine's model, and what training trains.

Mirrors minilm.engines.numpy_bert (the oracle; a test holds them within 1e-5 on the reference vectors):
embeddings -> N x (self-attention -> feed-forward), post-LayerNorm, exact erf GELU, LayerNorm eps from
config.json, the attention mask built from lengths. Dropout (0.1 in all-MiniLM-L6-v2's config.json) is active
in train() mode only. `state_dict()` keys are exactly model.safetensors' keys, so loading and saving are a walk
over keys checked by minilm.checkpoint.weights. `pool` is minilm.pooling.pool on the device.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from minilm.config import BertConfig


class Embeddings(nn.Module):
    """word + position + token-type (type 0: one text), LayerNorm, dropout (BertEmbeddings)."""

    def __init__(self, c: BertConfig, dropout: float):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        t = input_ids.shape[1]
        x = self.word_embeddings(input_ids) + self.position_embeddings.weight[:t] + self.token_type_embeddings.weight[0]
        return self.dropout(self.LayerNorm(x))  # (B, T, H)


class SelfAttentionProjections(nn.Module):
    """query, key, value (BertSelfAttention's parameters)."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)


class DenseNorm(nn.Module):
    """dense -> dropout -> residual -> LayerNorm (BertSelfOutput / BertOutput)."""

    def __init__(self, n_in: int, c: BertConfig, dropout: float):
        super().__init__()
        self.dense = nn.Linear(n_in, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    """Multi-head scaled dot-product attention with residual and LayerNorm (BertAttention)."""

    def __init__(self, c: BertConfig, hidden_dropout: float, attention_dropout: float):
        super().__init__()
        # `self` is the checkpoint's name for the projections (attention.self.query.weight).
        setattr(self, "self", SelfAttentionProjections(c))  # noqa: B010
        self.output = DenseNorm(c.hidden_size, c, hidden_dropout)
        self.heads, self.head_size = c.num_attention_heads, c.head_size
        self.attention_dropout = attention_dropout

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """x (B, T, H); keep (B, 1, 1, T) bool, True on a row's real tokens (padded keys are never attended)."""
        b, t, h = x.shape
        proj: SelfAttentionProjections = getattr(self, "self")  # noqa: B009

        def heads(linear: nn.Linear) -> torch.Tensor:
            return linear(x).view(b, t, self.heads, self.head_size).transpose(1, 2)  # (B, nh, T, hs)

        q, k, v = heads(proj.query), heads(proj.key), heads(proj.value)
        # softmax(q k^T / sqrt(hs) + mask) v, fused by torch (flash / memory-efficient kernels on a GPU)
        dropout = self.attention_dropout if self.training else 0.0
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, dropout_p=dropout)  # (B, nh, T, hs)
        return self.output(context.transpose(1, 2).reshape(b, t, h), x)  # (B, T, H)


class Intermediate(nn.Module):
    """H -> 4H with exact (erf) GELU (BertIntermediate)."""

    def __init__(self, c: BertConfig):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)
        self.act = nn.ReLU() if c.hidden_act == "relu" else nn.GELU(approximate="none")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.dense(x))


class Layer(nn.Module):
    """One post-LayerNorm transformer layer (BertLayer)."""

    def __init__(self, c: BertConfig, hidden_dropout: float, attention_dropout: float):
        super().__init__()
        self.attention = Attention(c, hidden_dropout, attention_dropout)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c.intermediate_size, c, hidden_dropout)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        x = self.attention(x, keep)
        return self.output(self.intermediate(x), x)


class Encoder(nn.Module):
    """The stack of layers (BertEncoder): its children are named encoder.layer.N like the checkpoint."""

    def __init__(self, c: BertConfig, hidden_dropout: float, attention_dropout: float):
        super().__init__()
        self.layer = nn.ModuleList(Layer(c, hidden_dropout, attention_dropout) for _ in range(c.num_hidden_layers))


class Bert(nn.Module):
    """BertModel without the pooler: token ids + lengths -> last-layer token states."""

    def __init__(self, config: BertConfig, hidden_dropout: float = 0.1, attention_dropout: float = 0.1):
        super().__init__()
        if config.hidden_act not in ("gelu", "relu"):
            raise ValueError(
                f"the torch model implements hidden_act 'gelu' (erf) and 'relu', not {config.hidden_act!r}"
            )
        self.config = config
        self.embeddings = Embeddings(config, hidden_dropout)
        self.encoder = Encoder(config, hidden_dropout, attention_dropout)

    def forward(self, input_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """input_ids (B, T) int64, lengths (B,) -> token states (B, T, H)."""
        t = input_ids.shape[1]
        keep = torch.arange(t, device=input_ids.device)[None, :] < lengths[:, None]  # (B, T)
        keep = keep[:, None, None, :]  # (B, 1, 1, T): every query row sees its text's tokens only
        x = self.embeddings(input_ids)
        for layer in self.encoder.layer:
            x = layer(x, keep)
        return x


def pool(states: torch.Tensor, lengths: torch.Tensor, mode: str) -> torch.Tensor:
    """states (B, T, H), lengths (B,) -> (B, H); padding never contributes (as minilm.pooling.pool)."""
    keep = (torch.arange(states.shape[1], device=states.device)[None, :] < lengths[:, None]).unsqueeze(-1)
    if mode == "cls":
        return states[:, 0]
    if mode == "max":
        return states.masked_fill(~keep, -1e9).max(dim=1).values
    summed = (states * keep).sum(dim=1)  # (B, H)
    counts = lengths.clamp(min=1).to(states.dtype)[:, None]  # (B, 1)
    if mode == "mean":
        return summed / counts
    if mode == "mean_sqrt_len":
        return summed / counts.sqrt()
    raise ValueError(f"pooling mode {mode!r} is unknown")
