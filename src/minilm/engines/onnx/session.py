"""ONNX Runtime sessions with explicit threads, and one lock so that several engines never oversubscribe.

ONNX Runtime gives every session its own pool of intra-op threads. Two encoders in one process, each with a
pool as wide as the machine, would run 2x as many busy threads as cores. Instead every run takes a process-wide
lock (the cores are already full while one runs), and pools do not spin between runs, so an idle pool leaves
the cores to the running one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import onnxruntime as ort

UNFUSED = ["SkipLayerNormFusion"]  # optimizers left out: see open_session
RUN_LOCK = threading.Lock()  # one ONNX Runtime run at a time in this process, whichever engine


def default_threads() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def open_session(graph: Path | bytes, threads: int, spin: bool = False,
                 level: ort.GraphOptimizationLevel = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
                 ) -> ort.InferenceSession:  # fmt: skip
    """A CPU session on `threads` intra-op threads, nodes run sequentially, no spinning unless asked."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = level
    options.log_severity_level = 3  # errors only: unused-initializer notices are not news
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    source = str(graph) if isinstance(graph, Path) else graph
    # Add + LayerNormalization ran ~4x faster than ORT's fused SkipLayerNormalization kernel (graph.py).
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"], disabled_optimizers=UNFUSED)
