"""Training all-MiniLM-style sentence encoders: contrastive fine-tuning, pruning and distillation (torch).

Needs the `train` extra. torch is checked here, at import, so that a missing install fails with the command that
fixes it rather than deep inside a training run.
"""

from __future__ import annotations

from minilm.extras import missing_module

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised where torch is absent
    raise missing_module("train", "minilm.train (torch)", exc) from None
