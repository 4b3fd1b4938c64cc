"""The torch engine on a GPU against sentence-transformers."""
