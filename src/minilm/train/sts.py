"""A small STS evaluation for the training loop's dev-set hook: Spearman of cosine similarity x 100.

Kept behind the Evaluator interface (a callable from a SentenceModel to named scores) so that the evaluation
package (minilm.eval) can be plugged in instead without touching the trainer.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minilm.errors import InputError
from minilm.train.model import SentenceModel

Evaluator = Callable[[SentenceModel], dict[str, float]]


def rank(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as scipy.stats.rankdata)."""
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    ranks = np.empty(len(x), dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])
    ends = np.r_[starts[1:], len(x)]
    for s, e in zip(starts, ends, strict=True):
        ranks[order[s:e]] = (s + e + 1) / 2  # mean of ranks s+1 .. e
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two equal-length vectors."""
    ra, rb = rank(np.asarray(a, dtype=np.float64)), rank(np.asarray(b, dtype=np.float64))
    return float(np.corrcoef(ra, rb)[0, 1])


@dataclass(frozen=True)
class StsData:
    """Sentence pairs with gold similarity scores."""

    first: list[str]
    second: list[str]
    scores: np.ndarray

    def spearman(self, encode: Callable[[list[str]], np.ndarray]) -> float:
        """Spearman x 100 between gold scores and the cosine of the vectors `encode` gives."""
        texts = sorted(set(self.first) | set(self.second))
        index = {t: i for i, t in enumerate(texts)}
        vectors = encode(texts)
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        a = vectors[[index[t] for t in self.first]]
        b = vectors[[index[t] for t in self.second]]
        return 100 * spearman((a * b).sum(1), self.scores)


def read_sts_benchmark(path: str | Path) -> StsData:
    """STS-B's sts-{train,dev,test}.csv: tab-separated, no header, score in field 5, sentences in fields 6-7."""
    first, second, scores = [], [], []
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 7:
                raise InputError(f"{path}:{n}: expected at least 7 tab-separated fields, got {len(fields)}")
            scores.append(float(fields[4]))
            first.append(fields[5])
            second.append(fields[6])
    return StsData(first, second, np.array(scores))


def read_sts_pairs(path: str | Path) -> StsData:
    """A CSV/TSV with a header naming sentence1, sentence2 and score columns."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
        rows = list(reader)
    missing = {"sentence1", "sentence2", "score"} - set(reader.fieldnames or [])
    if missing:
        raise InputError(f"{path}: missing columns {sorted(missing)} (need sentence1, sentence2, score)")
    return StsData([r["sentence1"] for r in rows], [r["sentence2"] for r in rows],
                   np.array([float(r["score"]) for r in rows]))  # fmt: skip


def read_sts(path: str | Path) -> StsData:
    """STS-B format when the first line has 7+ tab-separated fields and no header, else sentence1/sentence2/score."""
    with Path(path).open(encoding="utf-8") as f:
        first_line = f.readline()
    if len(first_line.split("\t")) >= 7 and "sentence1" not in first_line:
        return read_sts_benchmark(path)
    return read_sts_pairs(path)


class StsEvaluator:
    """Evaluator: Spearman x 100 of a SentenceModel on an STS dev set, reported as `{name}_spearman`."""

    def __init__(self, data: StsData, name: str = "sts_dev", batch_size: int = 64):
        self.data, self.name, self.batch_size = data, name, batch_size

    def __call__(self, model: SentenceModel) -> dict[str, float]:
        return {f"{self.name}_spearman": self.data.spearman(lambda t: model.encode(t, self.batch_size))}
