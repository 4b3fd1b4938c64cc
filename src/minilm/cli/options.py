"""Arguments shared by the commands: loading a model, checked numbers, and where output goes."""

from __future__ import annotations

import argparse
from pathlib import Path

from minilm.encoder import Encoder
from minilm.errors import InputError

DATA_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".txt", ".npy")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-m",
        "--model",
        default=None,
        help="model folder or hub name (default: sentence-transformers/all-MiniLM-L6-v2)",
    )
    parser.add_argument("-e", "--engine", default="auto", help="engine: auto (fastest installed) or a name")
    parser.add_argument("--threads", type=int, default=None, help="compute threads (engines that set them)")
    parser.add_argument("--device", default=None, help="torch engine: auto (default), cpu, cuda, cuda:N or mps")
    parser.add_argument("--dtype", default=None, help="torch engine: float32 (default), float16 or bfloat16")
    parser.add_argument("--offline", action="store_true", help="never download; fail if the model is absent")


def load_model(args: argparse.Namespace) -> Encoder:
    from minilm.loading import load

    model = args.model
    if model and Path(model).suffix.lower() in DATA_SUFFIXES and not Path(model).is_dir():
        raise InputError(f"-m {model} looks like a data file, not a model folder or hub name; did you mean -i {model}?")
    return load(model, engine=args.engine, threads=args.threads, allow_download=not args.offline,
                device=args.device, dtype=args.dtype)  # fmt: skip


def positive_int(text: str) -> int:
    """argparse type: an int of at least 1."""
    return _int_at_least(text, 1)


def count(text: str) -> int:
    """argparse type: an int of at least 0."""
    return _int_at_least(text, 0)


def _int_at_least(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"{value} is below {low}")
    return value


def cosine(text: str) -> float:
    """argparse type: a cosine similarity threshold in [-1, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not -1.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not a cosine similarity: expected a value in [-1, 1]")
    return value


def check_output(path: str | None) -> None:
    """An output file's folder must exist: a typo in it should not create directories."""
    if path and path != "-" and not Path(path).parent.is_dir():
        raise InputError(f"-o {path}: the folder {Path(path).parent} does not exist; create it first")
