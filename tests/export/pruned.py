"""A user's own model for the export tests: a tiny 4-layer BERT that `minilm prune` cuts to 3 layers."""

from __future__ import annotations

from pathlib import Path

from minilm.train.prune import prune

from ..conftest import BertConfig, write_tiny_model


def pruned_tiny_model(tmp_path: Path, max_position_embeddings: int = 32) -> Path:
    """Layers 0, 1 and 3 of a random tiny model, written under `tmp_path`; its folder."""
    config = BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=4, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=max_position_embeddings)  # fmt: skip
    return Path(prune(write_tiny_model(tmp_path / "four", config=config), [0, 1, 3], tmp_path / "pruned"))
