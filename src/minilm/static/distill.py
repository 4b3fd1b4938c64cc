"""Distil a static model from a minilm model, in the model's own vector space.

1. Vocabulary pass: every token alone through the model ([CLS] token [SEP], the model's pooling, unit length).
2. Token weights: SIF weights a / (a + p(token)) from the training texts' token frequencies scale the vectors.
3. Fit: ridge least squares of the model's sentence vectors Y (N, D) on the texts' token means X (N, V):
   min ||X E - s Y||^2 + lam ||E - E0||^2, E0 the weighted vocabulary pass, s the median norm of X E0's rows.
   Solved by conjugate gradients on the normal equations (X^T X + lam I) E = X^T s Y + lam E0, every column at
   once; only tokens seen in the texts move. No rotation: the static vectors live in the model's space.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from minilm.errors import InputError
from minilm.extras import require
from minilm.static.model import MAX_LENGTH, MODEL_TYPE, StaticModel, plain_tokenizer

if TYPE_CHECKING:
    import scipy.sparse as sp

log = logging.getLogger(__name__)

SIF_A = 1e-3
RIDGE = 0.05
CG_STEPS = 60


@dataclass
class FitReport:
    texts: int
    tokens_seen: int
    seconds: dict[str, float] = field(default_factory=dict)
    residual: list[float] = field(default_factory=list)


def vocabulary_pass(model: Any, batch_size: int = 256) -> np.ndarray:
    """(V, D) float32: each token id alone through the model, unit length (special tokens included)."""
    vocab = model.config.bert.vocab_size
    cls_id, sep_id = model.tokenizer.cls_id, model.tokenizer.sep_id
    units = [[cls_id, t, sep_id] for t in range(vocab)]
    pooled = model.embed_units(units, batch_size=batch_size)  # (V, D)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def token_means(ids: Sequence[Sequence[int]], vocab: int) -> sp.csr_matrix:
    """(N, V) sparse: row i holds count(token) / len(text i); an empty text is a zero row."""
    import scipy.sparse as sp

    lengths = np.array([len(row) for row in ids], dtype=np.int64)
    cols = np.concatenate([np.asarray(row, dtype=np.int64) for row in ids]) if lengths.sum() else np.zeros(0, int)
    rows = np.repeat(np.arange(len(ids)), lengths)
    vals = np.repeat(1.0 / np.maximum(lengths, 1), lengths)
    x = sp.csr_matrix((vals, (rows, cols)), shape=(len(ids), vocab), dtype=np.float64)
    x.sum_duplicates()
    return x


def sif_weights(x_counts: sp.csr_matrix, a: float = SIF_A) -> np.ndarray:
    """(V,) a / (a + p(token)), p the token's share of all tokens in the texts (unseen tokens: 1)."""
    counts = np.asarray(x_counts.sum(axis=0)).ravel()
    p = counts / max(counts.sum(), 1.0)
    return (a / (a + p)).astype(np.float32)


def ridge_fit(x: sp.csr_matrix, y: np.ndarray, e0: np.ndarray, lam: float = RIDGE, steps: int = CG_STEPS,
              report: FitReport | None = None) -> np.ndarray:  # fmt: skip
    """argmin_E ||X E - Y||^2 + lam ||E - E0||^2 by conjugate gradients from E0 (columns independent)."""
    seen = np.flatnonzero(np.asarray(x.getnnz(axis=0)) > 0)
    xs = x[:, seen].tocsr()  # (N, S)
    xt = xs.T.tocsr()  # (S, N)
    e = e0[seen].astype(np.float64)  # (S, D)

    def apply(p: np.ndarray) -> np.ndarray:
        return xt @ (xs @ p) + lam * p  # (S, D)

    r = xt @ (y - xs @ e)  # b - A e with b = X^T Y + lam E0 and e = E0: the lam terms cancel
    p = r.copy()
    rs = np.einsum("ij,ij->j", r, r)  # (D,)
    start = float(np.sqrt(rs.sum()))
    for step in range(steps):
        ap = apply(p)
        alpha = rs / np.maximum(np.einsum("ij,ij->j", p, ap), 1e-30)
        e += p * alpha
        r -= ap * alpha
        new = np.einsum("ij,ij->j", r, r)
        if report is not None and step % 10 == 0:
            report.residual.append(float(np.sqrt(new.sum())) / max(start, 1e-30))
        p = r + p * (new / np.maximum(rs, 1e-30))
        rs = new
    out = e0.copy()
    out[seen] = e.astype(np.float32)
    if report is not None:
        report.tokens_seen = len(seen)
    return out


def distill(
    teacher: Any,
    texts: Sequence[str],
    targets: np.ndarray | None = None,
    lam: float = RIDGE,
    steps: int = CG_STEPS,
    fit: bool = True,
    weights: bool = True,
    name: str | None = None,
) -> tuple[StaticModel, FitReport]:
    """A StaticModel distilled from `teacher` (a minilm Encoder, or a model folder / name) and fitted on `texts`.

    targets: the teacher's unit sentence vectors of texts (N, D), when computed already (else encoded here).
    fit=False keeps the (weighted) vocabulary pass; weights=False leaves out the SIF token weights.
    """
    require("static", "minilm distill-static")
    texts = list(texts)
    if isinstance(teacher, str | os.PathLike):
        from minilm.loading import load

        teacher = load(teacher, engine="auto")
    if not hasattr(teacher, "embed_units") or not hasattr(teacher, "folder"):
        raise InputError(f"the teacher must be a minilm BERT model (minilm.load of a model folder), got {teacher!r}")
    if not texts:
        raise InputError("no training texts: the fit needs at least one non-empty text")
    if not all(isinstance(t, str) for t in texts):
        raise InputError("every training text must be a str")
    report = FitReport(texts=len(texts), tokens_seen=0)
    backend = plain_tokenizer(teacher.tokenizer.backend)
    config = {"model_type": MODEL_TYPE, "architectures": ["StaticModel"], "hidden_dim": teacher.dimension,
              "normalize": True, "max_length": MAX_LENGTH, "apply_pca": None, "apply_zipf": None,
              "minilm_name": name or f"static-{teacher.name.rsplit('/', 1)[-1]}", "minilm_teacher": teacher.name,
              "minilm_fit": {"texts": len(texts), "ridge": lam if fit else None, "cg_steps": steps if fit else None,
                             "sif_a": SIF_A if weights else None}}  # fmt: skip
    t0 = time.perf_counter()
    e0 = vocabulary_pass(teacher)
    if e0.shape[0] != backend.get_vocab_size():
        raise InputError(f"the model has {e0.shape[0]} token embeddings but tokenizer.json has "
                         f"{backend.get_vocab_size()} tokens")  # fmt: skip
    report.seconds["vocabulary pass"] = time.perf_counter() - t0
    static = StaticModel(config["minilm_name"], Path(""), e0, backend, config)
    ids = static.tokenize(texts)
    if not any(ids):
        raise InputError("the training texts hold no known token")
    x = token_means(ids, e0.shape[0])
    if weights:
        static.embeddings = e0 * sif_weights(x)[:, None]
    if fit:
        t0 = time.perf_counter()
        if targets is None:
            targets = np.asarray(teacher.encode(texts), dtype=np.float32)
        report.seconds["teacher vectors"] = time.perf_counter() - t0
        if targets.shape != (len(texts), teacher.dimension):
            raise InputError(f"targets of shape {targets.shape}, expected {(len(texts), teacher.dimension)}")
        t0 = time.perf_counter()
        scale = float(np.median(np.linalg.norm(x @ static.embeddings.astype(np.float64), axis=1)))
        static.embeddings = ridge_fit(x, scale * targets.astype(np.float64), static.embeddings, lam, steps, report)
        report.seconds["fit"] = time.perf_counter() - t0
    return static, report


def distill_to_folder(teacher: Any, texts: Sequence[str], output: str | os.PathLike[str],
                      **options: Any) -> tuple[Path, FitReport]:  # fmt: skip
    """distill(...) and save the folder; returns (folder, report)."""
    static, report = distill(teacher, texts, **options)
    return static.save(output), report
