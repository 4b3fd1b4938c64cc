"""Writing vectors: .npy (array only), JSONL (one object per text) or Parquet (text + vector columns)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from minilm.errors import InputError, MissingExtraError

OUTPUT_FORMATS = ("auto", "npy", "jsonl", "parquet")


def output_format(path: str | None, fmt: str) -> str:
    """The format named, or the one the output file's extension implies (JSONL for stdout)."""
    if fmt != "auto":
        if fmt not in OUTPUT_FORMATS:
            raise InputError(f"output format {fmt!r} is unknown; expected one of {OUTPUT_FORMATS}")
        return fmt
    if path in (None, "-"):
        return "jsonl"
    suffix = Path(path).suffix.lower()
    formats = {".npy": "npy", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
    if suffix not in formats:
        raise InputError(f"cannot tell the output format from {path!r}; use .npy, .jsonl or .parquet, or --to")
    return formats[suffix]


def _vector_json(vector: np.ndarray) -> list[float] | list[int]:
    return vector.tolist()


def write(path: str | None, fmt: str, texts: Sequence[str], ids: Sequence[str], vectors: np.ndarray) -> None:
    """Write vectors (N, D) for texts; a file is written to a temporary name and renamed when complete."""
    kind = output_format(path, fmt)
    if path in (None, "-"):
        if kind != "jsonl":
            raise InputError(f"{kind} output needs a file (-o PATH); stdout takes JSONL")
        for rid, text, vector in zip(ids, texts, vectors, strict=True):
            sys.stdout.write(json.dumps({"id": rid, "text": text, "embedding": _vector_json(vector)}) + "\n")
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if kind == "npy":
            with open(tmp, "wb") as f:
                np.save(f, vectors)
        elif kind == "jsonl":
            with open(tmp, "w", encoding="utf-8") as f:
                for rid, text, vector in zip(ids, texts, vectors, strict=True):
                    f.write(json.dumps({"id": rid, "text": text, "embedding": _vector_json(vector)}) + "\n")
        else:
            _write_parquet(tmp, texts, ids, vectors)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_parquet(path: str, texts: Sequence[str], ids: Sequence[str], vectors: np.ndarray) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtraError("writing Parquet needs pyarrow: pip install '.[parquet]'") from None
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), dim)
    pq.write_table(pa.table({"id": list(ids), "text": list(texts), "embedding": column}), path)
