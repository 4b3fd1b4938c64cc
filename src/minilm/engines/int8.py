"""The "int8" alias: the fastest int8 engine installed that keeps the quality bar (docs/int8.md).

openvino-int8 first when its extra is installed, else onnx-int8 (base install). Both meet the bar of docs/int8.md
(cosine to fp32 median >= 0.998 / 0.997, worst >= 0.99 on STS-B test sentences); the order is by speed where
each was measured.
"""

from __future__ import annotations

import logging

from minilm.engines.base import Checkpoint, Engine
from minilm.errors import MissingExtraError

log = logging.getLogger(__name__)

ORDER = ("openvino-int8", "onnx-int8")


def create(checkpoint: Checkpoint, threads: int | None = None) -> Engine:
    """The first engine of ORDER whose dependencies are installed."""
    from minilm import engines

    for kind in ORDER[:-1]:
        try:
            return engines.create(kind, checkpoint, threads)
        except MissingExtraError as exc:
            log.info("engine %s unavailable (%s); trying the next", kind, exc)
    return engines.create(ORDER[-1], checkpoint, threads)
