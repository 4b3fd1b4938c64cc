"""The settings of one bulk job: everything that decides the bytes of its output, recorded in the manifest."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from minilm.encoder import DEFAULT_OVERLAP, Encoder, OnLong
from minilm.errors import InputError
from minilm.options import EncodeOptions

DEFAULT_SHARD_SIZE = 100_000  # rows per part file: the unit of resume (memory is bounded by the read batch)
CALIBRATION_ROWS = 4096  # first input rows whose float32 vectors fix the int8 / uint8 ranges for the whole job
# Settings a resumed run must share with the run that wrote the output (else its shards would not match).
COMPARED = ("model", "sha256", "engine", "dimension", "normalized", "precision", "calibration_rows", "on_long",
            "chunk_overlap", "shard_size", "field", "id_field", "with_text")  # fmt: skip


@dataclass(frozen=True)
class Job:
    """What to encode and how. `ranges` (2, D) is set for int8 / uint8 once calibrated."""

    model: str
    model_path: str
    model_source: str
    sha256: str
    engine: str
    dimension: int
    normalized: bool
    precision: str
    on_long: OnLong
    shard_size: int
    field: str
    id_field: str | None
    with_text: bool
    calibration_rows: int
    chunk_overlap: int = DEFAULT_OVERLAP
    batch_size: int = 32
    ranges: list[list[float]] | None = None

    @classmethod
    def for_encoder(cls, encoder: Encoder, **options: Any) -> Job:
        """A job for this loaded model; options are the other fields (checked here)."""
        normalize = options.pop("normalize", None)
        job = cls(model=encoder.name, model_path=str(encoder.folder.path), model_source=encoder.source,
                  sha256=encoder.sha256, engine=encoder.engine.name, dimension=encoder.dimension,
                  normalized=encoder.config.pooling.normalize if normalize is None else bool(normalize),
                  **options)  # fmt: skip
        job.check()
        return job

    def check(self) -> None:
        self.options()  # precision, on_long, batch_size, chunk overlap: checked where EncodeOptions is made
        for name in ("shard_size", "calibration_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InputError(f"{name} must be a positive int, got {value!r}")

    def options(self) -> EncodeOptions:
        """The encode options of the job's rows (int8 / uint8 with the job's ranges once calibrated; no bar)."""
        return EncodeOptions(batch_size=self.batch_size, normalize=self.normalized, show_progress=False,
                             precision=self.precision, on_long=self.on_long, chunk_overlap=self.chunk_overlap,
                             ranges=self.ranges_array())  # fmt: skip

    @property
    def calibrated(self) -> bool:
        """Whether the precision needs ranges fixed for the whole job (int8 / uint8)."""
        return self.precision in ("int8", "uint8")

    def ranges_array(self) -> np.ndarray | None:
        return None if self.ranges is None else np.asarray(self.ranges, dtype=np.float32)

    def settings(self) -> dict[str, Any]:
        """The recorded settings (manifest keys)."""
        data = asdict(self)
        data.pop("batch_size")
        return data

    def mismatch(self, recorded: dict[str, Any]) -> str | None:
        """The first compared setting that differs from a manifest's, as 'name: recorded -> asked'."""
        mine = self.settings()
        for key in COMPARED:
            if recorded.get(key) != mine[key]:
                return f"{key}: {recorded.get(key)!r} -> {mine[key]!r}"
        return None
