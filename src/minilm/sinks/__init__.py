"""Vectors straight into a database: LanceDB tables and Qdrant collections named by a URL (see urls.py).

    minilm encode -i corpus.jsonl --to lancedb://vectors/db/docs       # the bulk encoder, resumable
    minilm index export papers --to qdrant+local://qdrant/papers       # an index's windows and vectors

Modules: urls (parsing --to URLs), sink (the Rows / Sink contract), lance and qdrant (the two databases,
each behind its extra), bulk (the bulk encoder into a sink, resumed from the progress record kept there),
export (an index's chunks into a sink). See docs/bulk.md, "Into a database".
"""

from __future__ import annotations

from minilm.extras import require
from minilm.sinks.sink import Rows, Sink
from minilm.sinks.urls import Destination, is_url, parse

EXTRAS = {"lancedb": "lancedb", "qdrant": "qdrant"}

__all__ = ["Destination", "Rows", "Sink", "is_url", "open_sink", "parse"]


def open_sink(url: str, dimension: int, purpose: str) -> Sink:
    """The destination named by `url` for vectors of `dimension`; MissingExtraError naming the install line
    when its client is not installed, InputError for a malformed URL."""
    destination = parse(url)
    require(EXTRAS[destination.kind], purpose)
    if destination.kind == "lancedb":
        from minilm.sinks.lance import LanceSink

        return LanceSink(destination, dimension, purpose)
    from minilm.sinks.qdrant import QdrantSink

    return QdrantSink(destination, dimension, purpose)
