"""`minilm train`: contrastive fine-tuning (MNRL, optionally cached) on pairs/triplets; needs the train extra."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from minilm.checkpoint.known import DEFAULT_MODEL
from minilm.cli.run_config import add_run_parser, run_config


def add_parser(sub: Any) -> None:
    parser = add_run_parser(
        sub, "train", "fine-tune on pairs/triplets (Multiple Negatives Ranking loss)",
        "Fine-tune a sentence model with the all-* recipe. Rows are (anchor, positive[, negatives...]) from "
        "JSONL/CSV/TSV; several files are sampled by weight, one file per batch. Writes OUTPUT/final.",
    )  # fmt: skip
    parser.add_argument("-m", "--model", default=None, help=f"model to fine-tune (default: {DEFAULT_MODEL})")
    parser.add_argument("--symmetric", action="store_true", default=None, help="add the positive -> anchor term")
    parser.add_argument("--scale", type=float, default=None, help="similarity scale")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.train.runs import run_train

    config = run_config(args, {"model": args.model, "symmetric": args.symmetric, "scale": args.scale})
    final = run_train(config, resume=not args.no_resume, progress=args.progress)
    print(f"saved the fine-tuned model to {final}", file=sys.stderr)
    return 0
