"""`minilm encode -i INPUT -o DIR/`: the bulk (streaming, resumable, optionally Ray) form of `minilm encode`.

Taken when the output is a shard directory (minilm.io.writers.output_format: an existing directory, a path
ending in "/" or without an extension, or --to shards). The rows are read by the same reader, with the same
ids, and written in the same Parquet schema as `-o FILE.parquet`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

BULK_ONLY = ("shard_size", "ray", "actors", "overwrite")


def add_bulk_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("bulk encoding (-i FILE|DIR -o DIR/; see docs/bulk.md)")
    group.add_argument("--shard-size", type=int, default=None, help="rows per part-NNNNN.parquet (default 100000)")
    group.add_argument("--with-text", action="store_true",
                       help="store each text in Parquet output (shards or .parquet; index add needs it)")  # fmt: skip
    group.add_argument("--overwrite", action="store_true",
                       help="start a shard directory over in place, whatever settings it was written with")  # fmt: skip
    group.add_argument("--ray", nargs="?", const=True, default=None, metavar="ADDRESS",
                       help="run on a Ray cluster (ADDRESS, else ray.init()'s default: RAY_ADDRESS or a new "
                            "local one)")  # fmt: skip
    group.add_argument("--actors", default=None, metavar="N|MIN:MAX",
                       help="Ray encoder actors, each using --threads cores (default: 1:CPUs/threads)")  # fmt: skip


def file_output_refusal(args: argparse.Namespace, kind: str) -> str | None:
    """The usage error for options that mean nothing for a single-file output of kind `kind`, or None."""
    given = [name for name in BULK_ONLY if getattr(args, name) not in (None, False)]
    if given:
        return f"--{given[0].replace('_', '-')} is for a shard directory (-o DIR/), not {kind} output"
    if args.with_text and kind != "parquet":
        return f"--with-text is for Parquet output (-o FILE.parquet or -o DIR/); {kind} output " + (
            "always has the text" if kind == "jsonl" else "holds the vectors alone"
        )
    return None


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
        ray=args.ray or False, show_progress=args.progress, overwrite=args.overwrite, **options,
    )  # fmt: skip
    state = "resumed, " if result.resumed else ""
    print(f"{result.output_dir}: {result.rows} rows in {result.shards} shards ({state}{result.written} written now)",
          file=sys.stderr)  # fmt: skip
    return 0


def run_into_database(args: argparse.Namespace) -> int:
    """`minilm encode -i INPUT --to URL`: the bulk job into a LanceDB table or Qdrant collection (minilm.sinks)."""
    from minilm.sinks.bulk import DEFAULT_SHARD_SIZE, encode_into
    from minilm.sinks.urls import parse

    refusal = None
    if args.texts or args.input in (None, "-"):
        refusal = "--to URL reads -i FILE|DIR (not texts or stdin): the input is read twice, to count and to encode"
    elif args.output is not None:
        refusal = "give -o PATH or --to URL, not both"
    elif args.ray or args.actors is not None:
        refusal = "--ray and --actors are for a shard directory (-o DIR/), not --to URL"
    elif args.precision != "float32":
        refusal = (
            f"--to URL stores float32 vectors (the databases quantize themselves), not --precision {args.precision}"
        )
    if refusal is not None:
        print(f"minilm encode: error: {refusal}", file=sys.stderr)
        return 2
    parse(args.to)  # a malformed URL is refused before the model loads
    result = encode_into(
        args.input, args.to, field=args.field, id_field=args.id_field,
        shard_size=args.shard_size or DEFAULT_SHARD_SIZE, on_long=args.on_long, model=args.model,
        engine=args.engine, threads=args.threads, batch_size=args.batch_size,
        normalize=False if args.no_normalize else None, format=args.format, show_progress=args.progress,
        overwrite=args.overwrite,
    )  # fmt: skip
    state = "resumed, " if result.resumed else ""
    print(f"{result.url}: {result.rows} rows in {result.shards} shards ({state}{result.written} written now)",
          file=sys.stderr)  # fmt: skip
    return 0
