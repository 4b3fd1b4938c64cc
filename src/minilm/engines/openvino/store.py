"""OpenVINO models cached on disk, keyed by the weights' sha256 and the recipe (as engines/onnx/store.py).

<minilm home>/openvino/<sha256>-<variant>-v<MODEL_VERSION>.xml with its .bin beside it. OpenVINO saves both
into a temporary folder beside them; each is then copied into place by minilm.files.atomic_write, the .bin
first: a reader that finds the .xml finds a complete model, and two processes building at once are safe.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import openvino as ov

from minilm.checkpoint.cache import minilm_home
from minilm.files import atomic_write

log = logging.getLogger(__name__)

MODEL_VERSION = 1  # bump when quantize.py or the graph it reads changes what is written


def model_path(sha256: str, variant: str) -> Path:
    """Where the model of these weights in this variant is (or will be) cached (.xml; its .bin beside it)."""
    return minilm_home() / "openvino" / f"{sha256}-{variant}-v{MODEL_VERSION}.xml"


def write_atomic(model: ov.Model, path: Path) -> None:
    """Save model as path (.xml) and its .bin, each replaced atomically, the .bin first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.stem}.") as tmp:
        staged = Path(tmp) / "model.xml"
        ov.save_model(model, staged, compress_to_fp16=False)
        for suffix in (".bin", ".xml"):
            with staged.with_suffix(suffix).open("rb") as src, atomic_write(path.with_suffix(suffix)) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def cached(sha256: str, variant: str, make: Callable[[], ov.Model]) -> Path | ov.Model:
    """The cached model's path, building and caching it first if needed; the model itself if the cache is
    unwritable."""
    path = model_path(sha256, variant)
    if path.is_file() and path.with_suffix(".bin").is_file():
        return path
    log.info("building the %s OpenVINO model for weights %s", variant, sha256[:12])
    model = make()
    try:
        write_atomic(model, path)
    except OSError as exc:
        log.warning("could not cache the OpenVINO model at %s (%s); it will be rebuilt next time", path, exc)
        return model
    return path
