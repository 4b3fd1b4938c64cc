"""`minilm info`: the model, its source path, the weights' digest, the engine and its threads."""

from __future__ import annotations

import argparse
import json
from typing import Any

from minilm.cli.options import add_model_options, load_model


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("info", help="show the loaded model, its files, digest and engine")
    add_model_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    info = load_model(args).info()
    if args.json:
        print(json.dumps(info))
    else:
        width = max(len(k) for k in info)
        for key, value in info.items():
            print(f"{key:<{width}}  {'default' if value is None else value}")
    return 0
