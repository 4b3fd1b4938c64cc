"""The bulk job's shards on a Ray cluster: Ray Data maps the shard plans over a pool of encoder actors.

The driver (the process that called encode_files) plans the shards (fixed row ranges, plan.py) and keeps the
manifest; each actor loads the model once, with `threads` compute threads and `num_cpus=threads`, so the
actors on a node never ask for more cores than Ray gives them. A shard is one task: the actor reads the
shard's rows itself (pyarrow filesystems: local paths every node sees, s3://, gs://, hdfs://, ...), encodes
them and renames part-NNNNN.parquet into place. A task whose actor dies is retried on a restarted actor
(max_restarts / max_task_retries = -1) and rewrites the same shard, so every row ends up in exactly one file;
the driver records each shard once, as its result arrives, so a rerun after any crash skips finished shards.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from minilm.bulk.job import Job
from minilm.bulk.manifest import Manifest, clean_output
from minilm.bulk.plan import Shard
from minilm.bulk.shards import write_shard
from minilm.errors import CheckpointError, InputError, MissingExtraError
from minilm.io.sources import InputFile
from minilm.progress import progress_bar


class ShardEncoder:
    """A Ray Data actor: one loaded model; each call writes the shards of its batch and returns their records."""

    def __init__(self, job: str, files: str, out_dir: str, threads: int):
        from minilm.loading import load

        self.job = Job(**json.loads(job))
        self.files = [InputFile(**f) for f in json.loads(files)]
        self.out = Path(out_dir)
        source = self.job.model_path if self.job.model_source == "path" else self.job.model
        self.encoder = load(source, engine=self.job.engine, threads=threads)
        if self.encoder.sha256 != self.job.sha256:
            raise CheckpointError(f"{socket.gethostname()}: model {source} has sha256 {self.encoder.sha256}, the "
                                  f"job's is {self.job.sha256}; install the same weights on every node")  # fmt: skip

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        records = []
        for plan in batch["shard"]:
            record = write_shard(self.encoder, self.job, Shard.from_dict(json.loads(plan)), self.files, self.out)
            records.append(json.dumps(dict(record, pid=os.getpid(), host=socket.gethostname())))
        return {"record": np.array(records, dtype=object)}


def run_on_ray(job: Job, files: list[InputFile], todo: list[Shard], out: Path, manifest: Manifest,
               address: str | None, actors: int | tuple[int, int] | None, threads: int,
               show_progress: bool | None,
               on_shard: Callable[[dict[str, Any]], None] | None) -> None:  # fmt: skip
    """Write the shards `todo` with Ray actors; connects to `address` unless Ray is already initialized."""
    ray = _ray()
    if not ray.is_initialized():
        ray.init(address=address, logging_level="WARNING")
    if threads < 1:
        raise InputError(f"threads per actor must be at least 1, got {threads}")
    bounds = actors if actors is not None else (1, max(1, int(ray.cluster_resources().get("CPU", 1)) // threads))
    pool = ray.data.ActorPoolStrategy(min_size=bounds[0], max_size=bounds[1]) if isinstance(bounds, tuple) else \
        ray.data.ActorPoolStrategy(size=bounds)  # fmt: skip
    plans = ray.data.from_items([{"shard": json.dumps(s.to_dict())} for s in todo], override_num_blocks=len(todo))
    results = plans.map_batches(
        ShardEncoder, batch_size=1, compute=pool, num_cpus=threads, **_retries(ray.__version__),
        fn_constructor_kwargs={"job": json.dumps(asdict(job)), "files": json.dumps([asdict(f) for f in files]),
                               "out_dir": str(out.resolve()), "threads": threads},
    )  # fmt: skip
    context = ray.data.DataContext.get_current()
    shown, context.enable_progress_bars = context.enable_progress_bars, False  # ours has the rows/s and ETA
    total = manifest.data["rows"]
    try:
        with progress_bar(total, show_progress, desc="encoding (ray)") as bar:
            bar.update(total - sum(s.rows for s in todo))
            for row in results.iter_rows():
                record = json.loads(row["record"])
                fresh = record["index"] not in manifest.done
                manifest.add_shard({k: v for k, v in record.items() if k not in ("pid", "host")})
                if fresh:
                    bar.update(record["rows"])
                if on_shard is not None:
                    on_shard(record)
    finally:
        context.enable_progress_bars = shown
    clean_output(out, manifest)  # temporary files of actors killed mid-shard


def _retries(version: str) -> dict[str, int]:
    """Restart dead actors and retry their tasks without limit. Ray Data's actor pools do so by default from
    2.60 on (where passing these as extra arguments is deprecated); older versions are told explicitly."""
    major, minor = (int(x) for x in version.split(".")[:2])
    return {} if (major, minor) >= (2, 60) else {"max_restarts": -1, "max_task_retries": -1}


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise MissingExtraError("--ray needs Ray Data: pip install '.[ray]'") from None
    return ray


def parse_actors(text: str) -> int | tuple[int, int]:
    """'4' -> 4 actors; '1:8' -> autoscaling between 1 and 8."""
    try:
        low, colon, high = text.partition(":")
        bounds = (int(low), int(high)) if colon else int(low)
    except ValueError:
        raise InputError(f"--actors {text!r}: expected N or MIN:MAX") from None
    values = bounds if isinstance(bounds, tuple) else (bounds,)
    if min(values) < 1 or (isinstance(bounds, tuple) and bounds[0] > bounds[1]):
        raise InputError(f"--actors {text!r}: counts must be at least 1 and MIN <= MAX")
    return bounds
