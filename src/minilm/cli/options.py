"""Arguments shared by the commands that load a model."""

from __future__ import annotations

import argparse

from minilm.encoder import Encoder


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

    return load(args.model, engine=args.engine, threads=args.threads, allow_download=not args.offline,
                device=args.device, dtype=args.dtype)  # fmt: skip
