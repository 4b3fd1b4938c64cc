"""The "int8" alias: the fastest int8 engine installed that keeps the quality bar (docs/int8.md).

Both int8 engines keep the bar (cosine to fp32 on the STS-B test sentences: median >= 0.998 / 0.997, worst >=
0.99). Measured, onnx-int8 is the faster: 2.3-2.9x openvino-int8's STS-B sentences/s on the AVX2 development
machine, and on an AVX-512 VNNI Xeon the OpenVINO recipe closest to openvino-int8's (FFN down projections in
fp32) ran 0.86x onnx-int8. So the alias resolves to onnx-int8, which the base install always has;
openvino-int8 goes first in ORDER once a recipe of it that keeps the bar is measured faster.
"""

from __future__ import annotations

import logging

from minilm.engines.base import Checkpoint, Engine
from minilm.errors import MissingExtraError

log = logging.getLogger(__name__)

ORDER: tuple[str, ...] = ("onnx-int8",)  # fastest first; every entry but the last may be missing its extra


def create(checkpoint: Checkpoint, threads: int | None = None) -> Engine:
    """The first engine of ORDER whose dependencies are installed."""
    from minilm import engines

    for kind in ORDER[:-1]:
        try:
            return engines.create(kind, checkpoint, threads)
        except MissingExtraError as exc:
            log.info("engine %s unavailable (%s); trying the next", kind, exc)
    return engines.create(ORDER[-1], checkpoint, threads)
