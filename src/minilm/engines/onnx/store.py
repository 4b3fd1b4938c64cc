"""Built graphs cached on disk, keyed by the weights' sha256 and the graph's variant.

<minilm home>/onnx/<sha256>-<variant>-v<GRAPH_VERSION>.onnx, written by minilm.files.atomic_write (a temporary
file in the same folder renamed into place), so a reader never sees half a graph and two processes building at
once are safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import onnx

from minilm.checkpoint.cache import minilm_home
from minilm.files import write_bytes_atomic

log = logging.getLogger(__name__)

GRAPH_VERSION = 2  # bump when graph.py or quantize.py changes what they write


def graph_path(sha256: str, variant: str) -> Path:
    """Where the graph of these weights in this variant is (or will be) cached."""
    return minilm_home() / "onnx" / f"{sha256}-{variant}-v{GRAPH_VERSION}.onnx"


def cached(sha256: str, variant: str, make: Callable[[], onnx.ModelProto]) -> Path | bytes:
    """The cached graph's path, building and caching it first if needed; its bytes if the cache is unwritable."""
    path = graph_path(sha256, variant)
    if path.is_file():
        return path
    log.info("building the %s ONNX graph for weights %s", variant, sha256[:12])
    graph = make().SerializeToString()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, graph)
    except OSError as exc:
        log.warning("could not cache the ONNX graph at %s (%s); it will be rebuilt next time", path, exc)
        return graph
    return path
