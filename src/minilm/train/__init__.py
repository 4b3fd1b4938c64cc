"""Training all-MiniLM-style sentence encoders: contrastive fine-tuning, pruning and distillation (torch).

Needs the `train` extra. torch is checked here, at import, so that a missing install fails with the command that
fixes it rather than deep inside a training run.
"""

from __future__ import annotations

from minilm.errors import MissingExtraError

INSTALL_HINT = "pip install torch==2.13.0 && pip install '.[train]'"

try:
    import torch  # noqa: F401
except ImportError:  # pragma: no cover - exercised where torch is absent
    raise MissingExtraError(f"minilm.train needs torch, which is not installed: {INSTALL_HINT}") from None
