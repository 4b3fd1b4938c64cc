"""benchmarks/: every script imports against the package as it is, and the shared harness measures as it says."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import benchmarks
import numpy as np
import pytest
from benchmarks import harness

# the peers a benchmark may import that an environment need not have (benchmarks/setup.sh installs them)
PEERS = {
    "aiohttp", "datasets", "faiss", "fastembed", "hnswlib", "nncf", "onnx", "onnxruntime", "openvino", "optimum", "ray",
    "safetensors", "scipy", "sentence_transformers", "sklearn", "torch", "transformers", "usearch",
}  # fmt: skip


def test_every_benchmark_module_imports_what_it_names_from_minilm() -> None:
    """A module, function or constant a script imports from minilm (or from another benchmark) exists. A peer that
    this environment does not install (openvino, sentence-transformers, ...) is the only accepted failure."""
    broken = {}
    for module in pkgutil.walk_packages(benchmarks.__path__, "benchmarks."):
        try:
            importlib.import_module(module.name)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] not in PEERS:
                broken[module.name] = repr(exc)
        except ImportError as exc:  # a name missing from a module that exists
            broken[module.name] = repr(exc)
    assert broken == {}


def test_no_benchmark_edits_the_import_path() -> None:
    """They run as modules (python -m benchmarks.speed.bench), so none reaches for sys.path."""
    edits = [str(p.relative_to(harness.ROOT)) for p in sorted(Path(benchmarks.__file__).parent.rglob("*.py"))
             if re.search(r"sys\.path\.(insert|append)", p.read_text(encoding="utf-8"))]  # fmt: skip
    assert edits == []


def test_alternate_runs_each_once_per_round_in_turn_reversed_every_other_round() -> None:
    calls: list[str] = []
    runs = {name: (lambda n=name: calls.append(n) or len(calls)) for name in ("a", "b", "c")}
    results = harness.alternate(runs, 3)
    assert calls == ["a", "b", "c", "c", "b", "a", "a", "b", "c"]
    assert results == {"a": [1, 6, 7], "b": [2, 5, 8], "c": [3, 4, 9]}
    assert harness.medians(results) == {"a": 6, "b": 5, "c": 4}
    assert set(harness.time_rounds({("x", 1): lambda: None}, 2)) == {("x", 1)}


def test_a_fresh_process_reports_its_own_peak_not_the_parents() -> None:
    """The parent holds ~300 MB when it starts the child: the child's VmHWM must not carry it (ru_maxrss would)."""
    held = np.ones(40_000_000)  # 320 MB, written, so resident
    assert harness.rss_mb() > 300
    child = harness.fresh_process("benchmarks.harness")
    assert held.sum() == 40_000_000
    assert 0 < child["peak_rss_mb"] < 150
    assert child["machine"].startswith("CPU: ") and "load average" in child["machine"]
    assert harness.peak_rss_mb() >= harness.rss_mb() > 0


def test_a_failed_fresh_process_is_named_with_its_error(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"rows": 3}))
    assert harness.fresh_process("json.tool", "--compact", str(good)) == {"rows": 3}
    with pytest.raises(harness.ChildFailed, match=r"json\.tool .*missing\.json: .*No such file"):
        harness.fresh_process("json.tool", str(tmp_path / "missing.json"))


def test_the_cpu_model_is_lscpus_model_name() -> None:
    assert harness.cpu_model() and harness.cpu_model() != "unknown CPU"
    assert harness.machine().startswith(f"CPU: {harness.cpu_model()}, ")
