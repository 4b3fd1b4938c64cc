"""ONNX Runtime sessions with explicit threads, and a process-wide budget of cores so runs never oversubscribe.

ONNX Runtime gives every session its own pool of intra-op threads. Two encoders in one process, each with a
pool as wide as the machine, would run 2x as many busy threads as cores. Instead every run holds as many of the
process's cores as it has threads (CORES): a session running on all cores excludes every other session, while
further runs of the same session (the server's workers) share its pool. Pools do not spin between runs, so an
idle pool leaves the cores to the running ones.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import onnxruntime as ort

# ONNX Runtime optimizers left out: graph.py writes residual + LayerNorm as Add + LayerNormalization on purpose
# (see graph._skip_layer_norm), and this fusion would turn it back into SkipLayerNormalization.
UNFUSED = ["SkipLayerNormFusion"]


def default_threads() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class CoreBudget:
    """A counting lock over the process's cores, taken per session: runs of different sessions never oversubscribe.

    The first run of a session waits until as many cores as its threads are free and takes them all at once;
    further runs of the same session while it holds them go straight in, because they share its one pool of
    intra-op threads and add only their calling thread (the server's workers: one batch in the pool, another
    on its own thread). The cores go back when the session's last run ends.
    """

    def __init__(self, cores: int):
        self.cores = cores
        self._free = cores
        self._runs: dict[int, int] = {}  # id(owner) -> its runs in progress
        self._cond = threading.Condition()

    @contextmanager
    def hold(self, n: int, owner: object) -> Iterator[None]:
        """Hold min(n, cores) cores for `owner` (a session) while the block runs."""
        n = max(1, min(n, self.cores))
        key = id(owner)
        with self._cond:
            self._cond.wait_for(lambda: key in self._runs or self._free >= n)
            if key not in self._runs:
                self._free -= n
            self._runs[key] = self._runs.get(key, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                self._runs[key] -= 1
                if not self._runs[key]:
                    del self._runs[key]
                    self._free += n
                    self._cond.notify_all()


CORES = CoreBudget(default_threads())  # every ONNX Runtime run in this process, whichever engine


def session_options(threads: int) -> ort.SessionOptions:
    """The engines' options: `threads` intra-op threads, nodes run one at a time, extended graph optimizations,
    pools that do not spin between runs."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.log_severity_level = 3  # errors only: unused-initializer notices are not news
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def open_session(graph: Path | bytes, threads: int) -> ort.InferenceSession:
    """A CPU session of a graph (a file or its bytes) with session_options(threads)."""
    source = str(graph) if isinstance(graph, Path) else graph
    return ort.InferenceSession(
        source, session_options(threads), providers=["CPUExecutionProvider"], disabled_optimizers=UNFUSED
    )
