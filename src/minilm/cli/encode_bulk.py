"""`minilm encode -i INPUT -o DIR/`: the bulk (streaming, resumable, optionally Ray) form of `minilm encode`.

Taken when -o (without --to) names a directory (an existing one, one ending in "/", or a path without
an extension), when -i is a directory, or when a bulk-only option (--shard-size, --with-text, --ray, --actors) is given.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def add_bulk_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("bulk encoding (-i FILE|DIR -o DIR/; see docs/bulk.md)")
    group.add_argument("--shard-size", type=int, default=None, help="rows per part-NNNNN.parquet (default 100000)")
    group.add_argument("--with-text", action="store_true", help="store each text in the shards (needed by index add)")
    group.add_argument("--ray", nargs="?", const=True, default=None, metavar="ADDRESS",
                       help="run on a Ray cluster (ADDRESS, else ray.init()'s default: RAY_ADDRESS or a new "
                            "local one)")  # fmt: skip
    group.add_argument("--actors", default=None, metavar="N|MIN:MAX",
                       help="Ray encoder actors, each using --threads cores (default: 1:CPUs/threads)")  # fmt: skip


def wants_bulk(args: argparse.Namespace) -> bool:
    """Whether this `minilm encode` call is a bulk job (see the module docstring)."""
    if args.shard_size is not None or args.with_text or args.ray is not None or args.actors is not None:
        return True
    if args.input in (None, "-") or args.output in (None, "-") or args.to != "auto":
        return False
    output = str(args.output)
    if os.path.isdir(args.input) or os.path.isdir(output) or output.endswith("/"):
        return True
    return os.path.splitext(output)[1] == ""


def run_bulk(args: argparse.Namespace) -> int:
    from minilm.bulk import encode_files
    from minilm.bulk.job import DEFAULT_SHARD_SIZE
    from minilm.bulk.ray_runner import parse_actors

    if args.texts or args.input in (None, "-") or args.output in (None, "-"):
        print("minilm encode: error: bulk encoding reads -i FILE|DIR and writes -o DIR (not texts or stdin)",
              file=sys.stderr)  # fmt: skip
        return 2
    options: dict[str, Any] = {}
    if args.actors is not None:
        options["actors"] = parse_actors(args.actors)
    result = encode_files(
        args.input, args.output, field=args.field, id_field=args.id_field,
        shard_size=args.shard_size or DEFAULT_SHARD_SIZE, on_long=args.on_long, precision=args.precision,
        with_text=args.with_text, model=args.model, engine=args.engine, threads=args.threads,
        batch_size=args.batch_size, normalize=False if args.no_normalize else None, format=args.format,
        ray=args.ray or False, show_progress=args.progress, **options,
    )  # fmt: skip
    state = "resumed, " if result.resumed else ""
    print(f"{result.output_dir}: {result.rows} rows in {result.shards} shards ({state}{result.written} written now)",
          file=sys.stderr)  # fmt: skip
    return 0
