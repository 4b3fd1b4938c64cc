"""`minilm export`: the model, or a user's own trained or pruned model, in the files another runtime loads.

    minilm.export.export("out/", format="onnx", precision="int8", check=True)

Each format is a module writing its folder; every folder gets its configuration and tokenizer files (layout.py)
and a manifest (manifest.py) with the source weights' sha256 and, with `check`, the parity its consumer measured.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from minilm.errors import InputError, OutputError, shown
from minilm.export import checks, gguf, layout, manifest, onnx_model, openvino_ir, source, transformers_js
from minilm.export import sentence_transformers as st_folder
from minilm.export.manifest import Manifest, Parity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Format:
    precisions: tuple[str, ...]
    write: Callable[[source.Source, Path, str], None]
    check: Callable[[source.Source, Path], list[Parity]] | None  # None: no consumer minilm can run in-process


FORMATS: dict[str, Format] = {
    "onnx": Format(onnx_model.PRECISIONS, onnx_model.write, checks.check_onnx),
    "openvino": Format(openvino_ir.PRECISIONS, openvino_ir.write, checks.check_openvino),
    "sentence-transformers": Format(st_folder.PRECISIONS, st_folder.write, checks.check_sentence_transformers),
    "transformers.js": Format(transformers_js.PRECISIONS, transformers_js.write, checks.check_transformers_js),
    "gguf": Format(gguf.PRECISIONS, gguf.write, gguf.check),
}


def _output_dir(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputError(f"{out} is not empty: choose an empty directory, or pass --force to write into it")


def export(out: str | os.PathLike[str], format: str = "onnx", model: str | os.PathLike[str] | None = None,
           precision: str | None = None, check: bool = False, force: bool = False) -> Manifest:  # fmt: skip
    """Write `model` (default all-MiniLM-L6-v2) to folder `out` in `format`; returns the manifest written there.

    precision: one of the format's precisions (its first when None). check: measure parity with the format's
    consumer and record it. force: write into a non-empty folder.
    """
    if format not in FORMATS:
        raise InputError(f"unknown format {shown(format)}: choose one of {', '.join(FORMATS)}")
    spec = FORMATS[format]
    precision = spec.precisions[0] if precision is None else precision
    if precision not in spec.precisions:
        raise InputError(f"format {format} has no precision {shown(precision)}: choose one of "
                         f"{', '.join(spec.precisions)}")  # fmt: skip
    if check and spec.check is None:
        raise InputError(f"--check is not available for {format}: its consumer runs outside Python "
                         "(docs/export.md); export without --check")  # fmt: skip
    path = Path(out)
    _output_dir(path, force)
    started = time.perf_counter()
    src = source.read(model)
    path.mkdir(parents=True, exist_ok=True)
    layout.config_files(src, path)
    layout.tokenizer_files(src, path)
    spec.write(src, path, precision)
    result = Manifest(format, precision, src.name, src.sha256)
    result.seconds = round(time.perf_counter() - started, 2)
    if check and spec.check is not None:
        result.checks = spec.check(src, path)
        for parity in result.checks:
            log.info("%s: max abs diff %.2e, worst cosine %.6f", parity.consumer, parity.max_abs_diff,
                     parity.worst_cosine)  # fmt: skip
    manifest.write(path, result)
    return result


__all__ = ["FORMATS", "Manifest", "Parity", "export"]
