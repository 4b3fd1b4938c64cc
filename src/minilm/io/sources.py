"""Which files an input names: one file, a directory of them, or stdin; on the local disk or a pyarrow filesystem.

A directory is walked recursively and its .jsonl / .ndjson / .csv / .tsv / .parquet files (with --format lines,
its .txt files) are taken in sorted order of their path inside it (names starting with "." are skipped). A
single file of another extension is read as plain lines. Local paths need nothing beyond the base install; a
URI (s3://, gs://, hdfs://, ...) is opened with pyarrow's filesystems (the parquet extra).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import IO, Any

from minilm.errors import InputError, shown

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet"}
FORMATS = ("auto", "lines", "jsonl", "csv", "tsv", "parquet")
STDIN = "-"


@dataclass(frozen=True)
class InputFile:
    """One input file: where it is (a local path, a URI, or "-" for stdin), its name, format, size and mtime (ns)."""

    uri: str
    name: str
    format: str
    size: int
    mtime_ns: int

    @property
    def remote(self) -> bool:
        return "://" in self.uri

    def fingerprint(self) -> dict[str, Any]:
        """What a bulk manifest records to tell whether a rerun reads the same input."""
        return {"path": self.uri, "name": self.name, "format": self.format, "size": self.size,
                "mtime_ns": self.mtime_ns}  # fmt: skip


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(f"input format {shown(fmt)} is unknown; expected one of {', '.join(FORMATS)}")
    return fmt


def detect_format(path: str | None, fmt: str = "auto") -> str:
    """The format named, or the one a file's extension implies (plain lines otherwise and for stdin)."""
    if check_format(fmt) != "auto":
        return fmt
    if path in (None, STDIN):
        return "lines"
    return SUFFIXES.get(os.path.splitext(str(path))[1].lower(), "lines")


def filesystem(uri: str) -> tuple[Any, str]:
    """(pyarrow filesystem, path in it) for a URI such as s3://bucket/key, or a local path."""
    from minilm.extras import missing_module

    try:
        from pyarrow import fs
    except ImportError as exc:
        raise missing_module("parquet", f"reading {uri}", exc) from None
    if "://" not in uri:
        return fs.LocalFileSystem(), os.path.abspath(uri)
    try:
        return fs.FileSystem.from_uri(uri)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for unknown schemes or credentials
        raise InputError(f"cannot open {uri}: {exc}") from None


def open_binary(file: InputFile) -> IO[bytes]:
    """The bytes of a file (a local path or a URI) as a buffered stream."""
    try:
        if file.remote:
            import io

            filesys, path = filesystem(file.uri)
            return io.BufferedReader(filesys.open_input_file(path), 1 << 20)
        from minilm.files import check_regular

        check_regular(file.uri, "input")
        return open(file.uri, "rb", buffering=1 << 20)
    except OSError as exc:
        raise InputError(f"cannot read {file.uri}: {exc.strerror or exc}") from None


def list_inputs(path: str | os.PathLike[str] | None, fmt: str = "auto") -> list[InputFile]:
    """The files to read for `path` (a file, a directory, or None / "-" for stdin), in a fixed order."""
    check_format(fmt)
    if path is None or os.fspath(path) == STDIN:
        return [InputFile(STDIN, "<stdin>", detect_format(None, fmt), 0, 0)]
    path = os.fspath(path)
    if "://" in path:
        return _remote(path, fmt)
    root = os.path.abspath(path)
    try:
        info = os.stat(root)
    except FileNotFoundError:
        raise InputError(f"input {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if not os.path.isdir(root):
        return [_input(root, os.path.basename(root), info.st_size, info.st_mtime_ns, fmt)]
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if not name.startswith(".") and _taken(name, fmt) and os.path.isfile(full):
                stat = os.stat(full)
                files.append(_input(full, rel, stat.st_size, stat.st_mtime_ns, fmt))
    return _nonempty(sorted(files, key=lambda f: f.name), path)


def _remote(uri: str, fmt: str) -> list[InputFile]:
    from pyarrow import fs as pafs

    filesys, root = filesystem(uri)
    info = filesys.get_file_info(root)
    if info.type == pafs.FileType.NotFound:
        raise InputError(f"input {uri} does not exist")
    if info.type == pafs.FileType.File:
        return [_input(uri, os.path.basename(root), info.size, info.mtime_ns, fmt)]
    prefix = uri.rstrip("/") + "/"
    files = []
    for item in filesys.get_file_info(pafs.FileSelector(root, recursive=True)):
        rel = os.path.relpath(item.path, root).replace(os.sep, "/")
        if item.type == pafs.FileType.File and not rel.startswith(".") and _taken(rel, fmt):
            files.append(_input(prefix + rel, rel, item.size, item.mtime_ns, fmt))
    return _nonempty(sorted(files, key=lambda f: f.name), uri)


def _nonempty(files: list[InputFile], path: str) -> list[InputFile]:
    if not files:
        raise InputError(f"input directory {path} holds no .jsonl, .csv, .tsv or .parquet files")
    return files


def _taken(name: str, fmt: str) -> bool:
    """Whether a directory's file is an input."""
    suffix = os.path.splitext(name)[1].lower()
    return suffix in SUFFIXES or (fmt == "lines" and suffix == ".txt")


def _input(uri: str, name: str, size: int | None, mtime_ns: int | None, fmt: str) -> InputFile:
    return InputFile(uri, name, detect_format(name, fmt), int(size or 0), int(mtime_ns or 0))
