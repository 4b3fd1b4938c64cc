"""Semantic search, near-duplicate detection and clustering over a persistent local index (extra: index)."""

from minilm.index.index import AddResult, Index
from minilm.index.ranking import Hit

__all__ = ["AddResult", "Hit", "Index"]
