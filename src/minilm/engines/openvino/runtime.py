"""Compiled OpenVINO models on explicit threads, run under the process-wide core budget of the ONNX engines.

One CompiledModel per engine, one InferRequest per calling thread (a request runs one inference at a time;
the server's workers call `forward` from several threads). Runs hold the process's cores through
engines.onnx.session.CORES, so an OpenVINO engine and an ONNX Runtime engine in one process never
oversubscribe them.
"""

from __future__ import annotations

import threading

import numpy as np
import openvino as ov

from minilm.engines.onnx.session import CORES
from minilm.errors import InputError

PRECISIONS = ("f32", "bf16")  # bf16 pays off only on CPUs with AMX; elsewhere it is emulated and slower


def read_onnx(data: bytes) -> ov.Model:
    """A serialized ONNX graph read by OpenVINO's ONNX frontend."""
    return ov.Core().read_model(data, b"")


def compile_model(model: ov.Model | str, threads: int, precision: str = "f32",
                  dynamic_group: int = 0) -> ov.CompiledModel:  # fmt: skip
    """`model` (or the path of a saved one) compiled for the CPU on `threads` threads, one stream, latency hint.

    precision: the inference precision of fp32 parts ("f32", or "bf16" for CPUs with AMX). The CPU plugin picks
    bf16 by itself on AMX CPUs, so f32 is asked for explicitly: the fp32 engine must stay within 1e-5 of numpy.
    dynamic_group: for models with int8-compressed weights, channels per run-time activation scale (0: none,
    the weights are decompressed and the MatMuls run in fp32).
    """
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    config = {
        "INFERENCE_PRECISION_HINT": precision,
        "INFERENCE_NUM_THREADS": threads,
        "NUM_STREAMS": 1,
        "PERFORMANCE_HINT": "LATENCY",
        "DYNAMIC_QUANTIZATION_GROUP_SIZE": dynamic_group,
    }
    return ov.Core().compile_model(model, "CPU", config)


class Runner:
    """A compiled model's `states` output for (input_ids, lengths), one infer request per calling thread."""

    def __init__(self, compiled: ov.CompiledModel, threads: int):
        self.compiled = compiled
        self.threads = threads
        self._local = threading.local()

    def __call__(self, input_ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.compiled.create_infer_request()
        feeds = {"input_ids": np.ascontiguousarray(input_ids, np.int64), "lengths": np.asarray(lengths, np.int64)}
        with CORES.hold(self.threads, self):
            result = request.infer(feeds)  # outputs copied out of the request
        return np.asarray(result["states"])  # (B, T, H)
