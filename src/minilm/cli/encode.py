"""`minilm encode`: embed texts from arguments, stdin, a file or a directory; write .npy, JSONL, Parquet or shards.

Every input goes through minilm.io.readers (one id rule) and every output through minilm.io.writers (one
Parquet schema); a shard directory (-o DIR/) is the resumable bulk job of minilm.bulk.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from minilm.cli.encode_bulk import add_bulk_options, file_output_refusal, run_bulk, run_into_database
from minilm.cli.options import add_model_options, check_output, load_model
from minilm.encoder import ON_LONG
from minilm.extras import require
from minilm.io.readers import FORMATS, texts_or_file
from minilm.io.writers import OUTPUT_FORMATS, output_format, write
from minilm.precision import PRECISIONS
from minilm.sinks.urls import is_url


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "encode",
        help="embed texts",
        description=("Embed texts given as arguments, read from a file (-i), or from stdin (one per line)."),
    )
    parser.add_argument("texts", nargs="*", help="texts to embed (omit to read -i or stdin)")
    parser.add_argument("-i", "--input", help="input file (plain lines, .jsonl, .csv, .tsv or .parquet) or a directory "
                        "of them ('-': stdin)")  # fmt: skip
    parser.add_argument("--format", choices=FORMATS, default="auto", help="input format (default: by extension)")
    parser.add_argument("--field", default="text", help="JSONL field / CSV column holding the text")
    parser.add_argument("--id-field", default=None, help="JSONL field / CSV column holding an id")
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        help="output file .npy, .jsonl or .parquet, or a directory DIR/ of Parquet shards (default: JSONL on stdout)",
    )
    parser.add_argument(
        "--to",
        type=output_target,
        default="auto",
        metavar="FORMAT|URL",
        help=f"output format ({', '.join(OUTPUT_FORMATS)}; default: by extension, a directory: shards), or a "
        "database: lancedb://DIR/TABLE, qdrant://HOST:PORT/COLLECTION, qdrant+local://DIR/COLLECTION "
        "(with -i; see docs/bulk.md)",
    )
    parser.add_argument("-b", "--batch-size", type=int, default=32)
    parser.add_argument("--precision", choices=PRECISIONS, default="float32")
    parser.add_argument(
        "--on-long",
        choices=ON_LONG,
        default="truncate",
        help="texts over 256 tokens: truncate (reference), warn, error, or chunk",
    )
    parser.add_argument("--no-normalize", action="store_true", help="keep the raw pooled vectors")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: for large inputs on a terminal)",
    )
    add_model_options(parser)
    add_bulk_options(parser)
    parser.set_defaults(func=run)


def output_target(value: str) -> str:
    """--to: an output format name, or a database URL (minilm.sinks.urls; checked when the command runs)."""
    if value in OUTPUT_FORMATS or is_url(value):
        return value
    raise argparse.ArgumentTypeError(f"invalid choice: {value!r} (choose from {', '.join(OUTPUT_FORMATS)}, or a "
                                     "database URL such as lancedb://DIR/TABLE)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    if is_url(args.to):
        return run_into_database(args)
    kind = output_format(args.output, args.to)
    if kind == "shards":
        return run_bulk(args)
    refusal = file_output_refusal(args, kind)
    if refusal is not None:
        print(f"minilm encode: error: {refusal}", file=sys.stderr)
        return 2
    if args.texts and args.input:
        print("minilm encode: error: give texts as arguments or --input, not both", file=sys.stderr)
        return 2
    check_output(args.output)
    if kind == "parquet":
        require("parquet", f"-o {args.output}")
    records = texts_or_file(args.texts, args.input, args.format, args.field, args.id_field)
    assert records is not None  # texts and --input together were refused above
    model = load_model(args)
    texts = [r.text for r in records]
    vectors, info = model.encode_with_info(
        texts,
        batch_size=args.batch_size,
        normalize=False if args.no_normalize else None,  # None: as the model's files say
        show_progress=args.progress,
        precision=args.precision,
        on_long=args.on_long,
    )
    assert isinstance(vectors, np.ndarray)  # sentence output
    truncated = info.truncated if args.on_long != "chunk" else np.zeros(len(texts), dtype=bool)
    write(args.output, kind, [r.id for r in records], texts, vectors, info.token_counts, truncated,
          args.precision, args.with_text)  # fmt: skip
    if args.output:
        print(f"wrote {len(texts)} vectors of dimension {model.dimension} to {args.output}", file=sys.stderr)
    return 0
