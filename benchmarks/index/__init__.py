"""minilm.Index: HNSW libraries, quality on SciFact, scale, filters, threads."""
