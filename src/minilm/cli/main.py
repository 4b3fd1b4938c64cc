"""Entry point of the `minilm` command: dispatches to one module per command group.

Each module in COMMANDS defines `add_parser(subparsers)` (which sets `func` on its parser) and a run
function. Data goes to stdout; progress and errors go to stderr, errors without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from minilm import progress
from minilm.errors import MinilmError

COMMANDS = ["encode", "info", "download", "serve", "index", "search", "dedup", "cluster", "mine_paraphrases", "eval",
            "train", "prune", "distill", "distill_static", "export"]  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minilm", description="all-MiniLM-L6-v2 sentence embeddings")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars (none either when stderr "
                        "is not a terminal)")  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"minilm.cli.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 runtime error, 2 usage error)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    progress.quiet(args.quiet)
    try:
        return int(args.func(args) or 0)
    except MinilmError as exc:
        print(f"minilm {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
