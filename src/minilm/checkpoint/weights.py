"""Reading BERT weights from model.safetensors, checked key by key against the config.

Parameter names are the checkpoint's own keys (``encoder.layer.3.attention.self.query.weight``), so the
engines look weights up by the same names a reader finds in the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file

from minilm.config import BertConfig
from minilm.errors import CheckpointError

Weights = dict[str, np.ndarray]

# Keys a BERT checkpoint may carry that the sentence encoder does not use.
_IGNORED_PREFIXES = ("pooler.", "cls.", "embeddings.position_ids")
_STRIPPED_PREFIXES = ("bert.", "model.", "0.auto_model.")


def expected_shapes(config: BertConfig) -> dict[str, tuple[int, ...]]:
    """Every parameter the encoder needs, with its shape (PyTorch layout: Linear weights are (out, in))."""
    h, i = config.hidden_size, config.intermediate_size
    shapes: dict[str, tuple[int, ...]] = {
        "embeddings.word_embeddings.weight": (config.vocab_size, h),
        "embeddings.position_embeddings.weight": (config.max_position_embeddings, h),
        "embeddings.token_type_embeddings.weight": (config.type_vocab_size, h),
        "embeddings.LayerNorm.weight": (h,),
        "embeddings.LayerNorm.bias": (h,),
    }
    for n in range(config.num_hidden_layers):
        p = f"encoder.layer.{n}."
        for name in ("query", "key", "value"):
            shapes[f"{p}attention.self.{name}.weight"] = (h, h)
            shapes[f"{p}attention.self.{name}.bias"] = (h,)
        shapes[f"{p}attention.output.dense.weight"] = (h, h)
        shapes[f"{p}attention.output.dense.bias"] = (h,)
        shapes[f"{p}attention.output.LayerNorm.weight"] = (h,)
        shapes[f"{p}attention.output.LayerNorm.bias"] = (h,)
        shapes[f"{p}intermediate.dense.weight"] = (i, h)
        shapes[f"{p}intermediate.dense.bias"] = (i,)
        shapes[f"{p}output.dense.weight"] = (h, i)
        shapes[f"{p}output.dense.bias"] = (h,)
        shapes[f"{p}output.LayerNorm.weight"] = (h,)
        shapes[f"{p}output.LayerNorm.bias"] = (h,)
    return shapes


def _canonical(key: str) -> str:
    for prefix in _STRIPPED_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def validate(raw: Weights, config: BertConfig, source: str) -> Weights:
    """Return the encoder's weights as float32, or raise naming every missing, unexpected or mis-shaped key."""
    weights = {_canonical(k): v for k, v in raw.items()}
    weights = {k: v for k, v in weights.items() if not k.startswith(_IGNORED_PREFIXES)}
    check_shapes({k: tuple(v.shape) for k, v in weights.items()}, config, source)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in weights.items()}


def check_shapes(found: dict[str, tuple[int, ...]], config: BertConfig, source: str) -> None:
    """Raise a CheckpointError naming every missing, unexpected or mis-shaped key of `found` (canonical keys)."""
    shapes = expected_shapes(config)
    problems = [f"is missing key {k}" for k in shapes if k not in found]
    problems += [f"has unexpected key {k}" for k in found if k not in shapes]
    problems += [f"has key {k} of shape {v}, expected {shapes[k]}" for k, v in found.items()
                 if k in shapes and v != shapes[k]]  # fmt: skip
    if problems:
        shown = "; ".join(problems[:8]) + (f"; and {len(problems) - 8} more" if len(problems) > 8 else "")
        raise CheckpointError(f"{source} {shown}")


def check_header(path: Path, config: BertConfig) -> None:
    """Check the file's keys and shapes against the config from its header alone (no tensor is read), so an
    engine whose graph is cached under the weights' digest still refuses a config.json that disagrees."""
    try:
        with safe_open(str(path), framework="numpy") as f:
            found = {_canonical(k): tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a readable safetensors file ({exc})") from None
    check_shapes({k: v for k, v in found.items() if not k.startswith(_IGNORED_PREFIXES)}, config, str(path))


def load_weights(path: Path, config: BertConfig) -> Weights:
    """Load and validate model.safetensors (a truncated or corrupt file is a CheckpointError naming it)."""
    if not path.is_file():
        raise CheckpointError(f"{path} is missing")
    try:
        raw = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a readable safetensors file ({exc})") from None
    return validate(raw, config, str(path))


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()
