"""Every file format of every command: `sources` (which files an input names: a file, a directory, stdin, a
pyarrow filesystem URI), `readers` (the one streaming reader of rows, with the one id rule) and `writers` (one
writer per output: .npy, JSONL, Parquet in the one schema also used by bulk shards, and CSV/JSONL rows)."""
