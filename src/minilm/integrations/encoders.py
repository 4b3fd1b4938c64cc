"""The model behind the framework adapters: loaded once per (model, engine, threads, device) and shared."""

from __future__ import annotations

import functools
import importlib.util

import numpy as np

from minilm.checkpoint.known import DEFAULT_MODEL
from minilm.encoder import Encoder
from minilm.errors import MissingExtraError
from minilm.loading import load, refuse_load_options


@functools.lru_cache(maxsize=8)
def shared_encoder(model: str, engine: str = "auto", threads: int | None = None, device: str | None = None) -> Encoder:
    """minilm.load(model, engine, threads, device), loaded on first use and reused by every adapter asking for it.

    device: the torch engine's ("cuda", "cuda:N", "mps", "cpu"); with engine "auto" it picks the torch engine.
    """
    return load(model, engine=engine, threads=threads, device=device)


def resolve_encoder(model: str | Encoder | None, engine: str, threads: int | None, on_long: str,
                    device: str | None = None) -> Encoder:  # fmt: skip
    """The adapter's encoder: the one passed in, or the shared one for `model`; checks `on_long` up front.

    engine, threads and device say how to load a model: given with an Encoder already loaded, they would change
    nothing, so they raise InputError instead of being ignored.
    """
    if isinstance(model, Encoder):
        refuse_load_options(model, engine=engine, threads=threads, device=device)
        encoder = model
    else:
        encoder = shared_encoder(str(model or DEFAULT_MODEL), engine, threads, device)
    encoder.encode([], on_long=on_long)  # the encoder's own check names bad values
    return encoder


def embed(encoder: Encoder, texts: list[str], batch_size: int, on_long: str) -> np.ndarray:
    """(N, D) float32 vectors of `texts`, as the adapters hand them to their frameworks."""
    return np.asarray(encoder.encode(list(texts), batch_size=batch_size, on_long=on_long))


def require(module: str, distribution: str, extra: str) -> None:
    """Raise MissingExtraError naming the pip command when `module` cannot be imported."""
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package (llama_index of llama_index.core) is missing
        found = False
    if not found:
        raise MissingExtraError(
            f"minilm.integrations.{extra} needs {distribution}, which is not installed: "
            f"pip install '.[{extra}]' (in a minilm checkout)"
        )
