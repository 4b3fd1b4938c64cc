"""Bulk encoding of corpora larger than memory into resumable Parquet shards, here or on a Ray cluster.

    from minilm.bulk import encode_files
    encode_files("corpus.jsonl", "vectors/", field="text", id_field="id")

The inputs are read and the shards written through minilm.io (the one reader and Parquet schema of every
command). Modules: plan (fixed row ranges per shard), job (the settings), calibration (int8 ranges), shards
(one shard, encoded and written), manifest (the resumable record, checked on resume), runner (encode_files),
ray_runner (the same shards on Ray actors), vectors (reading shards back).
See docs/bulk.md.
"""

from minilm.bulk.runner import BulkResult, encode_files

__all__ = ["BulkResult", "encode_files"]
