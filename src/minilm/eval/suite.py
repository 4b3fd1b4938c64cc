"""The whole evaluation suite on ../shared/data: every STS task, SciFact retrieval and AG News clustering."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from minilm.errors import DatasetError, MissingExtraError
from minilm.eval.clustering import evaluate_clustering
from minilm.eval.datasets import load_sts, read_ag_news, read_beir
from minilm.eval.embed import TextEncoder
from minilm.eval.result import TaskResult
from minilm.eval.retrieval import evaluate_retrieval
from minilm.eval.sts import evaluate_sts

log = logging.getLogger(__name__)

# (kind, folder under the data directory), in report order
SUITE = [
    ("sts", "stsbenchmark"),
    ("sts", "sick"),
    ("sts", "sts12-16"),
    ("retrieval", "scifact"),
    ("clustering", "ag_news"),
]


def default_data_dir() -> Path:
    """../shared/data seen from the working directory, else from the source checkout; the first that exists."""
    candidates = [Path.cwd().parent / "shared" / "data", Path(__file__).resolve().parents[3].parent / "shared" / "data"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def run_suite(
    model: TextEncoder,
    data_dir: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 32,
    show_progress: bool | None = None,
    seeds: int = 10,
) -> list[TaskResult]:
    """Run every task of SUITE found under data_dir (default: ../shared/data); a missing folder is an error.

    Clustering is skipped with a warning when scikit-learn (the `eval` extra) is not installed.
    """
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    results: list[TaskResult] = []
    for kind, folder in SUITE:
        path = root / folder
        if not path.exists():
            raise DatasetError(f"{path} does not exist; pass the folder that holds {[f for _, f in SUITE]}")
        log.info("running %s on %s", kind, path)
        if kind == "sts":
            results += [evaluate_sts(model, pairs, cache_dir, batch_size, show_progress) for pairs in load_sts(path)]
        elif kind == "retrieval":
            results.append(evaluate_retrieval(model, read_beir(path, "test"), cache_dir=cache_dir,
                                              batch_size=batch_size, show_progress=show_progress))  # fmt: skip
        else:
            try:
                results.append(evaluate_clustering(model, read_ag_news(path), seeds, cache_dir, batch_size,
                                                   show_progress))  # fmt: skip
            except MissingExtraError as exc:
                log.warning("clustering skipped: %s", exc)
    return results
