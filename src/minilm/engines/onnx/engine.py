"""The ONNX Runtime engines: the encoder graph built from the weights (graph.py), cached (store.py), run on
explicit threads (session.py). "onnx" is fp32 and matches the numpy engine within 1e-5; "onnx-int8" runs the
quantized graph of quantize.py.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort

from minilm.engines.base import Checkpoint
from minilm.engines.onnx import cpu, store
from minilm.engines.onnx.session import CORES, default_threads, open_session
from minilm.errors import InputError
from minilm.tokenizer import Tokenizer

if TYPE_CHECKING:
    import onnx

log = logging.getLogger(__name__)

# quantize.VARIANTS' recipe names per int8 path of cpu.py (tested equal), kept here for a cheap import
RECIPE_NAMES = {cpu.VNNI: "fused-pc-smooth0.5-apart32", cpu.NO_VNNI: "fused-pc-smooth0.5-apart32-7bit"}
VARIANT_ENV = "MINILM_INT8_VARIANT"  # forces an int8 variant (a key of RECIPE_NAMES) instead of the CPU's own


def int8_variant(variant: str | None = None) -> str:
    """The int8 variant to run: `variant`, else $MINILM_INT8_VARIANT, else the one for this CPU (cpu.int8_path)."""
    chosen = variant or os.environ.get(VARIANT_ENV) or cpu.int8_path()
    if chosen not in RECIPE_NAMES:
        origin = "variant" if variant else VARIANT_ENV
        raise InputError(f"{origin} {chosen!r} is unknown; expected one of {tuple(RECIPE_NAMES)}")
    return chosen


class OnnxEngine:
    """BERT on ONNX Runtime: token ids and lengths in, token states out (base.Engine)."""

    dtype: str  # set on int8 engines only: "int8 (<recipe name>)", shown by Encoder.info()

    def __init__(self, session: ort.InferenceSession, name: str, threads: int):
        self.session = session
        self.name = name
        self._threads = threads

    @property
    def threads(self) -> int | None:
        return self._threads

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, threads: int | None = None) -> OnnxEngine:
        """The fp32 engine: the fused-layout graph of these weights, from the cache or built and cached now."""
        config = checkpoint.folder.config.bert

        def make() -> onnx.ModelProto:
            from minilm.engines.onnx import graph  # onnx is imported only to build: a cached load skips it

            return graph.build(checkpoint.weights, config, fused=True)

        source = store.cached(checkpoint.sha256, "fused", make)
        return cls._open(source, "onnx", threads)

    @classmethod
    def int8_from_checkpoint(cls, checkpoint: Checkpoint, threads: int | None = None,
                             variant: str | None = None) -> OnnxEngine:  # fmt: skip
        """The int8 engine (quantize.VARIANTS[int8_variant(variant)]): built from the fp32 graph, cached like it
        under its recipe's name, so a graph built for one int8 path is never loaded for the other."""
        config = checkpoint.folder.config.bert
        chosen = int8_variant(variant)
        recipe_name = RECIPE_NAMES[chosen]

        def make() -> onnx.ModelProto:
            from minilm.engines.onnx import calibration, quantize

            batches = calibration.batches(Tokenizer.from_folder(checkpoint.folder))
            return quantize.build(checkpoint.weights, config, quantize.VARIANTS[chosen], batches)

        log.info("onnx-int8: %s int8 path, recipe %s", chosen, recipe_name)
        source = store.cached(checkpoint.sha256, f"int8-{recipe_name}", make)
        engine = cls._open(source, "onnx-int8", threads)
        engine.dtype = f"int8 ({recipe_name})"
        return engine

    @classmethod
    def _open(cls, source: Path | bytes, name: str, threads: int | None) -> OnnxEngine:
        if threads is not None and threads < 1:
            raise InputError(f"threads must be a positive int or None, got {threads!r}")
        count = threads or default_threads()
        return cls(open_session(source, count), name, count)

    def forward(self, input_ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": np.ascontiguousarray(input_ids, np.int64), "lengths": np.asarray(lengths, np.int64)}
        with CORES.hold(self._threads, self.session):  # runs of other sessions wait for their cores
            return self.session.run(["states"], feeds)[0]  # (B, T, H)
