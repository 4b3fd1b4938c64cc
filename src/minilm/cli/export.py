"""`minilm export`: the model in another runtime's files (ONNX ...), with a manifest of parity (docs/export.md)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from minilm.checkpoint.known import DEFAULT_MODEL


def add_parser(sub: Any) -> None:
    from minilm.export import FORMATS

    parser = sub.add_parser("export", help="write the model in another runtime's format, with a parity manifest")
    parser.add_argument("out", metavar="DIR", help="output folder (empty, or any with --force); `minilm export web "
                        "DIR` writes the browser folder (docs/web.md)")  # fmt: skip
    parser.add_argument("web_dir", nargs="?", metavar="WEB_DIR", help=argparse.SUPPRESS)
    parser.add_argument("--format", default=None, help=f"one of: {', '.join(FORMATS)} (required but for web)")
    parser.add_argument("-m", "--model", default=None, help=f"model name or folder (default: {DEFAULT_MODEL})")
    parser.add_argument("--precision", default=None, help="the format's precision (default: its first): "
                        + "; ".join(f"{name}: {', '.join(f.precisions)}" for name, f in FORMATS.items()))  # fmt: skip
    parser.add_argument("--check", action="store_true", help="measure parity with the format's consumer")
    parser.add_argument("--force", action="store_true", help="write into a non-empty folder")
    parser.add_argument("--index", default=None, help="web: an index directory the page searches")
    parser.add_argument("--storage", default=None, help="web: the exported index's codes, int8 or binary")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.errors import InputError
    from minilm.export import export

    if args.out == "web" and args.web_dir is not None:
        return run_web(args)
    if args.web_dir is not None:
        raise InputError(f"one output folder expected, got {args.out} and {args.web_dir} (for the browser folder: "
                         "minilm export web DIR)")  # fmt: skip
    if args.format is None or args.index is not None or args.storage is not None:
        raise InputError("--format is required (--index and --storage are for minilm export web DIR)")
    manifest = export(args.out, args.format, args.model, args.precision, args.check, args.force)
    print(json.dumps({"out": args.out, "format": manifest.format, "precision": manifest.precision,
                      "checks": [vars(c) for c in manifest.checks]}))  # fmt: skip
    return 0


def run_web(args: argparse.Namespace) -> int:
    from minilm.errors import InputError
    from minilm.export.web import PRECISIONS, export_web

    if args.format is not None or args.check:
        raise InputError("minilm export web takes no --format or --check (its parity is tested in Chromium)")
    manifest = export_web(args.web_dir, model=args.model, precision=args.precision or PRECISIONS[0],
                          index=args.index, storage=args.storage, force=args.force)  # fmt: skip
    print(json.dumps({"out": args.web_dir, "format": "web", "precision": manifest["precision"],
                      "bytes_without_index": manifest["bytes_without_index"], "index": manifest["index"]}))  # fmt: skip
    return 0
