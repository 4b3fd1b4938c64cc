"""sentence-transformers compatibility: `from minilm import SentenceTransformer` (see compat/model.py)."""

from minilm.compat.model import SentenceTransformer

__all__ = ["SentenceTransformer"]
