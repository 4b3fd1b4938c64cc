"""`minilm dedup`: near-duplicate groups above a cosine threshold, with a representative per group."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from minilm.cli.collection import add_collection_options, load_collection, write_rows
from minilm.cli.options import cosine

COLUMNS = ["group", "id", "representative", "is_representative", "similarity", "text"]


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("dedup", help="find near-duplicate groups",
                            description="Group texts whose cosine similarity is at least --threshold.")  # fmt: skip
    add_collection_options(parser)
    parser.add_argument("-t", "--threshold", type=cosine, default=0.9, help="cosine threshold (default 0.9)")
    parser.add_argument("--pairs", action="store_true", help="write the pairs (id_a, id_b, similarity) instead")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.index.dedup import near_duplicates

    ids, texts, vectors = load_collection(args)
    found = near_duplicates(vectors, args.threshold, args.method, show_progress=None)
    if args.pairs:
        rows = [{"id_a": ids[a], "id_b": ids[b], "similarity": round(s, 6)} for a, b, s in found.pairs]
        write_rows(args.output, rows, ["id_a", "id_b", "similarity"])
    else:
        rows = []
        for g, members in enumerate(found.groups):
            rep = members[0]
            for m in members:
                sim = float(vectors[m] @ vectors[rep])
                rows.append({"group": g, "id": ids[m], "representative": ids[rep], "is_representative": m == rep,
                             "similarity": round(sim, 6), "text": texts[m]})  # fmt: skip
        write_rows(args.output, rows, COLUMNS)
    dupes = sum(len(g) - 1 for g in found.groups)
    print(f"{len(found.groups)} groups, {dupes} duplicates of {len(ids)} texts", file=sys.stderr)
    return 0
