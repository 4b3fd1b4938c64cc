"""Model configuration: frozen dataclasses with the Hugging Face / sentence-transformers field names."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from minilm.errors import CheckpointError

PoolingMode = Literal["mean", "cls", "max", "mean_sqrt_len"]


@dataclass(frozen=True)
class BertConfig:
    """The encoder's shape, read from config.json (field names as Hugging Face writes them)."""

    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    hidden_act: str = "gelu"
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = "config.json") -> BertConfig:
        """Build from a config.json mapping, ignoring unrelated keys and checking the architecture."""
        model_type = raw.get("model_type", "bert")
        if model_type != "bert":
            raise CheckpointError(f"{source}: model_type is {model_type!r}, expected 'bert'")
        if raw.get("position_embedding_type", "absolute") != "absolute":
            raise CheckpointError(
                f"{source}: position_embedding_type {raw['position_embedding_type']!r} is not supported "
                "(only 'absolute')"
            )
        known = {f.name for f in fields(cls)}
        config = cls(**{k: v for k, v in raw.items() if k in known})
        if config.hidden_size % config.num_attention_heads:
            raise CheckpointError(
                f"{source}: hidden_size {config.hidden_size} is not divisible by "
                f"num_attention_heads {config.num_attention_heads}"
            )
        if config.hidden_act not in ("gelu", "gelu_new", "gelu_pytorch_tanh", "relu"):
            raise CheckpointError(f"{source}: hidden_act {config.hidden_act!r} is not supported")
        return config

    def to_dict(self) -> dict[str, Any]:
        """The config.json mapping of this configuration."""
        raw: dict[str, Any] = {"architectures": ["BertModel"], "model_type": "bert"}
        raw.update({f.name: getattr(self, f.name) for f in fields(self)})
        raw["position_embedding_type"] = "absolute"
        return raw


@dataclass(frozen=True)
class PoolingConfig:
    """How token states become one vector (1_Pooling/config.json), and whether it is L2-normalized."""

    mode: PoolingMode = "mean"
    normalize: bool = True

    @classmethod
    def from_dict(cls, raw: dict[str, Any], normalize: bool, source: str) -> PoolingConfig:
        modes = [
            name
            for key, name in (
                ("pooling_mode_mean_tokens", "mean"),
                ("pooling_mode_cls_token", "cls"),
                ("pooling_mode_max_tokens", "max"),
                ("pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len"),
            )
            if raw.get(key)
        ]
        mode = raw.get("pooling_mode")
        if mode is None:
            if len(modes) != 1:
                raise CheckpointError(
                    f"{source}: expected exactly one pooling mode to be true, found {modes or 'none'}"
                )
            mode = modes[0]
        aliases = {
            "mean": "mean",
            "cls": "cls",
            "max": "max",
            "mean_sqrt_len": "mean_sqrt_len",
            "mean_sqrt_len_tokens": "mean_sqrt_len",
        }
        if mode not in aliases:
            raise CheckpointError(f"{source}: pooling mode {mode!r} is not supported")
        return cls(mode=aliases[mode], normalize=normalize)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ModelConfig:
    """Everything above the weights that decides a model's vectors."""

    bert: BertConfig
    pooling: PoolingConfig
    max_seq_length: int = 256
    do_lower_case: bool = True


def read_json(path: Path) -> Any:
    """Read a JSON file, turning a missing or malformed file into a CheckpointError that names it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON: {exc}") from None
