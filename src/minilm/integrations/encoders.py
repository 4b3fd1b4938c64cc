"""The model behind the framework adapters: loaded once per (model, engine, threads, device) and shared."""

from __future__ import annotations

import functools
import importlib.util

import numpy as np

from minilm.checkpoint.known import DEFAULT_MODEL
from minilm.encoder import Encoder
from minilm.extras import missing_module
from minilm.loading import load, refuse_load_options
from minilm.options import EncodeOptions


@functools.lru_cache(maxsize=8)
def shared_encoder(model: str, engine: str = "auto", threads: int | None = None, device: str | None = None) -> Encoder:
    """minilm.load(model, engine, threads, device), loaded on first use and reused by every adapter asking for it.

    device: the torch engine's ("cuda", "cuda:N", "mps", "cpu"); with engine "auto" it picks the torch engine.
    """
    return load(model, engine=engine, threads=threads, device=device)


def resolve_encoder(model: str | Encoder | None, engine: str, threads: int | None,
                    device: str | None = None) -> Encoder:  # fmt: skip
    """The adapter's encoder: the one passed in, or the shared one for `model`.

    engine, threads and device say how to load a model: given with an Encoder already loaded, they would change
    nothing, so they raise InputError instead of being ignored.
    """
    if isinstance(model, Encoder):
        refuse_load_options(model, engine=engine, threads=threads, device=device)
        return model
    return shared_encoder(str(model or DEFAULT_MODEL), engine, threads, device)


def embed(encoder: Encoder, texts: list[str], options: EncodeOptions) -> np.ndarray:
    """(N, D) float32 vectors of `texts`, as the adapters hand them to their frameworks."""
    return np.asarray(encoder.encode(list(texts), options=options))


def require(module: str, extra: str) -> None:
    """Raise MissingExtraError naming the install line of `extra` when `module` cannot be imported."""
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package (llama_index of llama_index.core) is missing
        found = False
    if not found:
        raise missing_module(extra, f"minilm.integrations.{extra}")
