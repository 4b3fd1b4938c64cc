"""manifest.json of a bulk output directory: the job's settings, its inputs and the shards finished so far.

It is rewritten whole after every finished shard through minilm.files (a fresh temporary name, fsync, rename,
fsync of the directory), so after a crash it is the old or the new version, never a mix. A shard is listed
only after its own rename, with its row count, size and sha256. A resumed run trusts nothing it lists without
checking: `verify` drops every listed shard whose file is missing, not a regular file, of another size or
digest, or not the planned row range, and the run writes those shards again; files not listed (a shard
whose entry was not yet written, temporary files of a killed writer) are deleted.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minilm.bulk.job import Job
from minilm.bulk.plan import Shard
from minilm.errors import InputError, OutputError, shown
from minilm.files import write_text_atomic
from minilm.io.sources import InputFile

FORMAT = 2  # 2: shard records carry bytes and sha256; 1 (read too) had neither
NAME = "manifest.json"

# The JSON type of every field the runner reads back; a hand-edited manifest that breaks one is refused by name.
FIELDS: dict[str, type | tuple[type, ...]] = {
    "format": int, "model": str, "model_path": str, "model_source": str, "sha256": str, "engine": str,
    "dimension": int, "normalized": bool, "precision": str, "on_long": str, "shard_size": int, "field": str,
    "id_field": (str, type(None)), "with_text": bool, "calibration_rows": int, "chunk_overlap": int,
    "ranges": (list, type(None)), "inputs": list, "rows": int, "shards_planned": int, "complete": bool,
    "shards": list,
}  # fmt: skip
INPUT_FIELDS = {"path": str, "name": str, "format": str, "size": int, "mtime_ns": int, "rows": int}
SHARD_FIELDS = {"index": int, "file": str, "rows": int, "bytes": int, "sha256": str}


@dataclass
class Manifest:
    """The recorded state of an output directory (see the module docstring)."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, out_dir: str | Path) -> Manifest | None:
        """The manifest of `out_dir`, or None if it has none; InputError naming the field that is wrong."""
        path = Path(out_dir) / NAME
        if not path.exists() and not path.is_symlink():
            return None
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                raise InputError(f"{path} is not a regular file; a bulk manifest is one")
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise InputError(f"{path} cannot be read as a bulk manifest: {shown(str(exc))[1:-1]}") from None
        check_types(path, data)
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
        again = "use a new output directory, or --overwrite to start over in this one"
        diff = job.mismatch(self.data)
        if diff is not None:
            raise InputError(f"{where} was written with other settings ({diff}); {again}")
        recorded = [{k: v for k, v in f.items() if k != "rows"} for f in self.data["inputs"]]
        now = [f.fingerprint() for f in inputs]
        if recorded != now:
            first = next((i for i, (a, b) in enumerate(zip(recorded, now, strict=False)) if a != b), None)
            what = (f"{recorded[first]['path']} changed (size/mtime)" if first is not None
                    else f"{len(recorded)} input files then, {len(now)} now")  # fmt: skip
            raise InputError(f"{where} was written from other inputs ({what}); {again}")

    # -- checking it against the directory ----------------------------------------------------------------
    def verify(self, planned: list[Shard], digests: bool = True) -> list[str]:
        """Drop the listed shards whose file does not hold what the record and the plan say (missing, not a
        regular file, another size, digest or row count); returns why, one line per dropped shard."""
        plan = {s.index: s for s in planned}
        kept: list[dict[str, Any]] = []
        dropped: list[str] = []
        for record in self.data["shards"]:
            problem = shard_problem(self.path.parent, record, plan.get(record["index"]), digests)
            if problem is None and record["index"] not in {r["index"] for r in kept}:
                kept.append(record)
            else:
                dropped.append(f"shard {record['index']} ({shown(record['file'])}): {problem or 'listed twice'}")
        if dropped:
            self.data["shards"] = kept
            self.data["complete"] = False
        return dropped

    # -- changing it -------------------------------------------------------------------------------------
    def add_shard(self, record: dict[str, Any]) -> None:
        """Record a finished shard (once; a repeated index is ignored) and write the manifest."""
        if record["index"] in self.done:
            return
        self.data["shards"] = sorted([*self.data["shards"], record], key=lambda s: s["index"])
        self.data["complete"] = len(self.data["shards"]) == self.data["shards_planned"]
        self.write()

    def write(self) -> None:
        try:
            write_text_atomic(self.path, json.dumps(self.data, indent=1) + "\n")
        except OSError as exc:
            if isinstance(exc, InputError | OutputError) or exc.errno is None:
                raise
            raise OutputError(f"cannot write {self.path}: {exc.strerror}; the shards written so far are kept, "
                              "and the same command continues once it can write") from None  # fmt: skip


def check_types(path: Path, data: Any) -> None:
    """InputError naming the first field of a manifest whose JSON type is not the one minilm wrote."""
    if not isinstance(data, dict):
        raise InputError(f"{path} holds a JSON {_kind(data)}, expected an object (a bulk manifest)")
    if data.get("format") not in (1, FORMAT):
        raise InputError(f"{path} has manifest format {shown(data.get('format'))}, expected {FORMAT} (written "
                         "by another minilm version: encode into a new directory or use --overwrite)")  # fmt: skip
    _fields(path, data, FIELDS, "")
    for n, item in enumerate(data["inputs"]):
        _fields(path, item, INPUT_FIELDS, f"inputs[{n}].")
    if data["ranges"] is not None and not _is_ranges(data["ranges"], data["dimension"]):
        raise InputError(f"{path}: field 'ranges' is not [[min, ...], [max, ...]] of {data['dimension']} numbers "
                         "each")  # fmt: skip
    shard_fields = SHARD_FIELDS if data["format"] == FORMAT else {k: SHARD_FIELDS[k] for k in ("index", "file", "rows")}
    for n, item in enumerate(data["shards"]):
        _fields(path, item, shard_fields, f"shards[{n}].")


def _fields(path: Path, data: Any, fields: Mapping[str, type | tuple[type, ...]], prefix: str) -> None:
    if not isinstance(data, dict):
        raise InputError(f"{path}: field {prefix[:-1]!r} is a JSON {_kind(data)}, expected an object")
    for name, kind in fields.items():
        if name not in data:
            raise InputError(f"{path}: field {prefix + name!r} is missing")
        value = data[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            expected = " or ".join(_kind(k) for k in kinds)
            raise InputError(f"{path}: field {prefix + name!r} is a JSON {_kind(value)} ({shown(value)}), "
                             f"expected {expected}")  # fmt: skip


def _is_ranges(ranges: list[Any], dimension: int) -> bool:
    def numbers(row: Any) -> bool:
        return isinstance(row, list) and len(row) == dimension and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in row)  # fmt: skip

    return len(ranges) == 2 and all(numbers(row) for row in ranges)


def _kind(value: Any) -> str:
    kind = value if isinstance(value, type) else type(value)
    names = {dict: "object", list: "array", str: "string", int: "integer", float: "number", bool: "boolean",
             type(None): "null"}  # fmt: skip
    return names.get(kind, kind.__name__)


def shard_problem(out_dir: Path, record: dict[str, Any], planned: Shard | None, digest: bool = True) -> str | None:
    """Why a listed shard cannot be trusted, or None when its file is the one recorded."""
    from minilm.bulk.shards import sha256_file

    if planned is None or record["file"] != planned.file:
        return "not a shard of this job's plan"
    if record["rows"] != planned.rows:
        return f"{record['rows']} rows recorded, {planned.rows} planned"
    path = out_dir / planned.file
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "the file is missing"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if "bytes" in record and info.st_size != record["bytes"]:
        return f"{info.st_size} bytes, {record['bytes']} recorded"
    if digest and "sha256" in record and sha256_file(path) != record["sha256"]:
        return "its sha256 is not the one recorded"
    return _footer_problem(path, planned.rows)


def _footer_problem(path: Path, rows: int) -> str | None:
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as part:
            found = part.metadata.num_rows
    except (OSError, ValueError) as exc:
        return f"not readable as Parquet ({shown(str(exc))[1:-1]})"
    return None if found == rows else f"{found} rows in the file, {rows} planned"


def clean_output(out_dir: Path, manifest: Manifest | None) -> None:
    """Delete shard files the manifest does not list and leftover temporary files (a killed run's)."""
    listed = {s["file"] for s in manifest.shards} if manifest is not None else set()
    try:
        for p in out_dir.iterdir():
            if (p.name.startswith("part-") and p.name not in listed) or p.name.startswith((".part-", f".{NAME}.")):
                p.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot tidy {out_dir}: {exc.strerror}") from None
