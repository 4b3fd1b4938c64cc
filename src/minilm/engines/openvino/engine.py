"""The OpenVINO engines behind base.Engine: "openvino" (fp32), "openvino-bf16" (bf16 inference precision, for
CPUs with AMX), "openvino-int8" (quantize.RECIPE). openvino is imported only when one is created, so that a
missing extra raises MissingExtraError naming the install.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from minilm.engines.base import Checkpoint
from minilm.engines.onnx import store as onnx_store
from minilm.engines.onnx.session import default_threads
from minilm.engines.openvino import require
from minilm.errors import InputError
from minilm.tokenizer import Tokenizer

if TYPE_CHECKING:
    import onnx
    import openvino as ov

    from minilm.engines.openvino.runtime import Runner

log = logging.getLogger(__name__)

# quantize.RECIPE's name (tested equal), kept here for a cheap import
RECIPE_NAME = "static-sq0.5-attnout-down-fp32"
NO_VNNI_NOTE = (
    "openvino-int8 on an x86 CPU without VNNI: OpenVINO's int8 kernels run slower than its fp32 ones here, so "
    "this engine is slower than the fp32 'openvino' engine (docs/int8.md); engine='int8' picks the faster onnx-int8"
)


class OpenVinoEngine:
    """BERT compiled by OpenVINO for the CPU: token ids and lengths in, token states out (base.Engine)."""

    def __init__(self, runner: Runner, name: str):
        self.runner = runner
        self.name = name

    @property
    def threads(self) -> int | None:
        return self.runner.threads

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, threads: int | None = None) -> OpenVinoEngine:
        """The fp32 engine: the plain ONNX graph of these weights (cached by engines/onnx/store.py)."""
        return cls._fp32(checkpoint, threads, "f32", "openvino")

    @classmethod
    def bf16_from_checkpoint(cls, checkpoint: Checkpoint, threads: int | None = None) -> OpenVinoEngine:
        """The same graph run in bf16: faster only on CPUs with AMX (elsewhere bf16 is emulated, and slower)."""
        return cls._fp32(checkpoint, threads, "bf16", "openvino-bf16")

    @classmethod
    def _fp32(cls, checkpoint: Checkpoint, threads: int | None, precision: str, name: str) -> OpenVinoEngine:
        require("openvino")

        def make() -> onnx.ModelProto:
            from minilm.engines.onnx import graph

            return graph.build(checkpoint.weights, checkpoint.folder.config.bert, False)

        from minilm.engines.openvino.runtime import read_onnx

        source = onnx_store.cached(checkpoint.sha256, "plain", make)  # bytes when the cache is unwritable
        return cls._open(read_onnx(source) if isinstance(source, bytes) else source, name, threads, precision)

    @classmethod
    def int8_from_checkpoint(cls, checkpoint: Checkpoint, threads: int | None = None) -> OpenVinoEngine:
        """The int8 engine (quantize.RECIPE, calibrated on calibration.TEXTS), built once and cached."""
        require("openvino")
        from minilm.engines.openvino import store

        def make() -> ov.Model:
            require("nncf")
            from minilm.engines.openvino import calibration, quantize

            samples = calibration.samples(Tokenizer.from_folder(checkpoint.folder))
            return quantize.build(checkpoint.weights, checkpoint.folder.config.bert, quantize.RECIPE, samples)

        built = cls._open(store.cached(checkpoint.sha256, RECIPE_NAME, make), "openvino-int8", threads, "f32")
        from minilm.engines.onnx import cpu

        if cpu.int8_path() == cpu.NO_VNNI:
            log.warning(NO_VNNI_NOTE)
        return built

    @classmethod
    def _open(cls, model: Path | ov.Model, name: str, threads: int | None, precision: str) -> OpenVinoEngine:
        from minilm.engines.openvino.runtime import Runner, compile_model

        if threads is not None and threads < 1:
            raise InputError(f"threads must be a positive int or None, got {threads!r}")
        count = threads or default_threads()
        source = str(model) if isinstance(model, Path) else model
        return cls(Runner(compile_model(source, count, precision), count), name)

    def forward(self, input_ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return self.runner(input_ids, lengths)  # (B, T, H)
