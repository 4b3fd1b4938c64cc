"""Device and dtype of the torch engine: names checked, availability checked, "auto" resolved.

Importing this module does not import torch (engines.create asks `gpu_present` on every engine="auto" load).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from minilm.errors import InputError

if TYPE_CHECKING:
    import torch

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("float32", "float16", "bfloat16")
# A Linux machine without one of these has no NVIDIA (or ROCm) driver, so torch would find no CUDA device.
_DRIVER_FILES = ("/proc/driver/nvidia/version", "/dev/kfd")


def gpu_present() -> bool:
    """True when torch is installed and sees a CUDA device: what makes engine="auto" pick the torch engine.

    Cheap where the answer is no: torch is imported only when it is installed and the machine has a GPU driver.
    """
    if importlib.util.find_spec("torch") is None or sys.platform == "darwin":
        return False
    if sys.platform.startswith("linux") and not any(Path(p).exists() for p in _DRIVER_FILES):
        return False
    import torch

    return bool(torch.cuda.is_available())


def on_gpu(engine: str, device: str | None) -> bool:
    """Whether minilm.load(engine=engine, device=device) will run on a GPU (CUDA or MPS), asked before loading
    (the server sizes its batches by it). Without torch: False (loading then names the missing extra)."""
    if engine not in ("torch", "auto") or device == "cpu" or importlib.util.find_spec("torch") is None:
        return False
    if engine == "auto" and device is None:
        return gpu_present()
    if device in (None, "auto"):
        return resolve_device("auto").type != "cpu"
    return True  # cuda, cuda:N, mps (loading checks that it is there)


def resolve_device(name: str) -> torch.device:
    """ "auto" (CUDA, else MPS, else CPU), "cpu", "cuda", "cuda:N" or "mps", checked to be usable here."""
    import torch

    if not isinstance(name, str) or name.split(":")[0] not in DEVICES or (":" in name and not _cuda_index(name)):
        raise InputError(f"device {name!r} is unknown; expected one of {DEVICES} (or 'cuda:N')")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if _mps_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            build = f"a CUDA {torch.version.cuda} build" if torch.version.cuda else "a CPU-only build"
            raise InputError(
                f"device {name!r}: torch {torch.__version__} ({build}) sees no CUDA device; install the CUDA "
                "build of torch for this machine (https://pytorch.org/get-started/locally/) or use device='cpu'"
            )
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise InputError(f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s) are visible")
    if name == "mps" and not _mps_available():
        raise InputError("device 'mps': torch sees no Apple MPS device here; use device='cpu'")
    return torch.device(name)


def resolve_dtype(name: str) -> torch.dtype:
    """ "float32", "float16" or "bfloat16" as a torch dtype."""
    import torch

    if not isinstance(name, str) or name not in DTYPES:
        raise InputError(f"dtype {name!r} is unknown; expected one of {DTYPES}")
    dtype: torch.dtype = getattr(torch, name)
    return dtype


def _cuda_index(name: str) -> bool:
    kind, _, index = name.partition(":")
    return kind == "cuda" and index.isdigit()


def _mps_available() -> bool:
    import torch

    return bool(torch.backends.mps.is_available())
