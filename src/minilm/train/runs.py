"""A whole run from one configuration: datasets -> model -> trainer -> the saved folder OUTPUT/final.

The configuration is a flat mapping (a YAML or TOML file, with command-line flags on top); its keys are the
fields of RunConfig. `data` lists training files, each a path or {path, weight}.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomllib

from minilm.checkpoint import resolve
from minilm.errors import InputError
from minilm.extras import missing_module
from minilm.train.contrastive import ContrastiveObjective
from minilm.train.data import BatchSampler, Dataset, load_dataset
from minilm.train.distill import DistillObjective, as_sentences, sentences_of
from minilm.train.losses import DEFAULT_SCALE
from minilm.train.model import TRAIN_MAX_SEQ_LENGTH, SentenceModel
from minilm.train.save import save_model
from minilm.train.sts import Evaluator, StsEvaluator, read_sts
from minilm.train.trainer import StepCallback, TrainConfig, Trainer

log = logging.getLogger(__name__)


@dataclass
class DataFile:
    """One training file and its sampling weight."""

    path: str
    weight: float = 1.0


@dataclass
class RunConfig:
    """Everything a `minilm train` / `minilm distill` run reads from its config file and flags.

    The trainer's hyper-parameters default to TrainConfig's (the recipe's values, stated there once); the CLI's
    help shows these defaults (cli/run_config.py).
    """

    output: str
    data: list[DataFile]
    model: str | None = None  # the model to fine-tune, or the student to distil (a folder or hub name)
    teacher: str | None = None  # distillation only
    batch_size: int = 64
    mini_batch_size: int | None = None  # GradCache mini-batch (None: plain MNRL)
    steps: int | None = None  # default: `epochs` passes over the rows
    epochs: float = 1.0
    lr: float = TrainConfig.lr
    warmup_steps: int = TrainConfig.warmup_steps
    weight_decay: float = TrainConfig.weight_decay
    max_grad_norm: float = TrainConfig.max_grad_norm
    max_seq_length: int = TRAIN_MAX_SEQ_LENGTH
    scale: float = DEFAULT_SCALE
    symmetric: bool = False
    seed: int = TrainConfig.seed
    checkpoint_every: int = TrainConfig.checkpoint_every
    eval_every: int = TrainConfig.eval_every
    eval_data: str | None = None  # STS dev set (STS-B csv, or sentence1/sentence2/score CSV/TSV)
    device: str = TrainConfig.device
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], source: str = "config") -> RunConfig:
        """Build from a config mapping, naming unknown keys and malformed data entries."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise InputError(f"{source}: unknown keys {unknown}; known keys: {sorted(known)}")
        for key in ("output", "data"):
            if not raw.get(key):
                raise InputError(f"{source}: '{key}' is required")
        data = []
        for entry in raw["data"]:
            if isinstance(entry, str):
                data.append(DataFile(entry))
            elif isinstance(entry, dict) and "path" in entry:
                data.append(DataFile(str(entry["path"]), float(entry.get("weight", 1.0))))
            else:
                raise InputError(f"{source}: data entry {entry!r} is neither a path nor {{path, weight}}")
        return cls(**{**raw, "data": data})


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A .toml, .yaml or .yml file as a mapping."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path} is not valid TOML: {exc}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError as exc:
            raise missing_module("train", "a YAML config (PyYAML)", exc) from None
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"{path} is not valid YAML: {exc}") from None
        if not isinstance(value, dict):
            raise InputError(f"{path}: expected a mapping at the top level")
        return value
    raise InputError(f"{path}: unknown config type {path.suffix!r}; expected .toml, .yaml or .yml")


def _load_model(name: str | None, max_seq_length: int) -> SentenceModel:
    return SentenceModel.from_folder(resolve(name).path, max_seq_length)


def _steps(config: RunConfig, datasets: list[Dataset]) -> int:
    if config.steps is not None:
        return config.steps
    rows = sum(len(d.rows) for d in datasets)
    return max(1, math.ceil(config.epochs * rows / config.batch_size))


def _trainer(config: RunConfig, model: SentenceModel, objective: Any, datasets: list[Dataset],
             callbacks: list[StepCallback] | None) -> Trainer:  # fmt: skip
    evaluator: Evaluator | None = StsEvaluator(read_sts(config.eval_data)) if config.eval_data else None
    sampler = BatchSampler(datasets, config.batch_size, config.seed)
    train_config = TrainConfig(
        output=config.output, steps=_steps(config, datasets), lr=config.lr, warmup_steps=config.warmup_steps,
        weight_decay=config.weight_decay, max_grad_norm=config.max_grad_norm, seed=config.seed,
        checkpoint_every=config.checkpoint_every, eval_every=config.eval_every, device=config.device,
        extra={"model": config.model, "teacher": config.teacher, "data": [d.path for d in config.data]},
    )  # fmt: skip
    return Trainer(model, objective, sampler, train_config, evaluator, callbacks)


def _finish(trainer: Trainer, config: RunConfig, resume: bool, progress: bool) -> Path:
    model = trainer.train(resume=resume, progress=progress)
    if trainer.evaluator is not None:
        trainer.evaluate()
    return save_model(model, Path(config.output) / "final")


def run_train(config: RunConfig, resume: bool = True, progress: bool = False,
              callbacks: list[StepCallback] | None = None) -> Path:  # fmt: skip
    """Contrastive fine-tuning (MNRL, cached when mini_batch_size is set); returns the saved model folder."""
    datasets = [load_dataset(d.path, d.weight) for d in config.data]
    model = _load_model(config.model, config.max_seq_length)
    objective = ContrastiveObjective(config.scale, config.symmetric, config.mini_batch_size)
    return _finish(_trainer(config, model, objective, datasets, callbacks), config, resume, progress)


def run_distill(config: RunConfig, resume: bool = True, progress: bool = False,
                callbacks: list[StepCallback] | None = None) -> Path:  # fmt: skip
    """Distil `teacher` into the student `model` on the sentences of the data files; returns the saved folder."""
    if config.model is None:
        raise InputError("distillation needs a student model (e.g. one made by `minilm prune`)")
    datasets = as_sentences([load_dataset(d.path, d.weight) for d in config.data])
    student = _load_model(config.model, config.max_seq_length)
    teacher = _load_model(config.teacher, config.max_seq_length)
    objective = DistillObjective.from_teacher(teacher, sentences_of(datasets))
    del teacher
    return _finish(_trainer(config, student, objective, datasets, callbacks), config, resume, progress)
