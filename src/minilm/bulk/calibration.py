"""int8 / uint8 ranges fixed once per job: per-dimension min and max over the first rows' float32 vectors.

Quantizing each shard against its own range would make the same text's int8 vector depend on which shard it
fell into; one range for the whole job keeps every vector comparable. The range is recorded in the manifest,
so a resumed run quantizes with the same numbers. Later vectors outside it are clipped to -128 / 127.
"""

from __future__ import annotations

import numpy as np

from minilm.bulk.job import Job
from minilm.bulk.plan import Shard
from minilm.bulk.shards import shard_rows
from minilm.encoder import Encoder
from minilm.io.sources import InputFile


def calibrate(encoder: Encoder, job: Job, shards: list[Shard], files: list[InputFile]) -> list[list[float]]:
    """[[min per dimension], [max per dimension]] of the first job.calibration_rows rows' float32 vectors."""
    texts: list[str] = []
    for shard in shards:
        for batch, _ in shard_rows(job, shard, files):
            texts += batch
            if len(texts) >= job.calibration_rows:
                break
        if len(texts) >= job.calibration_rows:
            break
    texts = texts[: job.calibration_rows]
    vectors = encoder.encode(
        texts, batch_size=job.batch_size, normalize=job.normalized, on_long=job.on_long, chunk_overlap=job.chunk_overlap
    )
    if len(vectors) == 0:
        vectors = np.zeros((1, job.dimension), dtype=np.float32)
    return [vectors.min(axis=0).tolist(), vectors.max(axis=0).tolist()]
