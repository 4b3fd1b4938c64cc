"""Writing a trained model as a sentence-transformers folder that minilm.load and SentenceTransformer both read.

config.json, model.safetensors            the BERT (keys as the original checkpoint)
tokenizer.json, vocab.txt, ...             copied from the model the training started from
modules.json                               Transformer -> Pooling -> Normalize
sentence_bert_config.json                  max_seq_length for inference (the source's 256, not training's 128)
1_Pooling/config.json, 2_Normalize/
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from safetensors.torch import save

from minilm.checkpoint.folder import ModelFolder
from minilm.config import BertConfig, PoolingConfig, read_json
from minilm.files import write_bytes_atomic, write_text_atomic
from minilm.train.model import SentenceModel

TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json")
_POOLING_KEYS = {"cls": "pooling_mode_cls_token", "mean": "pooling_mode_mean_tokens", "max": "pooling_mode_max_tokens",
                 "mean_sqrt_len": "pooling_mode_mean_sqrt_len_tokens"}  # fmt: skip


def _write_json(path: Path, value: Any) -> None:
    write_text_atomic(path, json.dumps(value, indent=2) + "\n")


def write_folder_files(source: ModelFolder, out: Path, bert: BertConfig, pooling: PoolingConfig,
                       max_seq_length: int) -> None:  # fmt: skip
    """Everything but the weights: config.json (the source's, with this shape), tokenizer, module configs."""
    out.mkdir(parents=True, exist_ok=True)
    config = read_json(source.path / "config.json")
    config.update(bert.to_dict())
    _write_json(out / "config.json", config)
    for name in TOKENIZER_FILES:
        if (source.path / name).exists():
            shutil.copyfile(source.path / name, out / name)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if pooling.normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
        (out / "2_Normalize").mkdir(exist_ok=True)
    _write_json(out / "modules.json", modules)
    _write_json(out / "sentence_bert_config.json",
                {"max_seq_length": max_seq_length, "do_lower_case": False})  # fmt: skip
    (out / "1_Pooling").mkdir(exist_ok=True)
    pooling_config: dict[str, Any] = {"word_embedding_dimension": bert.hidden_size}
    pooling_config.update({key: pooling.mode == mode for mode, key in _POOLING_KEYS.items()})
    _write_json(out / "1_Pooling" / "config.json", pooling_config)


def save_model(model: SentenceModel, path: str | Path) -> Path:
    """Write `model` as a sentence-transformers folder at `path`; returns the path."""
    out = Path(path)
    source = model.folder
    write_folder_files(source, out, model.bert.config, model.pooling, source.config.max_seq_length)
    write_bytes_atomic(out / "model.safetensors", save(model.state_for_saving(), metadata={"format": "pt"}))
    return out
