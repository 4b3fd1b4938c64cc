"""`minilm mine-paraphrases`: the most similar pairs of texts in a collection."""

from __future__ import annotations

import argparse
from typing import Any

from minilm.cli.collection import add_collection_options, load_collection, write_rows
from minilm.cli.options import positive_int


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("mine-paraphrases", help="top paraphrase pairs",
                            description="The most similar pairs of texts, best first.")  # fmt: skip
    add_collection_options(parser)
    parser.add_argument("--top", type=positive_int, default=100, help="pairs to output (default 100)")
    parser.add_argument("--per-item", type=positive_int, default=10, help="neighbours considered per text (default 10)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.index.dedup import paraphrase_pairs

    ids, texts, vectors = load_collection(args)
    rows = [
        {"id_a": ids[a], "id_b": ids[b], "similarity": round(s, 6), "text_a": texts[a], "text_b": texts[b]}
        for a, b, s in paraphrase_pairs(vectors, args.top, args.per_item, args.method, show_progress=None)
    ]
    write_rows(args.output, rows, ["id_a", "id_b", "similarity", "text_a", "text_b"])
    return 0
