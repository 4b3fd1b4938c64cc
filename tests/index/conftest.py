"""Fixtures for the index tests: a tiny-model index in a temporary directory, and texts for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from minilm.index import Index

WORDS = ["the", "cat", "sat", "on", "mat", "dog", "a", "happy", "person", "sunny", "day", "today", "is", "that",
         "run", "hello", "world"]  # fmt: skip


def sentence(n: int) -> str:
    """A distinct text of tiny-vocabulary words for each n."""
    words, m = [], n + 1
    while m:
        m, r = divmod(m, len(WORDS))
        words.append(WORDS[r])
    return " ".join([*words, "!"])


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "ix"


@pytest.fixture
def index(tiny, index_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    made = Index.create(index_dir, tiny, cache=tmp_path / "cache.sqlite")
    yield made
    made.close()
