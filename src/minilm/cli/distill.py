"""`minilm distill`: train a student to reproduce a teacher's sentence vectors (MSE); needs the train extra."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from minilm.checkpoint.known import DEFAULT_MODEL
from minilm.cli.run_config import add_run_parser, run_config


def add_parser(sub: Any) -> None:
    parser = add_run_parser(
        sub, "distill", "distil a teacher into a (pruned) student on the sentences of the data files",
        "MSE between student and teacher sentence vectors, over every distinct text of the data files. "
        "Writes OUTPUT/final.",
    )  # fmt: skip
    parser.add_argument("--student", required=False, default=None, help="student model folder (see minilm prune)")
    parser.add_argument("--teacher", default=None, help=f"teacher model (default: {DEFAULT_MODEL})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.train.runs import run_distill

    config = run_config(args, {"model": args.student, "teacher": args.teacher})
    final = run_distill(config, resume=not args.no_resume, progress=args.progress)
    print(f"saved the distilled student to {final}", file=sys.stderr)
    return 0
