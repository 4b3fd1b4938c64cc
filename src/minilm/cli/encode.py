"""`minilm encode`: embed texts from arguments, stdin or a file; write .npy, JSONL or Parquet."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from minilm.cli.encode_bulk import add_bulk_options, run_bulk, wants_bulk
from minilm.cli.options import add_model_options, check_output, load_model
from minilm.encoder import ON_LONG
from minilm.io.readers import FORMATS, texts_or_file
from minilm.io.writers import OUTPUT_FORMATS, write
from minilm.precision import PRECISIONS


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "encode",
        help="embed texts",
        description=("Embed texts given as arguments, read from a file (-i), or from stdin (one per line)."),
    )
    parser.add_argument("texts", nargs="*", help="texts to embed (omit to read -i or stdin)")
    parser.add_argument("-i", "--input", help="input file: plain lines, .jsonl, .csv, .tsv or .parquet ('-': stdin)")
    parser.add_argument("--format", choices=FORMATS, default="auto", help="input format (default: by extension)")
    parser.add_argument("--field", default="text", help="JSONL field / CSV column holding the text")
    parser.add_argument("--id-field", default=None, help="JSONL field / CSV column holding an id")
    parser.add_argument(
        "-o", "--output", default=None, help="output file .npy, .jsonl or .parquet (default: JSONL on stdout)"
    )
    parser.add_argument("--to", choices=OUTPUT_FORMATS, default="auto", help="output format (default: by extension)")
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


def run(args: argparse.Namespace) -> int:
    if wants_bulk(args):
        return run_bulk(args)
    records = texts_or_file(args.texts, args.input, args.format, args.field, args.id_field)
    if records is None:
        print("minilm encode: error: give texts as arguments or --input, not both", file=sys.stderr)
        return 2
    check_output(args.output)
    model = load_model(args)
    texts = [r.text for r in records]
    vectors = model.encode(
        texts,
        batch_size=args.batch_size,
        normalize=False if args.no_normalize else None,  # None: as the model's files say
        show_progress=args.progress,
        precision=args.precision,
        on_long=args.on_long,
    )
    write(args.output, args.to, texts, [r.id for r in records], vectors)
    if args.output:
        print(f"wrote {len(texts)} vectors of dimension {model.dimension} to {args.output}", file=sys.stderr)
    return 0
