"""`minilm prune`: a smaller student keeping chosen layers of a model (e.g. 0,2,4 of six); needs the train extra."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from minilm.checkpoint.known import DEFAULT_MODEL
from minilm.errors import InputError


def parse_layers(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--layers {text!r}: expected comma-separated layer indices such as 0,2,4") from None


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("prune", help="keep chosen layers of a model (a student to distil)")
    parser.add_argument("-m", "--model", default=None, help=f"source model (default: {DEFAULT_MODEL})")
    parser.add_argument("--layers", required=True, help="layers to keep, in order, e.g. 0,2,4")
    parser.add_argument("-o", "--output", required=True, help="folder for the pruned model")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.checkpoint import resolve
    from minilm.train.prune import prune

    layers = parse_layers(args.layers)
    out = prune(resolve(args.model).path, layers, args.output)
    print(f"wrote a {len(layers)}-layer model (layers {','.join(map(str, layers))}) to {out}", file=sys.stderr)
    return 0
