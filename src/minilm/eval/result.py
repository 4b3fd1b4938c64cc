"""The outcome of one evaluation task, as it goes into a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TaskResult:
    """Scores of one task (fractions, as MTEB stores them; reports show x100).

    main is the name of the task's headline score in `scores` (MTEB's main_score).
    """

    task: str
    split: str
    kind: str  # "sts", "retrieval" or "clustering"
    main: str
    scores: dict[str, float]
    size: int  # pairs, queries or texts evaluated
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def main_score(self) -> float:
        """The headline score (a fraction)."""
        return self.scores[self.main]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "task": self.task,
            "split": self.split,
            "kind": self.kind,
            "main_score": self.main,
            "scores": self.scores,
            "size": self.size,
            "seconds": round(self.seconds, 3),
            "details": self.details,
        }
