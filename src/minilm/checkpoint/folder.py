"""Reading a sentence-transformers model folder: which files hold what, and the configuration above them.

Layout (as sentence-transformers writes it)::

    config.json                  BERT shape
    model.safetensors            weights
    tokenizer.json | vocab.txt   tokenizer (vocab.txt alone is enough)
    modules.json                 Transformer -> Pooling -> Normalize pipeline
    sentence_bert_config.json    max_seq_length (256 for all-MiniLM-L6-v2: the truncation that counts,
                                 not tokenizer_config.json's 512)
    1_Pooling/config.json        pooling mode
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minilm.config import BertConfig, ModelConfig, PoolingConfig, read_json
from minilm.errors import CheckpointError

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"


@dataclass(frozen=True)
class ModelFolder:
    """A model folder on disk, its configuration read and its files located."""

    path: Path
    config: ModelConfig
    weights: Path
    tokenizer_json: Path | None
    vocab_txt: Path | None


def _module_paths(path: Path) -> tuple[Path | None, bool]:
    """(pooling folder, normalize?) from modules.json; a plain Hugging Face folder gets mean + normalize."""
    modules_file = path / "modules.json"
    if not modules_file.exists():
        return None, True
    modules = read_json(modules_file)
    if not isinstance(modules, list):
        raise CheckpointError(f"{modules_file}: expected a list of modules")
    pooling_dir, normalize = None, False
    for module in modules:
        kind = module.get("type", "") if isinstance(module, dict) else ""
        if kind == _POOLING:
            pooling_dir = path / module.get("path", "1_Pooling")
        elif kind == _NORMALIZE:
            normalize = True
        elif kind != _TRANSFORMER:
            raise CheckpointError(f"{modules_file}: module type {kind!r} is not supported")
    return pooling_dir, normalize


def read_folder(path: Path) -> ModelFolder:
    """Read and check a model folder; errors name the file and what is wrong with it."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"{path} is not a model folder")
    bert = BertConfig.from_dict(read_json(path / "config.json"), source=str(path / "config.json"))

    pooling_dir, normalize = _module_paths(path)
    if pooling_dir is not None:
        pooling_file = pooling_dir / "config.json"
        pooling = PoolingConfig.from_dict(read_json(pooling_file), normalize, str(pooling_file))
    else:
        pooling = PoolingConfig(mode="mean", normalize=normalize)

    max_seq_length = bert.max_position_embeddings
    do_lower_case = True
    st_file = path / "sentence_bert_config.json"
    if st_file.exists():
        st = read_json(st_file)
        max_seq_length = int(st.get("max_seq_length") or max_seq_length)
    tok_config = path / "tokenizer_config.json"
    if tok_config.exists():
        do_lower_case = bool(read_json(tok_config).get("do_lower_case", True))
    if max_seq_length > bert.max_position_embeddings:
        raise CheckpointError(
            f"{st_file}: max_seq_length {max_seq_length} exceeds max_position_embeddings {bert.max_position_embeddings}"
        )

    tokenizer_json = path / "tokenizer.json"
    vocab_txt = path / "vocab.txt"
    if not tokenizer_json.exists() and not vocab_txt.exists():
        raise CheckpointError(f"{path} has neither tokenizer.json nor vocab.txt")
    weights = path / "model.safetensors"
    if not weights.exists():
        raise CheckpointError(f"{weights} is missing (only safetensors weights are read)")
    return ModelFolder(
        path=path,
        config=ModelConfig(bert, pooling, max_seq_length, do_lower_case),
        weights=weights,
        tokenizer_json=tokenizer_json if tokenizer_json.exists() else None,
        vocab_txt=vocab_txt if vocab_txt.exists() else None,
    )
