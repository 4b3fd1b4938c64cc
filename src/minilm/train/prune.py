"""Layer pruning: a smaller student that keeps chosen layers of a teacher (as MiniLM-L12 -> L6 took every other).

Works on the safetensors weights directly: layer `old` of the teacher becomes layer `new` of the student, the
embeddings are shared, and config.json's num_hidden_layers shrinks. The student is then distilled (distill.py).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path

from safetensors.numpy import save

from minilm.checkpoint.folder import read_folder
from minilm.checkpoint.weights import load_weights
from minilm.errors import InputError
from minilm.files import write_bytes_atomic
from minilm.train.save import write_folder_files

log = logging.getLogger(__name__)


def prune(source: str | Path, layers: Sequence[int], output: str | Path) -> Path:
    """Write to `output` a copy of the model folder `source` keeping only `layers` (e.g. [0, 2, 4]), in order."""
    folder = read_folder(Path(source))
    bert = folder.config.bert
    bad = [n for n in layers if not 0 <= n < bert.num_hidden_layers]
    if not layers or bad or len(set(layers)) != len(layers):
        raise InputError(
            f"layers {list(layers)} must be distinct indices in 0..{bert.num_hidden_layers - 1} (the source has "
            f"{bert.num_hidden_layers} layers)"
        )
    weights = load_weights(folder.weights, bert)
    kept = {k: v for k, v in weights.items() if not k.startswith("encoder.layer.")}
    for new, old in enumerate(layers):
        prefix = f"encoder.layer.{old}."
        kept.update({f"encoder.layer.{new}.{k[len(prefix) :]}": v for k, v in weights.items() if k.startswith(prefix)})
    student = dataclasses.replace(bert, num_hidden_layers=len(layers))
    out = Path(output)
    write_folder_files(folder, out, student, folder.config.pooling, folder.config.max_seq_length)
    write_bytes_atomic(out / "model.safetensors", save(kept, metadata={"format": "pt"}))
    log.info("pruned %s to layers %s: %s", folder.path, list(layers), out)
    return out
