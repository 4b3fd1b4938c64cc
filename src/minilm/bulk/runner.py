"""`encode_files`: the bulk job from input files to a directory of Parquet shards and a manifest.

Steps: list the inputs -> count their rows and cut shards (plan.py) -> open or create the manifest (a rerun
must ask for the same settings and read the same files) -> calibrate int8 ranges (new jobs) -> encode the
shards not yet finished, here one after the other, or on a Ray cluster (ray_runner.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from minilm.bulk.calibration import calibrate
from minilm.bulk.job import CALIBRATION_ROWS, DEFAULT_SHARD_SIZE, Job
from minilm.bulk.manifest import NAME, Manifest, clean_output
from minilm.bulk.plan import Shard, count_rows, plan_shards
from minilm.bulk.shards import write_shard
from minilm.encoder import DEFAULT_OVERLAP, Encoder
from minilm.errors import InputError, OutputError
from minilm.extras import require
from minilm.io.sources import InputFile, list_inputs
from minilm.progress import progress_bar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BulkResult:
    """What a run did: rows and shards of the whole job, shards written by this run, and whether it resumed."""

    output_dir: Path
    rows: int
    shards: int
    written: int
    resumed: bool


def encode_files(inputs: str | os.PathLike[str], output_dir: str | os.PathLike[str], field: str = "text",
                 id_field: str | None = None, shard_size: int = DEFAULT_SHARD_SIZE, on_long: str = "truncate",
                 chunk_overlap: int = DEFAULT_OVERLAP,
                 precision: str = "float32", with_text: bool = False, model: Encoder | str | None = None,
                 engine: str = "auto", threads: int | None = None, batch_size: int = 32,
                 normalize: bool | None = None, format: str = "auto", calibration_rows: int = CALIBRATION_ROWS,
                 ray: bool | str = False, actors: int | tuple[int, int] | None = None,
                 show_progress: bool | None = None, overwrite: bool = False,
                 on_shard: Callable[[dict[str, Any]], None] | None = None) -> BulkResult:  # fmt: skip
    """Embed every row of `inputs` (a JSONL / CSV / TSV / Parquet file or a directory of them, a local path
    or a pyarrow filesystem URI) into Parquet shards part-00000.parquet, ... in `output_dir`, with manifest.json.

    field / id_field: the text column and an optional id column (default ids: the row's 0-based position in
    the whole input, as for every minilm reader). Rerunning the same call after a crash checks every finished
    shard (size, sha256, row count), writes again what fails and continues with the shards not yet finished; a
    call with other settings or changed inputs raises InputError, unless overwrite=True, which starts over.
    precision: float32, int8 / uint8 (ranges from the first `calibration_rows` rows, fixed for the job),
    binary / ubinary (packed bits). ray: False (encode here), True (ray.init()'s default cluster) or a
    Ray address; actors: Ray actors (N, or (min, max) for autoscaling), each using `threads` cores (default 1).
    on_shard: called with each finished shard's manifest record. See docs/bulk.md.
    """
    require("parquet", "bulk encoding")
    encoder = _load(model, engine, threads, bool(ray))
    job = Job.for_encoder(encoder, normalize=normalize, precision=precision, on_long=on_long,
                          shard_size=shard_size, field=field, id_field=id_field, with_text=with_text,
                          calibration_rows=calibration_rows, chunk_overlap=chunk_overlap,
                          batch_size=batch_size)  # fmt: skip
    out = Path(output_dir)
    files = list_inputs(os.fspath(inputs), format)
    if files[0].uri == "-":
        raise InputError("bulk encoding reads its input twice (counting, then encoding): give a file, not stdin")
    manifest = _existing(out, job, files, overwrite)
    counts, offsets = count_rows(files, shard_size)
    shards = plan_shards(files, counts, offsets, shard_size)
    if manifest is None:
        if job.calibrated:
            job = replace(job, ranges=calibrate(encoder, job, shards, files))
        manifest = Manifest.new(out, job, files, counts, len(shards))
        manifest.write()
    else:
        job = replace(job, ranges=manifest.data.get("ranges"))
        _recheck(manifest, shards, sum(counts))
    clean_output(out, manifest)
    todo = [s for s in shards if s.index not in manifest.done]
    log.info("%s: %d rows in %d shards, %d to write", out, sum(counts), len(shards), len(todo))
    resumed = len(todo) < len(shards) and bool(manifest.shards)
    if todo and ray:
        from minilm.bulk.ray_runner import run_on_ray

        run_on_ray(job, files, todo, out, manifest, address=None if ray is True else str(ray), actors=actors,
                   threads=threads or 1, show_progress=show_progress, on_shard=on_shard)  # fmt: skip
    elif todo:
        _run_here(encoder, job, files, todo, out, manifest, show_progress, on_shard)
    return BulkResult(out, sum(counts), len(shards), len(todo), resumed)


def _load(model: Encoder | str | None, engine: str, threads: int | None, ray: bool) -> Encoder:
    """The job's encoder. With an Encoder already loaded, engine= (and threads= when encoding here) would change
    nothing, so they raise InputError; on Ray, threads= is each actor's and stays meaningful."""
    from minilm.loading import load, refuse_load_options

    if isinstance(model, Encoder):
        refuse_load_options(model, engine=engine, threads=None if ray else threads)
        return model

    return load(model, engine=engine, threads=1 if ray and threads is None else threads)


def _existing(out: Path, job: Job, files: list[InputFile], overwrite: bool) -> Manifest | None:
    """The manifest of a previous run of this job (checked), or None for a new (or overwritten) directory."""
    if out.exists() and not out.is_dir():
        raise InputError(f"output {out} is a file; bulk output is a directory (part-NNNNN.parquet + {NAME})")
    try:
        out.mkdir(parents=True, exist_ok=True)
        if overwrite:
            for p in out.iterdir():
                if p.name == NAME or p.name.startswith(("part-", ".part-", f".{NAME}.")):
                    p.unlink()
    except OSError as exc:
        raise OutputError(f"cannot {'clear' if overwrite else 'create'} output directory {out}: "
                          f"{exc.strerror}") from None  # fmt: skip
    manifest = Manifest.read(out)
    if manifest is None:
        if any(p.name.startswith("part-") for p in out.iterdir()):
            raise InputError(f"{out} holds part files but no {NAME}; use an empty or new output directory, "
                             "or --overwrite to start over in this one")  # fmt: skip
        return None
    manifest.refuse_if_different(job, files)
    return manifest


def _recheck(manifest: Manifest, shards: list[Shard], rows: int) -> None:
    """Hold the manifest to the plan and its listed shards to their files (see Manifest.verify)."""
    dropped = manifest.verify(shards)
    for problem in dropped:
        log.warning("%s: %s; writing it again", manifest.path.parent, problem)
    complete = len(manifest.shards) == len(shards)
    planned = {"rows": rows, "shards_planned": len(shards), "complete": complete}
    if dropped or any(manifest.data[k] != v for k, v in planned.items()):
        manifest.data.update(planned)
        manifest.write()


def _run_here(encoder: Encoder, job: Job, files: list[InputFile], todo: list[Shard], out: Path,
              manifest: Manifest, show_progress: bool | None,
              on_shard: Callable[[dict[str, Any]], None] | None) -> None:  # fmt: skip
    """Encode the shards in this process, one after the other, recording each in the manifest."""
    total = manifest.data["rows"]
    with progress_bar(total, show_progress, desc="encoding") as bar:
        bar.update(total - sum(s.rows for s in todo))
        for shard in todo:
            try:
                record = write_shard(encoder, job, shard, files, out, bar.update)
            except OutputError as exc:
                raise OutputError(f"{exc}; the {len(manifest.shards)} shards finished before it are kept: run the "
                                  "same command again to continue") from None  # fmt: skip
            manifest.add_shard(record)
            if on_shard is not None:
                on_shard(record)
