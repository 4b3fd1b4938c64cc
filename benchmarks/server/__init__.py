"""Load test of `minilm serve`."""
