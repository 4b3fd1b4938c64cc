"""What every benchmark measures the same way: alternating rounds and their medians, memory from /proc, fresh
processes, and the machine line that heads every table.

Speed on the development machines drifts by 20-40% within minutes, so configurations are compared within one
run: `alternate` runs each once per round, in turn, and the median over rounds is what a table reports. A run
may be a call in this process or a fresh process (`fresh_process`), so the same loop serves both.

Peak memory is a fresh process's own VmHWM (`peak_rss_mb`, read by the child, reported as its last stdout line).
`ru_maxrss` is not used: a child started by fork + exec keeps its parent's resident size at the fork in it.

Only the standard library is imported here, so the GPU benchmark can use it from a bare copy of the repository.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
K = TypeVar("K", bound=Hashable)  # a run's name: a string, or a tuple such as (configuration, workload)
T = TypeVar("T")


def cpu_model() -> str:
    """lscpu's "Model name" (platform.processor() where lscpu is missing or says nothing)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        out = ""
    found = (line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    return next(found, "") or platform.processor() or platform.machine() or "unknown CPU"


def machine() -> str:
    """The line that heads every table: CPU model, CPUs this process may use, load average."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"CPU: {cpu_model()}, {cores} CPUs, load average {os.getloadavg()[0]:.1f}"


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def alternate(runs: Mapping[K, Callable[[], T]], rounds: int) -> dict[K, list[T]]:
    """Each run called once per round, in turn, the order reversed every other round so that no run always
    follows the same one; each run's results in round order."""
    results: dict[K, list[T]] = {name: [] for name in runs}
    names = list(runs)
    for k in range(rounds):
        for name in names if k % 2 == 0 else reversed(names):
            results[name].append(runs[name]())
    return results


def time_rounds(runs: Mapping[K, Callable[[], object]], rounds: int) -> dict[K, list[float]]:
    """`alternate` over the wall seconds of each run."""

    def timer(fn: Callable[[], object]) -> Callable[[], float]:
        return lambda: timed(fn)

    return alternate({name: timer(fn) for name, fn in runs.items()}, rounds)


def median(values: Iterable[float]) -> float:
    return float(statistics.median(values))


def medians(results: Mapping[K, Iterable[float]]) -> dict[K, float]:
    """The median of each run's rounds."""
    return {name: median(values) for name, values in results.items()}


def _status_mb(field: str, pid: int | str) -> float:
    """A memory field of /proc/PID/status in MB; nan once the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return float("nan")
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith(field + ":")), float("nan"))


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process in MB: of this one by default, the way a fresh child reports."""
    return _status_mb("VmHWM", pid)


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory now (VmRSS) of a process in MB."""
    return _status_mb("VmRSS", pid)


def reset_peak() -> None:
    """Start this process's VmHWM again from its current RSS (so a peak over what is already loaded shows)."""
    Path("/proc/self/clear_refs").write_text("5")


class RssSampler(threading.Thread):
    """Samples a process's RSS every `every` seconds while running: (seconds since start, MB)."""

    def __init__(self, pid: int, every: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()
        self.t0 = time.monotonic()

    def run(self) -> None:
        while not self.stop.wait(self.every):
            mb = rss_mb(self.pid)
            if mb == mb:  # not nan: the process is still there
                self.samples.append((time.monotonic() - self.t0, mb))


class ChildFailed(RuntimeError):
    """A fresh process exited with an error or printed no result."""


def emit(result: Mapping[str, Any]) -> None:
    """A fresh process's result: one JSON line on stdout, the last it prints."""
    print(json.dumps(result), flush=True)


def fresh_process(module: str, *args: str, sample_rss: float | None = None, timeout: float = 3600) -> dict[str, Any]:
    """Run `python -m MODULE ARGS` in a fresh interpreter from the repository root and return the JSON of its last
    stdout line (`emit`). With sample_rss, its RSS is sampled every that many seconds, under "rss_samples".
    A failed child raises ChildFailed naming the module and the child's last error line."""
    # src/ too, for a copy of the repository where minilm is not installed (the GPU machine)
    paths = [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    with subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as child:  # fmt: skip
        sampler = RssSampler(child.pid, sample_rss) if sample_rss else None
        if sampler:
            sampler.start()
        try:
            out, err = child.communicate(timeout=timeout)
        finally:
            if sampler:
                sampler.stop.set()
    if child.returncode != 0 or not out.strip():
        last = err.strip().splitlines()[-1] if err.strip() else f"exit {child.returncode}"
        raise ChildFailed(f"{module} {' '.join(args)}: {last}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if sampler:
        result["rss_samples"] = sampler.samples
    return result


if __name__ == "__main__":  # python -m benchmarks.harness: this machine's line, and a bare interpreter's peak RSS
    emit({"machine": machine(), "peak_rss_mb": peak_rss_mb()})
