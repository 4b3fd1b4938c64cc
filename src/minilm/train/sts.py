"""The training loop's dev-set hook: Spearman of cosine similarity x 100 on an STS set, with minilm.eval's
metrics and STS-B reader, behind the Evaluator interface (a callable from a SentenceModel to named scores)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minilm.errors import InputError
from minilm.eval.datasets import read_stsb
from minilm.eval.metrics import spearman
from minilm.train.model import SentenceModel

Evaluator = Callable[[SentenceModel], dict[str, float]]


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
    """STS-B's sts-{train,dev,test}.csv, read by the evaluation package's reader."""
    pairs = read_stsb(Path(path))
    return StsData(pairs.sentences1, pairs.sentences2, pairs.scores)


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
