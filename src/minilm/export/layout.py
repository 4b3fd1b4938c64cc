"""The files every export folder carries beside its weights: configuration and the tokenizer.

tokenizer.json is written with truncation at the model's max_seq_length (256 for all-MiniLM-L6-v2, from
sentence_bert_config.json) and no padding, so a consumer that tokenizes with it reads what the model was
trained to read: the tokenizer.json published with the model truncates at 128.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from minilm.export.source import Source
from minilm.files import write_text_atomic


def _json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(value, indent=2) + "\n")


def tokenizer_files(source: Source, out: Path) -> None:
    """tokenizer.json (truncation at max_seq_length), tokenizer_config.json, special_tokens_map.json, vocab.txt."""
    config = source.folder.config
    backend = source.tokenizer.backend
    saved = json.loads(backend.to_str())
    saved["truncation"] = {"direction": "Right", "max_length": config.max_seq_length, "strategy": "LongestFirst",
                           "stride": 0}  # fmt: skip
    saved["padding"] = None
    _json(out / "tokenizer.json", saved)
    specials = {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
                "mask_token": "[MASK]"}  # fmt: skip
    _json(out / "tokenizer_config.json", {
        "tokenizer_class": "BertTokenizer", "do_lower_case": config.do_lower_case, "strip_accents": None,
        "tokenize_chinese_chars": True, "model_max_length": config.max_seq_length, "clean_up_tokenization_spaces":
        True, **specials,
    })  # fmt: skip
    _json(out / "special_tokens_map.json", specials)
    vocab = sorted(backend.get_vocab().items(), key=lambda item: item[1])
    write_text_atomic(out / "vocab.txt", "".join(token + "\n" for token, _ in vocab))


def config_files(source: Source, out: Path) -> None:
    """config.json and the sentence-transformers pipeline: modules.json, sentence_bert_config.json, 1_Pooling,
    2_Normalize (when the model normalizes)."""
    config = source.folder.config
    _json(out / "config.json", config.bert.to_dict())
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    if config.pooling.normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
        (out / "2_Normalize").mkdir(parents=True, exist_ok=True)
    _json(out / "modules.json", modules)
    _json(out / "sentence_bert_config.json", {"max_seq_length": config.max_seq_length,
                                              "do_lower_case": False})  # fmt: skip
    _json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": config.bert.hidden_size, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True,
    })  # fmt: skip
