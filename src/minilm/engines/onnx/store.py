"""Built graphs cached on disk, keyed by the weights' sha256 and the graph's variant.

<minilm home>/onnx/<sha256>-<variant>-v<GRAPH_VERSION>.onnx. A file is written to a temporary name in the same
folder and renamed into place, so a reader never sees half a graph and two processes building at once are safe.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import onnx

from minilm.checkpoint.cache import minilm_home

log = logging.getLogger(__name__)

GRAPH_VERSION = 2  # bump when graph.py or quantize.py changes what they write


def graph_path(sha256: str, variant: str) -> Path:
    """Where the graph of these weights in this variant is (or will be) cached."""
    return minilm_home() / "onnx" / f"{sha256}-{variant}-v{GRAPH_VERSION}.onnx"


def write_atomic(model: onnx.ModelProto, path: Path) -> None:
    """Serialize model to path through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(model.SerializeToString())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached(sha256: str, variant: str, make: Callable[[], onnx.ModelProto]) -> Path | bytes:
    """The cached graph's path, building and caching it first if needed; its bytes if the cache is unwritable."""
    path = graph_path(sha256, variant)
    if path.is_file():
        return path
    log.info("building the %s ONNX graph for weights %s", variant, sha256[:12])
    model = make()
    try:
        write_atomic(model, path)
    except OSError as exc:
        log.warning("could not cache the ONNX graph at %s (%s); it will be rebuilt next time", path, exc)
        return model.SerializeToString()
    return path
