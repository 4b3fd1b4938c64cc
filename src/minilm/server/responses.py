"""Fast JSON responses for vectors: numpy -> Python floats -> one json.dumps, no per-float validation.

float32 values go out as the shortest repr of the equal float64, so a client parsing them back to float32 gets
the server's vectors bit for bit.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
from starlette.responses import Response


class FastJSON(Response):
    """application/json from plain Python data (lists, dicts, numbers, str)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def vector_b64(vector: np.ndarray) -> str:
    """A vector as base64 of its little-endian float32 bytes (what OpenAI clients decode)."""
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
