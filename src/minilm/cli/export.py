"""`minilm export`: the model in another runtime's files (ONNX ...), with a manifest of parity (docs/export.md)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from minilm.checkpoint.known import DEFAULT_MODEL


def add_parser(sub: Any) -> None:
    from minilm.export import FORMATS

    parser = sub.add_parser("export", help="write the model in another runtime's format, with a parity manifest")
    parser.add_argument("out", metavar="DIR", help="output folder (empty, or any with --force)")
    parser.add_argument("--format", required=True, help=f"one of: {', '.join(FORMATS)}")
    parser.add_argument("-m", "--model", default=None, help=f"model name or folder (default: {DEFAULT_MODEL})")
    parser.add_argument("--precision", default=None, help="the format's precision (default: its first): "
                        + "; ".join(f"{name}: {', '.join(f.precisions)}" for name, f in FORMATS.items()))  # fmt: skip
    parser.add_argument("--check", action="store_true", help="measure parity with the format's consumer")
    parser.add_argument("--force", action="store_true", help="write into a non-empty folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.export import export

    manifest = export(args.out, args.format, args.model, args.precision, args.check, args.force)
    print(json.dumps({"out": args.out, "format": manifest.format, "precision": manifest.precision,
                      "checks": [vars(c) for c in manifest.checks]}))  # fmt: skip
    return 0
