"""EncodeOptions: every setting of one encode, checked once, where the value is made.

The encoder, the bulk job, the drop-in and the framework adapters all carry one EncodeOptions; a bad value is an
InputError naming the option and what it may be, raised when the options are made (before any text is read).
What depends on the loaded model (a chunk overlap below its max_seq_length, ranges of its dimension) is checked
by the encoder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

import numpy as np

from minilm.errors import InputError, InputTypeError
from minilm.inputs import check_normalize
from minilm.long_text import DEFAULT_OVERLAP, ON_LONG, OnLong
from minilm.precision import PRECISIONS, Precision

Output = Literal["sentence", "token"]
OUTPUTS = ("sentence", "token")


class Settings(TypedDict, total=False):
    """EncodeOptions' fields as keywords of `Encoder.encode` (all but `output`, which picks encode's return type)."""

    batch_size: int
    normalize: bool | None
    show_progress: bool | None
    precision: Precision | str
    on_long: OnLong | str
    chunk_overlap: int
    ranges: np.ndarray | None


@dataclass(frozen=True)
class EncodeOptions:
    """How to encode (see Encoder.encode for each option's meaning); checked when made.

    batch_size: texts per engine call (at most); normalize: None follows the model, True / False force it;
    show_progress: None shows a bar on a terminal for long jobs; output: "sentence" vectors or "token" states;
    precision: "float32", "int8", "uint8", "binary", "ubinary"; on_long: "truncate", "warn", "error", "chunk";
    chunk_overlap: tokens shared by neighbouring windows (on_long="chunk"); ranges: (2, D) int8/uint8 range.
    """

    batch_size: int = 32
    normalize: bool | None = None
    show_progress: bool | None = None
    output: Output | str = "sentence"
    precision: Precision | str = "float32"
    on_long: OnLong | str = "truncate"
    chunk_overlap: int = DEFAULT_OVERLAP
    ranges: np.ndarray | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _choice("output", self.output, OUTPUTS)
        _choice("precision", self.precision, PRECISIONS)
        _choice("on_long", self.on_long, ON_LONG)
        if self.output == "token" and self.precision != "float32":
            raise InputError("output='token' returns float32 token states; precision must be 'float32'")
        if self.output == "token" and self.on_long == "chunk":
            raise InputError("on_long='chunk' gives one vector per text; it cannot return token states")
        if not isinstance(self.batch_size, int) or isinstance(self.batch_size, bool) or self.batch_size < 1:
            raise InputError(f"batch_size must be a positive int, got {self.batch_size!r}")
        overlap = self.chunk_overlap
        if self.on_long == "chunk" and (not isinstance(overlap, int) or isinstance(overlap, bool) or overlap < 0):
            raise InputError(f"chunk overlap must be a non-negative int, got {overlap!r}")
        if self.show_progress is not None and not isinstance(self.show_progress, bool):
            raise InputTypeError(f"show_progress is {self.show_progress!r}, expected True, False or None")
        object.__setattr__(self, "normalize", check_normalize(self.normalize))

    @classmethod
    def of(cls, options: EncodeOptions | None = None, *args: Any, **settings: Any) -> EncodeOptions:
        """Options from encode's arguments: `options` (or the defaults) with the given settings put in, positional
        ones in field order (batch_size, normalize, show_progress, output, precision, on_long, chunk_overlap,
        ranges)."""
        names = [f.name for f in dataclasses.fields(cls)]
        if len(args) > len(names):
            raise InputTypeError(f"encode takes at most {len(names)} options after texts, got {len(args)}")
        for name, value in zip(names, args, strict=False):
            if name in settings:
                raise InputTypeError(f"encode got option {name!r} twice (by position and by name)")
            settings[name] = value
        unknown = sorted(set(settings) - set(names))
        if unknown:
            raise InputTypeError(f"encode got unknown options {unknown}; expected some of {names}")
        if options is None:
            return cls(**settings)
        if not isinstance(options, EncodeOptions):
            raise InputTypeError(f"options is {type(options).__name__}, expected minilm.EncodeOptions")
        return dataclasses.replace(options, **settings) if settings else options

    def replace(self, **changes: Any) -> EncodeOptions:
        """A copy with some options changed (checked again)."""
        return dataclasses.replace(self, **changes)


def _choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InputError(f"{name} {value!r} is unknown; expected one of {choices}")
