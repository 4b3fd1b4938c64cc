"""The whole evaluation suite under the data root: every STS task, SciFact retrieval and AG News clustering."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from minilm.errors import MissingExtraError
from minilm.eval.clustering import evaluate_clustering
from minilm.eval.datasets import load_sts, read_ag_news, read_beir
from minilm.eval.embed import TextEncoder
from minilm.eval.locations import data_root, require_data
from minilm.eval.result import TaskResult
from minilm.eval.retrieval import evaluate_retrieval
from minilm.eval.sts import evaluate_sts
from minilm.progress import progress_bar, wanted

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
    """The data root: $MINILM_EVAL_DATA, else ../shared/data (see minilm.eval.locations)."""
    return data_root()


def run_suite(
    model: TextEncoder,
    data_dir: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 32,
    show_progress: bool | None = None,
    seeds: int = 10,
) -> list[TaskResult]:
    """Run every task of SUITE found under data_dir (default: the data root); a missing folder is refused first.

    Clustering is skipped with a warning when scikit-learn (the `eval` extra) is not installed.
    """
    root = data_root(data_dir)
    require_data([(folder, root / folder) for _, folder in SUITE])
    results: list[TaskResult] = []
    with progress_bar(len(SUITE), wanted(show_progress), desc="eval all", unit="task") as bar:
        for kind, folder in SUITE:
            bar.set_postfix_str(folder)
            results += _run_task(model, kind, root / folder, cache_dir, batch_size, show_progress, seeds)
            bar.update(1)
    return results


def _run_task(model: TextEncoder, kind: str, path: Path, cache_dir: str | os.PathLike[str] | None,
              batch_size: int, show_progress: bool | None, seeds: int) -> list[TaskResult]:  # fmt: skip
    log.info("running %s on %s", kind, path)
    if kind == "sts":
        return [evaluate_sts(model, pairs, cache_dir, batch_size, show_progress) for pairs in load_sts(path)]
    if kind == "retrieval":
        return [evaluate_retrieval(model, read_beir(path, "test"), cache_dir=cache_dir, batch_size=batch_size,
                                   show_progress=show_progress)]  # fmt: skip
    try:
        return [evaluate_clustering(model, read_ag_news(path), seeds, cache_dir, batch_size, show_progress)]
    except MissingExtraError as exc:
        log.warning("clustering skipped: %s", exc)
        return []
