"""`minilm index create|add|update|delete|list|stats|export|reindex-lexical`: manage an index directory."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from minilm.cli.options import add_model_options, count, load_model
from minilm.errors import InputError
from minilm.extras import require
from minilm.io.readers import FORMATS, Record, read_records

ADD_HELP = """Add documents from arguments or a file. A row's id comes from --id-field; a row without one (or
with null or "") gets the first 16 hex digits of its text's sha256, so the same text is never stored twice and
two files never overwrite each other. `add` refuses ids already stored with other content unless --replace is
given; `update` replaces documents that must already be stored."""


EXPORT_HELP = """Write one row per stored chunk into a LanceDB table or a Qdrant collection: id DOC_ID@START, the
float32 vector, doc_id, start, end, the window's text and the document's metadata (see docs/bulk.md)."""


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("index", help="create and change a search index", description=__doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="make a new index directory")
    create.add_argument("path")
    create.add_argument("--storage", choices=("float32", "int8", "binary"), default="float32",
                        help="vectors in the search structure (float32 always kept for rescoring)")  # fmt: skip
    create.add_argument("--search", choices=("auto", "exact", "hnsw"), default="auto")
    create.add_argument("--no-chunk", action="store_true", help="embed only each text's first 256 tokens")
    create.add_argument("--overlap", type=count, default=None, help="tokens shared by neighbouring windows (32)")
    add_model_options(create)
    create.set_defaults(func=run_create)

    for name, helptext in (("add", "add documents (never replaces one without --replace)"),
                           ("update", "replace stored documents")):  # fmt: skip
        p = actions.add_parser(name, help=helptext, description=ADD_HELP)
        p.add_argument("path")
        p.add_argument("texts", nargs="*", help="texts instead of --input (ids from their content)")
        p.add_argument("-i", "--input", help="plain lines, .jsonl, .csv, .tsv or .parquet ('-': stdin)")
        p.add_argument("--format", choices=FORMATS, default="auto")
        p.add_argument("--field", default="text", help="JSONL field / CSV column holding the text")
        p.add_argument("--id-field", default="id", help="JSONL field / CSV column holding the id (default: id)")
        if name == "add":
            p.add_argument("--replace", action="store_true",
                           help="replace documents stored under the same ids with other content")  # fmt: skip
        p.set_defaults(func=run_add, update=name == "update")

    actions.choices["add"].add_argument(
        "--vectors", metavar="DIR", help="add a `minilm encode -o DIR --with-text` output without re-embedding"
    )

    delete = actions.add_parser("delete", help="remove documents by id")
    delete.add_argument("path")
    delete.add_argument("ids", nargs="+")
    delete.set_defaults(func=run_delete)

    listing = actions.add_parser("list", help="documents as JSONL (id, chunks, text, metadata)")
    listing.add_argument("path")
    listing.add_argument("--limit", type=count, default=None, help="at most this many documents")
    listing.set_defaults(func=run_list)

    stats = actions.add_parser("stats", help="counts, settings and file sizes as JSON")
    stats.add_argument("path")
    stats.set_defaults(func=run_stats)

    export = actions.add_parser("export", help="copy the chunks (ids, vectors, texts, metadata) into LanceDB or "
                                "Qdrant", description=EXPORT_HELP)  # fmt: skip
    export.add_argument("path")
    export.add_argument("--to", required=True, metavar="URL", help="lancedb://DIR/TABLE, "
                        "qdrant://HOST:PORT/COLLECTION or qdrant+local://DIR/COLLECTION")  # fmt: skip
    export.add_argument("--overwrite", action="store_true", help="replace the table / collection if it has rows")
    export.set_defaults(func=run_export)

    lexical = actions.add_parser("reindex-lexical", help="build the lexical (BM25) side of search from the stored "
                                 "windows (indexes made before it existed)")  # fmt: skip
    lexical.add_argument("path")
    lexical.set_defaults(func=run_reindex_lexical)


def run_create(args: argparse.Namespace) -> int:
    require("index", "minilm index create")  # before the model is loaded
    from minilm.index import Index

    index = Index.create(args.path, load_model(args), storage=args.storage, search=args.search,
                         chunk=not args.no_chunk, overlap=args.overlap)  # fmt: skip
    index.close()
    print(f"created {args.path} ({index.settings['model']}, {args.storage}, search {args.search})", file=sys.stderr)
    return 0


def run_add(args: argparse.Namespace) -> int:
    from minilm.index import Index

    if getattr(args, "vectors", None):
        return run_add_vectors(args)
    if args.texts and args.input:
        print("minilm index: error: give texts as arguments or --input, not both", file=sys.stderr)
        return 2
    records, derived = _records(args)
    with Index.open(args.path, writable=True) as index:
        if args.update:
            done = index.update(records, show_progress=None)
        else:
            done = index.add(records, replace=args.replace, show_progress=None)
    if derived:
        print(f"{derived} documents had no id: each got the first 16 hex digits of its text's sha256 "
              "(see `minilm index list`)", file=sys.stderr)  # fmt: skip
    print(f"added {done.added}, replaced {done.replaced}, unchanged {done.unchanged} documents "
          f"({done.chunks} chunks embedded)", file=sys.stderr)  # fmt: skip
    return 0


def _records(args: argparse.Namespace) -> tuple[list[Record], int]:
    """(records, how many got an id derived from their text): rows without an id, or with a null or empty one,
    never take their row number, which a later file would reuse for other texts."""
    from minilm.index.index import document_id

    rows = [Record(t, "") for t in args.texts] or read_records(args.input, args.format, args.field, None)
    records, derived = [], 0
    for n, row in enumerate(rows):
        given = row.meta.pop(args.id_field, None)
        if isinstance(given, bool) or not isinstance(given, str | int | None):
            raise InputError(f"record {n}: {args.id_field} is {type(given).__name__} {given!r}, expected a str or int")
        if given is None or given == "":
            given, derived = document_id(row.text), derived + 1
        records.append(Record(row.text, str(given), row.meta))
    return records, derived


def run_add_vectors(args: argparse.Namespace) -> int:
    from minilm.index import Index

    if args.texts or args.input:
        print("minilm index: error: give --vectors DIR or texts / --input, not both", file=sys.stderr)
        return 2
    with Index.open(args.path, writable=True) as index:
        done = index.add_vectors(args.vectors)
    print(f"added {done.added}, replaced {done.replaced}, unchanged {done.unchanged} documents "
          f"from {args.vectors} (no embedding)", file=sys.stderr)  # fmt: skip
    return 0


def run_delete(args: argparse.Namespace) -> int:
    from minilm.index import Index

    with Index.open(args.path, writable=True) as index:
        removed = index.delete(args.ids)
    print(f"deleted {removed} of {len(args.ids)} documents", file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from minilm.index import Index

    with Index.open(args.path) as index:
        counts = index.chunk_counts()
        for doc_id, text, meta in index.documents(limit=args.limit):
            row = {"id": doc_id, "chunks": counts.get(doc_id, 0), "text": text, "metadata": meta}
            print(json.dumps(row, ensure_ascii=False))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from minilm.index import Index
    from minilm.sinks.export import export_index
    from minilm.sinks.urls import parse

    parse(args.to)  # a malformed URL is refused before the index opens
    with Index.open(args.path) as index:
        rows = export_index(index, args.to, overwrite=args.overwrite)
    print(f"exported {rows} chunks of {args.path} to {args.to}", file=sys.stderr)
    return 0


def run_reindex_lexical(args: argparse.Namespace) -> int:
    from minilm.index import Index

    with Index.open(args.path, writable=True) as index:  # a writable open builds a missing lexical side
        rows = index.lexical_built if index.lexical_built is not None else index.reindex_lexical()
    print(f"indexed {rows} windows for lexical search in {args.path}", file=sys.stderr)
    return 0


def run_stats(args: argparse.Namespace) -> int:
    from minilm.index import Index

    with Index.open(args.path) as index:
        print(json.dumps(index.stats(), indent=2))
    return 0
