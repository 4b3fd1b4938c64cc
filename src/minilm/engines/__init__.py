"""Engines: interchangeable implementations of the BERT forward pass behind one contract (base.Engine).

`create(kind, checkpoint)` builds one; "auto" picks the fastest engine whose dependencies are installed.
Engines register a factory in ENGINES and, if they should be tried by "auto", in AUTO_ORDER. Options beyond
threads (the torch engine's device and dtype) are listed in ENGINE_OPTIONS; any other engine given one refuses.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from minilm.engines.base import Checkpoint, Engine
from minilm.errors import InputError, MissingExtraError

log = logging.getLogger(__name__)

EngineFactory = Callable[..., Engine]  # (checkpoint, threads, **options) -> Engine

# name -> "module:callable" so that an engine's heavy imports happen only when it is picked.
ENGINES: dict[str, str] = {
    "numpy": "minilm.engines.numpy_bert:NumpyEngine.from_checkpoint",
    "onnx": "minilm.engines.onnx.engine:OnnxEngine.from_checkpoint",
    "onnx-int8": "minilm.engines.onnx.engine:OnnxEngine.int8_from_checkpoint",
    "torch": "minilm.engines.torch_engine.engine:TorchEngine.from_checkpoint",
    "openvino": "minilm.engines.openvino.engine:OpenVinoEngine.from_checkpoint",
    "openvino-bf16": "minilm.engines.openvino.engine:OpenVinoEngine.bf16_from_checkpoint",
    "openvino-int8": "minilm.engines.openvino.engine:OpenVinoEngine.int8_from_checkpoint",
    "int8": "minilm.engines.int8:create",  # alias: the fastest int8 engine installed (engines/int8.py)
}
# onnx (fp32, within 1e-5 of numpy) first; int8 changes the vectors, so it is only ever picked by name.
AUTO_ORDER: list[str] = ["onnx", "numpy"]
# Options an engine takes besides threads; "auto" given any of them means the engine that takes them.
ENGINE_OPTIONS: dict[str, tuple[str, ...]] = {"torch": ("device", "dtype")}


def _factory(kind: str) -> EngineFactory:
    module_name, _, attr = ENGINES[kind].partition(":")
    obj: object = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj  # type: ignore[return-value]


def auto_order() -> list[str]:
    """The engines "auto" tries, in order: torch first when it is installed and sees a CUDA device."""
    from minilm.engines.torch_engine.devices import gpu_present

    return ["torch", *AUTO_ORDER] if gpu_present() else AUTO_ORDER


def _engine_for(kind: str, given: dict[str, str]) -> str:
    """The engine to build: "auto" with options means the engine that takes them; options an engine does not
    take raise InputError (never silently ignored)."""
    if kind == "auto" and given:
        takers = [k for k, names in ENGINE_OPTIONS.items() if set(given) <= set(names)]
        if not takers:
            raise InputError(f"no engine takes all of {sorted(given)}; see minilm.engines.ENGINE_OPTIONS")
        return takers[0]
    if kind in ENGINES and set(given) - set(ENGINE_OPTIONS.get(kind, ())):
        unknown = ", ".join(f"{key}={value!r}" for key, value in given.items())
        takes = ", ".join(f"{k} ({'/'.join(names)})" for k, names in ENGINE_OPTIONS.items())
        raise InputError(f"engine {kind!r} does not take {unknown}; only these engines do: {takes}")
    return kind


def create(kind: str, checkpoint: Checkpoint, threads: int | None = None, **options: str | None) -> Engine:
    """Build the engine `kind` ("auto", or a name in ENGINES) for a checkpoint.

    options: engine-specific settings (ENGINE_OPTIONS; None means the engine's default). With "auto", giving
    one picks the engine that takes it (device="cuda" means the torch engine).
    """
    given = {key: value for key, value in options.items() if value is not None}
    kind = _engine_for(kind, given)
    if kind == "auto":
        for candidate in auto_order():
            try:
                return _factory(candidate)(checkpoint, threads)
            except (ImportError, MissingExtraError) as exc:
                log.info("engine %s unavailable (%s); trying the next", candidate, exc)
        raise MissingExtraError("no engine could be created")
    if kind not in ENGINES:
        raise InputError(f"engine {kind!r} is unknown; expected 'auto' or one of {sorted(ENGINES)}")
    return _factory(kind)(checkpoint, threads, **given)


__all__ = ["AUTO_ORDER", "ENGINES", "ENGINE_OPTIONS", "Checkpoint", "Engine", "auto_order", "create"]
