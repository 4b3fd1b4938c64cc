"""The reference engine: BERT in numpy, read top to bottom like the architecture.

embeddings -> N x (self-attention -> feed-forward) -> token states. Pooling is above the engine.
Reproduces Hugging Face BertModel in fp32 with:
  - exact (erf) GELU, not the tanh approximation;
  - LayerNorm eps from config.json (1e-12 for all-MiniLM-L6-v2);
  - the attention mask built from lengths, so a literal "[PAD]" typed in a text stays attended.
"""

from __future__ import annotations

import numpy as np

from minilm.checkpoint.weights import Weights
from minilm.config import BertConfig
from minilm.engines.base import Checkpoint

# Abramowitz & Stegun 7.1.26: |error| <= 1.5e-7 on erf in exact arithmetic; evaluated in float32 the
# error stays under 6e-7 (tested), far below the 1e-5 parity tolerance.
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def erf(x: np.ndarray) -> np.ndarray:
    """Error function, elementwise in float32 (numpy has no erf of its own); in-place steps keep it cheap."""
    a = np.abs(x)
    t = 1.0 / (1.0 + np.float32(_AS_P) * a)
    poly = np.full_like(t, np.float32(_AS_A[4]))
    for coefficient in _AS_A[3::-1]:  # Horner: t * (a1 + t * (a2 + ...))
        poly *= t
        poly += np.float32(coefficient)
    poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a  # t * P(t) * exp(-x^2) = erfc(|x|)
    np.subtract(np.float32(1), poly, out=poly)
    return np.copysign(poly, x, out=poly)


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU with the exact erf form: x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))."""
    phi = erf(x * np.float32(1 / np.sqrt(2)))
    phi += np.float32(1)
    phi *= np.float32(0.5)
    phi *= x
    return phi


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis (biased variance, as torch)."""
    mean = x.mean(-1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(-1, keepdims=True)
    return centered / np.sqrt(var + np.float32(eps)) * weight + bias


class Linear:
    """y = x @ W.T + b, with W stored transposed once so every call is one contiguous sgemm."""

    def __init__(self, w: Weights, prefix: str):
        self.wt = np.ascontiguousarray(w[f"{prefix}.weight"].T)  # (in, out)
        self.b = w[f"{prefix}.bias"]  # (out,)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x @ self.wt + self.b


class Embeddings:
    """word + position + token-type (always type 0 for a single text), then LayerNorm."""

    def __init__(self, w: Weights, c: BertConfig):
        self.word = w["embeddings.word_embeddings.weight"]  # (V, H)
        self.position = w["embeddings.position_embeddings.weight"]  # (P, H)
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]  # (H,)
        self.ln_w, self.ln_b = w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]
        self.eps = c.layer_norm_eps

    def __call__(self, input_ids: np.ndarray) -> np.ndarray:
        t = input_ids.shape[1]
        x = self.word[input_ids] + self.position[:t] + self.token_type  # (B, T, H)
        return layer_norm(x, self.ln_w, self.ln_b, self.eps)


class SelfAttention:
    """Multi-head scaled dot-product attention, residual, LayerNorm (BertAttention)."""

    def __init__(self, w: Weights, c: BertConfig, prefix: str):
        self.query = Linear(w, f"{prefix}.attention.self.query")
        self.key = Linear(w, f"{prefix}.attention.self.key")
        self.value = Linear(w, f"{prefix}.attention.self.value")
        self.output = Linear(w, f"{prefix}.attention.output.dense")
        self.ln_w = w[f"{prefix}.attention.output.LayerNorm.weight"]
        self.ln_b = w[f"{prefix}.attention.output.LayerNorm.bias"]
        self.heads, self.head_size, self.eps = c.num_attention_heads, c.head_size, c.layer_norm_eps

    def __call__(self, x: np.ndarray, mask_bias: np.ndarray) -> np.ndarray:
        b, t, h = x.shape
        flat = x.reshape(b * t, h)  # (B*T, H)

        def heads(proj: Linear) -> np.ndarray:
            return proj(flat).reshape(b, t, self.heads, self.head_size).transpose(0, 2, 1, 3)  # (B, nh, T, hs)

        q, k, v = heads(self.query), heads(self.key), heads(self.value)
        scores = q @ k.transpose(0, 1, 3, 2) * np.float32(1 / np.sqrt(self.head_size))  # (B, nh, T, T)
        scores = scores + mask_bias  # padded keys get -inf-like bias
        scores = scores - scores.max(-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(b * t, h)  # (B*T, H)
        out = self.output(context) + flat
        return layer_norm(out, self.ln_w, self.ln_b, self.eps).reshape(b, t, h)


class FeedForward:
    """H -> 4H with GELU -> H, residual, LayerNorm (BertIntermediate + BertOutput)."""

    def __init__(self, w: Weights, c: BertConfig, prefix: str):
        self.up = Linear(w, f"{prefix}.intermediate.dense")
        self.down = Linear(w, f"{prefix}.output.dense")
        self.ln_w, self.ln_b = w[f"{prefix}.output.LayerNorm.weight"], w[f"{prefix}.output.LayerNorm.bias"]
        self.eps = c.layer_norm_eps
        if c.hidden_act not in ("gelu",):
            raise ValueError(f"the numpy engine implements hidden_act 'gelu' (erf), not {c.hidden_act!r}")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        b, t, h = x.shape
        flat = x.reshape(b * t, h)  # (B*T, H)
        out = self.down(gelu(self.up(flat))) + flat  # (B*T, H)
        return layer_norm(out, self.ln_w, self.ln_b, self.eps).reshape(b, t, h)


class Layer:
    """One transformer layer (post-LayerNorm, as BERT)."""

    def __init__(self, w: Weights, c: BertConfig, index: int):
        prefix = f"encoder.layer.{index}"
        self.attention = SelfAttention(w, c, prefix)
        self.feed_forward = FeedForward(w, c, prefix)

    def __call__(self, x: np.ndarray, mask_bias: np.ndarray) -> np.ndarray:
        return self.feed_forward(self.attention(x, mask_bias))


class NumpyEngine:
    """The numpy BERT encoder: the readable reference and the oracle for every other engine."""

    name = "numpy"

    def __init__(self, weights: Weights, config: BertConfig):
        self.config = config
        self.embeddings = Embeddings(weights, config)
        self.layers = [Layer(weights, config, i) for i in range(config.num_hidden_layers)]

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, threads: int | None = None) -> NumpyEngine:
        del threads  # numpy's BLAS owns its threads (set OMP_NUM_THREADS / use threadpoolctl)
        return cls(checkpoint.weights, checkpoint.folder.config.bert)

    @property
    def threads(self) -> int | None:
        return None

    def forward(self, input_ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        t = input_ids.shape[1]
        keep = np.arange(t)[None, :] < lengths[:, None]  # (B, T)
        mask_bias = np.where(keep, 0.0, np.finfo(np.float32).min).astype(np.float32)[:, None, None, :]
        x = self.embeddings(input_ids)  # (B, T, H)
        for layer in self.layers:
            x = layer(x, mask_bias)
        return x
