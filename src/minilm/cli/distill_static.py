"""`minilm distill-static`: a static model in the model's own vector space (numpy inference; model2vec's layout)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from minilm.checkpoint.known import DEFAULT_MODEL


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "distill-static", help="distil a static model (token vectors in the model's space) from a model",
        description="Every vocabulary token through the model, SIF token weights, then a ridge fit of the static "
        "sentence vectors to the model's own on local training texts (STS-B train, MSRP train, the SciFact "
        "corpus from the data root, and/or --texts files). Writes a folder that minilm.load and model2vec load.",
    )  # fmt: skip
    parser.add_argument("output", help="folder to write (config.json, model.safetensors, tokenizer.json)")
    parser.add_argument("--model", default=None, help=f"model to distil (default: {DEFAULT_MODEL})")
    parser.add_argument("--texts", nargs="*", default=None, help="text files, one training text a line (default: "
                        "the data root's training texts)")  # fmt: skip
    parser.add_argument("--data", default=None, help="data root (default: $MINILM_EVAL_DATA, else ../shared/data)")
    parser.add_argument("--no-fit", action="store_true", help="keep the weighted vocabulary pass, no fit")
    parser.add_argument("--ridge", type=float, default=None, help="ridge strength toward the vocabulary pass")
    parser.add_argument("--engine", default="auto", help="engine for the model's passes (default: auto)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from minilm.errors import InputError
    from minilm.extras import require
    from minilm.loading import load
    from minilm.static.corpus import training_texts
    from minilm.static.distill import RIDGE, distill_to_folder

    require("static", "minilm distill-static")
    if args.texts:
        texts: list[str] = []
        for name in args.texts:
            try:
                texts += [line for line in Path(name).read_text(encoding="utf-8").splitlines() if line.strip()]
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"--texts {name}: {exc}") from None
    else:
        texts = [t for source in training_texts(args.data).values() for t in source]
    texts = list(dict.fromkeys(texts))
    teacher = load(args.model, engine=args.engine)
    ridge = RIDGE if args.ridge is None else args.ridge
    folder, report = distill_to_folder(teacher, texts, args.output, fit=not args.no_fit, lam=ridge)
    summary = {"folder": str(folder), "texts": report.texts, "tokens_fitted": report.tokens_seen,
               "seconds": {k: round(v, 1) for k, v in report.seconds.items()}}  # fmt: skip
    print(json.dumps(summary))
    print(f"saved the static model to {folder}", file=sys.stderr)
    return 0
