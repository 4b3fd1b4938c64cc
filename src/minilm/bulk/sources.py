"""The input files of a bulk job: one file or a directory of them, on the local disk or any pyarrow filesystem.

A directory is walked recursively and its .jsonl / .ndjson / .csv / .tsv / .parquet files are taken in sorted
order of their path inside it. Each file is named by that relative path (a single file by its base name); the
default row ids are "<name>:<row>" with the 0-based row of the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from minilm.errors import InputError, MissingExtraError

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet"}
FORMATS = ("jsonl", "csv", "tsv", "parquet")


@dataclass(frozen=True)
class InputFile:
    """One input file: where it is (a local path or URI), its name in ids, format, size and mtime (ns)."""

    uri: str
    name: str
    format: str
    size: int
    mtime_ns: int

    def fingerprint(self) -> dict[str, Any]:
        """What the manifest records to tell whether a rerun reads the same input."""
        return {"path": self.uri, "name": self.name, "format": self.format, "size": self.size,
                "mtime_ns": self.mtime_ns}  # fmt: skip


def require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise MissingExtraError("bulk encoding reads and writes with pyarrow: pip install '.[parquet]'") from None


def filesystem(uri: str) -> tuple[Any, str]:
    """(pyarrow filesystem, path in it) for a local path or a URI such as s3://bucket/key."""
    from pyarrow import fs

    if "://" in uri:
        try:
            return fs.FileSystem.from_uri(uri)
        except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for unknown schemes or credentials
            raise InputError(f"cannot open {uri}: {exc}") from None
    return fs.LocalFileSystem(), os.path.abspath(uri)


def list_inputs(path: str, fmt: str = "auto") -> list[InputFile]:
    """The files to read for `path` (a file or a directory), in a fixed order. fmt="auto": by extension."""
    require_pyarrow()
    from pyarrow import fs as pafs

    if fmt != "auto" and fmt not in FORMATS:
        raise InputError(f"bulk input format {fmt!r} is unknown; expected one of {FORMATS} or 'auto'")
    filesys, root = filesystem(path)
    info = filesys.get_file_info(root)
    uri = path if "://" in path else root
    if info.type == pafs.FileType.NotFound:
        raise InputError(f"input {path} does not exist")
    if info.type == pafs.FileType.File:
        return [_input(uri, os.path.basename(root), info, fmt)]
    found = filesys.get_file_info(pafs.FileSelector(root, recursive=True))
    prefix = uri.rstrip("/") + "/"
    files = []
    for item in sorted(found, key=lambda i: i.path):
        rel = os.path.relpath(item.path, root).replace(os.sep, "/")
        if item.type == pafs.FileType.File and not rel.startswith(".") and _suffix(rel) in SUFFIXES:
            files.append(_input(prefix + rel, rel, item, fmt))
    if not files:
        raise InputError(f"input directory {path} holds no .jsonl, .csv, .tsv or .parquet files")
    return files


def _suffix(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _input(uri: str, name: str, info: Any, fmt: str) -> InputFile:
    kind = fmt if fmt != "auto" else SUFFIXES.get(_suffix(name))
    if kind is None:
        raise InputError(f"cannot tell the format of {uri} from its extension; use .jsonl, .csv, .tsv or .parquet")
    mtime = info.mtime_ns if info.mtime_ns is not None else 0
    return InputFile(uri, name, kind, int(info.size or 0), int(mtime))
