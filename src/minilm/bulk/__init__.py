"""Bulk encoding of corpora larger than memory into resumable Parquet shards, here or on a Ray cluster.

    from minilm.bulk import encode_files
    encode_files("corpus.jsonl", "vectors/", field="text", id_field="id")

Modules: sources (which files), reading (rows of a file as a stream), plan (fixed row ranges per shard),
job (the settings), calibration (int8 ranges), shards (the Parquet writer), manifest (the resumable record),
runner (encode_files), ray_runner (the same shards on Ray actors), vectors (reading shards back).
See docs/bulk.md.
"""

from minilm.bulk.runner import BulkResult, encode_files

__all__ = ["BulkResult", "encode_files"]
