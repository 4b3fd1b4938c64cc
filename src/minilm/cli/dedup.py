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
    parser.add_argument("--prefilter", choices=("static",), default=None, help="candidates by the static model "
                        "--static (at threshold - --margin), confirmed by the model's cosine (-i only)")  # fmt: skip
    parser.add_argument("--static", default=None, help="static model folder for --prefilter static")
    parser.add_argument("--margin", type=float, default=0.1, help="--prefilter's margin (default 0.1)")
    parser.add_argument("--neighbors", type=int, default=None, metavar="K", help="--prefilter's candidates only "
                        "between mutual K-nearest static neighbours (default: all above the margin)")  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.index.dedup import near_duplicates

    if args.prefilter:
        ids, texts, found, vectors = prefiltered(args)
    else:
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


def prefiltered(args: argparse.Namespace) -> tuple[list[str], list[str], Any, Any]:
    """--prefilter static: (ids, texts, Duplicates, the model's vectors of the texts in a pair)."""
    from minilm.cli.collection import check_output, load_model, read_records
    from minilm.errors import InputError
    from minilm.loading import load
    from minilm.static import StaticModel
    from minilm.static.prefilter import prefiltered_duplicates

    if args.index or not args.static:
        raise InputError("--prefilter static needs -i FILE (not --index) and --static FOLDER (minilm distill-static)")
    check_output(args.output)
    static = load(args.static)
    if not isinstance(static, StaticModel):
        raise InputError(f"--static {args.static} is not a static model folder (minilm distill-static)")
    records = list(read_records(args.input, args.format, args.field, args.id_field))
    texts = [r.text for r in records]
    found, vectors = prefiltered_duplicates(load_model(args), static, texts, args.threshold, args.margin, args.method,
                                            args.neighbors)  # fmt: skip
    return [r.id for r in records], texts, found, vectors
