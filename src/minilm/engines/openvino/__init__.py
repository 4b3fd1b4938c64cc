"""OpenVINO engines ("openvino" fp32, "openvino-bf16" for CPUs with AMX, "openvino-int8"): minilm's own plain
ONNX graph (engines/onnx/graph.py) read by OpenVINO, int8 by NNCF post-training quantization (quantize.py).

Needs the openvino extra. runtime.py compiles and runs, store.py caches the
int8 model by the weights' sha256, calibration.py holds its calibration texts, engine.py is the base.Engine.
"""

from __future__ import annotations

import importlib

from minilm.extras import missing_module


def require(*modules: str) -> None:
    """Import each module (openvino; nncf to build the int8 model), or say which install fixes it."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise missing_module("openvino", f"the OpenVINO engines ({module})", exc) from None
