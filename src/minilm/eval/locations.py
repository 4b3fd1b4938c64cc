"""Where each evaluation data set is expected, what it holds, and where it comes from.

The data sets live in folders under one data root: `--data DIR`, else $MINILM_EVAL_DATA, else `../shared/data`
(beside the working directory, else beside the source checkout). A missing data set is refused before the
model loads, with its expected place, the files it needs and their origin.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from minilm.errors import DatasetError

DATA_ENV = "MINILM_EVAL_DATA"


@dataclass(frozen=True)
class DataSet:
    folder: str  # under the data root
    holds: str  # the files a task reads
    origin: str  # where they come from


DATASETS = {
    d.folder: d
    for d in (
        DataSet("stsbenchmark", "sts-test.csv (STS-B: genre, file, year, id, score, sentence1, sentence2)",
                "the STS Benchmark distribution, Stsbenchmark.tar.gz from http://ixa2.si.ehu.eus/stswiki"),
        DataSet("sick", "SICK_train.txt, SICK_trial.txt, SICK_test_annotated.txt",
                "the SemEval-2014 Task 1 release of SICK"),
        DataSet("sts12-16", "STS2012-gold ... STS2015-gold (STS.input.*.txt, STS.gs.*.txt), STS2016/*.test.tsv",
                "the SemEval STS 2012-2016 English test sets, as SentEval lays them out"),
        DataSet("scifact", "corpus.jsonl, queries.jsonl, qrels/test.tsv (BEIR layout)",
                "BEIR's scifact.zip (https://github.com/beir-cellar/beir)"),
        DataSet("ag_news", "test.csv (class 1-4, title, description)",
                "the ag_news_csv release (Zhang, Zhao & LeCun 2015)"),
    )
}  # fmt: skip


def data_root(given: str | os.PathLike[str] | None = None) -> Path:
    """The data root: `given`, else $MINILM_EVAL_DATA, else the first ../shared/data that exists."""
    if given is not None:
        return Path(given)
    if env := os.environ.get(DATA_ENV):
        return Path(env)
    candidates = [Path.cwd().parent / "shared" / "data", Path(__file__).resolve().parents[3].parent / "shared" / "data"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def _describe(folder: str, path: Path) -> str:
    known = DATASETS.get(folder)
    if known is None:
        return f"{path} does not exist"
    return f"{path} does not exist (expected: {known.holds}; from {known.origin})"


def require_data(wanted: list[tuple[str, Path]]) -> None:
    """Refuse, naming every missing one, unless each (folder name, path) exists."""
    missing = [_describe(folder, path) for folder, path in wanted if not path.exists()]
    if missing:
        raise DatasetError(
            f"evaluation data not found: {'; '.join(missing)}. Give the data set's path, or the folder holding "
            f"{', '.join(f + '/' for f in DATASETS)} with --data DIR or {DATA_ENV}=DIR (docs/evaluation.md)"
        )
