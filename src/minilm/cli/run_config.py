"""Options shared by `minilm train` and `minilm distill`: a YAML/TOML config file with flags on top."""

from __future__ import annotations

import argparse
from dataclasses import MISSING, fields
from typing import Any

from minilm.errors import InputError, MissingExtraError

# flag name -> (type, help); each overrides the config file's key of the same name (dashes -> underscores).
# Defaults are RunConfig's, added to the help when it is shown (DefaultsFromRunConfig).
_FLAGS: dict[str, tuple[Any, str]] = {
    "output": (str, "run folder: checkpoints/, history.jsonl and the final model in final/"),
    "batch-size": (int, "rows per batch"),
    "mini-batch-size": (int, "GradCache mini-batch: texts per forward pass (default: the whole batch)"),
    "steps": (int, "optimizer steps (default: --epochs passes over the rows)"),
    "epochs": (float, "passes over the rows when --steps is not given"),
    "lr": (float, "AdamW learning rate"),
    "warmup-steps": (int, "linear warmup steps"),
    "max-seq-length": (int, "tokens per text in training"),
    "seed": (int, "seed of data order, dropout and init"),
    "checkpoint-every": (int, "steps between checkpoints"),
    "eval-every": (int, "steps between dev-set evaluations, 0: at the end only"),
    "eval-data": (str, "STS dev set: STS-B csv, or a CSV/TSV with sentence1, sentence2, score"),
    "device": (str, "auto (cuda if available), cpu or cuda[:N]"),
}


class DefaultsFromRunConfig(argparse.HelpFormatter):
    """Help that ends each option's text with RunConfig's default for it, read only when help is shown (the
    training modules import torch)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        default = _run_config_defaults().get(action.dest)
        if default is None or isinstance(default, bool) or not action.help or "(default" in action.help:
            return action.help
        shown = f"{default:g}" if isinstance(default, float) else default
        return f"{action.help} (default {shown})"


def _run_config_defaults() -> dict[str, Any]:
    try:
        from minilm.train.runs import RunConfig
    except MissingExtraError:  # without the train extra the command cannot run; its help still shows
        return {}
    return {f.name: f.default for f in fields(RunConfig) if f.default is not MISSING}


def parse_data(spec: str) -> dict[str, Any]:
    """'path' or 'path:weight' -> {path, weight}."""
    path, sep, weight = spec.rpartition(":")
    if sep:
        try:
            return {"path": path, "weight": float(weight)}
        except ValueError:
            pass
    return {"path": spec, "weight": 1.0}


def add_run_parser(sub: Any, name: str, help: str, description: str) -> argparse.ArgumentParser:
    """The parser of a training-run command (`minilm train`, `minilm distill`) with the options they share."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help, description=description)
    add_run_options(parser)
    return parser


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options of a training run, their help showing RunConfig's defaults."""
    parser.formatter_class = DefaultsFromRunConfig
    parser.add_argument("data", nargs="*", help="training files (.jsonl, .csv, .tsv), each optionally PATH:WEIGHT")
    parser.add_argument("-c", "--config", help="a .yaml/.yml or .toml file of run settings (flags override it)")
    for flag, (kind, text) in _FLAGS.items():
        parser.add_argument(f"--{flag}", type=kind, default=None, help=text)
    parser.add_argument("--no-resume", action="store_true", help="start over even if OUTPUT has checkpoints")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                        help="progress bar with loss, throughput and ETA on stderr")  # fmt: skip


def run_config(args: argparse.Namespace, extra: dict[str, Any]) -> Any:
    """The RunConfig of the config file, then the flags, then `extra` (command-specific values that are set)."""
    from minilm.train.runs import RunConfig, read_config_file

    raw: dict[str, Any] = read_config_file(args.config) if args.config else {}
    for flag in _FLAGS:
        key = flag.replace("-", "_")
        if getattr(args, key) is not None:
            raw[key] = getattr(args, key)
    if args.data:
        raw["data"] = [parse_data(d) for d in args.data]
    raw.update({k: v for k, v in extra.items() if v is not None})
    if not raw.get("data"):
        raise InputError("no training data: give files as arguments or 'data' in --config")
    return RunConfig.from_mapping(raw, args.config or "command line")
