"""`minilm search INDEX "query"`: ranked hits with score, id, span and snippet.

The table shows ids and texts with control characters escaped (`\\x1b`, `\\n`, ...; a backslash as `\\\\`), so a
stored text can neither drive the terminal (colours, title, clearing) nor forge a row; `--json` prints them
exactly, as JSON strings."""

from __future__ import annotations

import argparse
import json
import unicodedata
from typing import Any

from minilm.cli.options import positive_int
from minilm.errors import InputError

SNIPPET = 120


def terminal_safe(text: str) -> str:
    """`text` for one cell of a terminal table: backslashes, C0/C1 controls and every other format or
    separator character (bidi overrides, line separators) written as Python escapes."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") and char != "\u200d":
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


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
    parser.add_argument(
        "--mode",
        choices=("dense", "lexical", "hybrid"),
        default="dense",
        help="dense: by vectors (score: cosine); lexical: by BM25 over the words (score: BM25); hybrid: both, "
        "fused by reciprocal rank (score: the fused score)",
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
        hits = index.search(args.query, k=args.top_k, where=parse_where(args.where) or None, search=args.search,
                            mode=args.mode)  # fmt: skip
    for rank, hit in enumerate(hits, 1):
        if args.json:
            row = {"rank": rank, "id": hit.doc_id, "score": round(hit.score, 6), "start": hit.start, "end": hit.end}
            print(json.dumps({**row, "text": hit.text, "metadata": hit.metadata}, ensure_ascii=False))
        else:
            snippet = " ".join(hit.text.split())
            snippet = snippet if len(snippet) <= SNIPPET else snippet[: SNIPPET - 1] + "…"
            print(
                f"{rank}\t{hit.score:.4f}\t{terminal_safe(hit.doc_id)}\t{hit.start}:{hit.end}\t{terminal_safe(snippet)}"
            )
    return 0
