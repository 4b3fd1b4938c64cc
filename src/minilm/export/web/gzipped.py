"""The export's large compressible files, written gzip-compressed as NAME.gz; minilm.js inflates them in the page.

onnxruntime-web's wasm binary shrinks about 4x (14.8 to 3.8 MB) and the tokenizer's vocabulary about 3x. The
int8 model is not compressed: its int8 weights shrink by 14% only, and it stays a plain ONNX file that other
runtimes (and Transformers.js in benchmarks/web) read as is. mtime 0 and no file name in the header: the same
input gives the same bytes, so two exports are byte-identical.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from minilm.files import write_bytes_atomic

SUFFIX = ".gz"


def write(path: Path, data: bytes) -> str:
    """`data` gzip-compressed into path + ".gz"; returns the name written. A plain `path` left by an older export
    (written with --force into its folder) is removed: the page would never read it."""
    out = path.with_name(path.name + SUFFIX)
    write_bytes_atomic(out, gzip.compress(data, compresslevel=9, mtime=0))
    path.unlink(missing_ok=True)
    return out.name
