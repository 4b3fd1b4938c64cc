"""manifest.json of a bulk output directory: the job's settings, its inputs and the shards finished so far.

It is rewritten whole after every finished shard, atomically: written to a temporary file, fsynced, renamed
over the old one and the directory fsynced, so after a crash it is the old or the new version, never a mix.
A shard file is listed only after its own rename, so a listed shard is complete; files not listed (a shard
whose manifest entry was not yet written, temporary files of a killed writer) are deleted on resume.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minilm.bulk.job import Job
from minilm.bulk.sources import InputFile
from minilm.errors import InputError

FORMAT = 1
NAME = "manifest.json"


@dataclass
class Manifest:
    """The recorded state of an output directory (see the module docstring)."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, out_dir: str | Path) -> Manifest | None:
        """The manifest of `out_dir`, or None if it has none."""
        path = Path(out_dir) / NAME
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{path} cannot be read as a bulk manifest: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"{path} has manifest format {data.get('format')!r}, expected {FORMAT}")
        return cls(path, data)

    @classmethod
    def new(cls, out_dir: Path, job: Job, inputs: list[InputFile], counts: list[int], shards: int) -> Manifest:
        data = {"format": FORMAT, **job.settings(),
                "inputs": [dict(f.fingerprint(), rows=n) for f, n in zip(inputs, counts, strict=True)],
                "rows": sum(counts), "shards_planned": shards, "complete": shards == 0, "shards": []}  # fmt: skip
        return cls(out_dir / NAME, data)

    # -- what it says ------------------------------------------------------------------------------------
    @property
    def shards(self) -> list[dict[str, Any]]:
        return list(self.data["shards"])

    @property
    def done(self) -> set[int]:
        return {s["index"] for s in self.data["shards"]}

    @property
    def complete(self) -> bool:
        return bool(self.data.get("complete"))

    def refuse_if_different(self, job: Job, inputs: list[InputFile]) -> None:
        """InputError naming the first setting or input that differs from what this output was written with."""
        where = self.path.parent
        diff = job.mismatch(self.data)
        if diff is not None:
            raise InputError(f"{where} was written with other settings ({diff}); use a new output directory, "
                             "or delete it to start over")  # fmt: skip
        recorded = [{k: v for k, v in f.items() if k != "rows"} for f in self.data["inputs"]]
        now = [f.fingerprint() for f in inputs]
        if recorded != now:
            first = next((i for i, (a, b) in enumerate(zip(recorded, now, strict=False)) if a != b), None)
            what = (f"{recorded[first]['path']} changed (size/mtime)" if first is not None
                    else f"{len(recorded)} input files then, {len(now)} now")  # fmt: skip
            raise InputError(f"{where} was written from other inputs ({what}); use a new output directory, "
                             "or delete it to start over")  # fmt: skip

    # -- changing it -------------------------------------------------------------------------------------
    def add_shard(self, record: dict[str, Any]) -> None:
        """Record a finished shard (once; a repeated index is ignored) and write the manifest."""
        if record["index"] in self.done:
            return
        self.data["shards"] = sorted([*self.data["shards"], record], key=lambda s: s["index"])
        self.data["complete"] = len(self.data["shards"]) == self.data["shards_planned"]
        self.write()

    def write(self) -> None:
        write_atomic(self.path, json.dumps(self.data, indent=1) + "\n")


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` by `text` so that a crash leaves either the old or the new content."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_output(out_dir: Path, manifest: Manifest | None) -> None:
    """Delete shard files the manifest does not list and leftover temporary files (a killed run's)."""
    listed = {s["file"] for s in manifest.shards} if manifest is not None else set()
    for p in out_dir.iterdir():
        if (p.name.startswith("part-") and p.name not in listed) or (p.name.startswith(".part-")):
            p.unlink(missing_ok=True)
