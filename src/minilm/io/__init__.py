"""Reading texts from files (plain lines, JSONL, CSV, Parquet) and writing vectors (npy, JSONL, Parquet)."""
