"""Where dedup, cluster and mine-paraphrases take their texts from: a file (embedded now) or an index."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from minilm.cli.options import add_model_options, check_output, load_model
from minilm.io.readers import FORMATS, read_records


def add_collection_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("-i", "--input", help="texts: plain lines, .jsonl, .csv, .tsv or .parquet ('-': stdin)")
    source.add_argument("--index", help="an index directory (its documents' vectors)")
    parser.add_argument("--format", choices=FORMATS, default="auto", help="input format (default: by extension)")
    parser.add_argument("--field", default="text", help="JSONL field / CSV column holding the text")
    parser.add_argument("--id-field", default=None, help="JSONL field / CSV column holding an id")
    parser.add_argument("--method", choices=("auto", "exact", "hnsw"), default="auto",
                        help="neighbour search: exact blocks, HNSW candidates, or by size (default)")  # fmt: skip
    parser.add_argument("-o", "--output", default=None, help="output file .csv or .jsonl (default: JSONL on stdout)")
    add_model_options(parser)


def load_collection(args: argparse.Namespace) -> tuple[list[str], list[str], np.ndarray]:
    """(ids, texts, unit vectors (N, D)); the output folder is checked first, before any work."""
    check_output(args.output)
    if args.index:
        from minilm.index import Index

        with Index.open(args.index) as index:
            ids, vectors = index.doc_vectors()
            by_id = {d: t for d, t, _ in index.documents()}
            return ids, [by_id[d] for d in ids], vectors
    records = list(read_records(args.input, args.format, args.field, args.id_field))
    texts = [r.text for r in records]
    return [r.id for r in records], texts, load_model(args).encode(texts, show_progress=None)


def write_rows(path: str | None, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Rows as CSV (a .csv path) or JSONL (another path, or stdout), written by minilm.io.writers."""
    from minilm.io.writers import write_rows as write

    write(path, rows, columns)
