"""`minilm search INDEX "query"`: ranked hits with score, id, span and snippet."""

from __future__ import annotations

import argparse
import json
from typing import Any

from minilm.cli.options import positive_int
from minilm.errors import InputError

SNIPPET = 120


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("search", help="search an index", description="Rank an index's documents for a query.")
    parser.add_argument("index", help="index directory")
    parser.add_argument("query", help="query text")
    parser.add_argument("-k", "--top-k", type=positive_int, default=10, help="hits to return (default 10)")
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="keep documents whose metadata FIELD equals VALUE (JSON, else a string); repeatable",
    )
    parser.add_argument(
        "--search",
        choices=("exact", "hnsw"),
        default=None,
        help="exact: scan every vector (any index); hnsw: the graph (an index built with one)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per hit")
    parser.set_defaults(func=run)


def parse_where(items: list[str]) -> dict[str, Any]:
    where: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise InputError(f"--where {item!r}: expected FIELD=VALUE")
        try:
            where[name] = json.loads(raw)
        except json.JSONDecodeError:
            where[name] = raw
    return where


def run(args: argparse.Namespace) -> int:
    from minilm.index import Index

    with Index.open(args.index) as index:
        hits = index.search(args.query, k=args.top_k, where=parse_where(args.where) or None, search=args.search)
    for rank, hit in enumerate(hits, 1):
        if args.json:
            row = {"rank": rank, "id": hit.doc_id, "score": round(hit.score, 6), "start": hit.start, "end": hit.end}
            print(json.dumps({**row, "text": hit.text, "metadata": hit.metadata}, ensure_ascii=False))
        else:
            snippet = " ".join(hit.text.split())
            snippet = snippet if len(snippet) <= SNIPPET else snippet[: SNIPPET - 1] + "…"
            print(f"{rank}\t{hit.score:.4f}\t{hit.doc_id}\t{hit.start}:{hit.end}\t{snippet}")
    return 0
