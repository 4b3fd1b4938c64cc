"""Engines: interchangeable implementations of the BERT forward pass behind one contract (base.Engine).

`create(kind, checkpoint)` builds one; "auto" picks the fastest engine whose dependencies are installed.
Engines register a factory in ENGINES and, if they should be tried by "auto", in AUTO_ORDER.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from minilm.engines.base import Checkpoint, Engine
from minilm.errors import InputError, MissingExtraError

log = logging.getLogger(__name__)

EngineFactory = Callable[[Checkpoint, "int | None"], Engine]

# name -> "module:callable" so that an engine's heavy imports happen only when it is picked.
ENGINES: dict[str, str] = {
    "numpy": "minilm.engines.numpy_bert:NumpyEngine.from_checkpoint",
    "onnx": "minilm.engines.onnx.engine:OnnxEngine.from_checkpoint",
    "onnx-int8": "minilm.engines.onnx.engine:OnnxEngine.int8_from_checkpoint",
    "openvino": "minilm.engines.openvino.engine:OpenVinoEngine.from_checkpoint",
    "openvino-bf16": "minilm.engines.openvino.engine:OpenVinoEngine.bf16_from_checkpoint",
    "openvino-int8": "minilm.engines.openvino.engine:OpenVinoEngine.int8_from_checkpoint",
    "int8": "minilm.engines.int8:create",  # alias: the fastest int8 engine installed (engines/int8.py)
}
# onnx (fp32, within 1e-5 of numpy) first; int8 changes the vectors, so it is only ever picked by name.
AUTO_ORDER: list[str] = ["onnx", "numpy"]


def _factory(kind: str) -> EngineFactory:
    module_name, _, attr = ENGINES[kind].partition(":")
    obj: object = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj  # type: ignore[return-value]


def create(kind: str, checkpoint: Checkpoint, threads: int | None = None) -> Engine:
    """Build the engine `kind` ("auto", or a name in ENGINES) for a checkpoint."""
    if kind == "auto":
        for candidate in AUTO_ORDER:
            try:
                return _factory(candidate)(checkpoint, threads)
            except (ImportError, MissingExtraError) as exc:
                log.info("engine %s unavailable (%s); trying the next", candidate, exc)
        raise MissingExtraError("no engine could be created")
    if kind not in ENGINES:
        raise InputError(f"engine {kind!r} is unknown; expected 'auto' or one of {sorted(ENGINES)}")
    return _factory(kind)(checkpoint, threads)


__all__ = ["AUTO_ORDER", "ENGINES", "Checkpoint", "Engine", "create"]
