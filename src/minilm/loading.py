"""`minilm.load`: find a model, check its weights, build the tokenizer and an engine."""

from __future__ import annotations

import logging
import os
from typing import cast

from minilm import engines
from minilm.checkpoint import read_folder, resolve
from minilm.checkpoint.cache import file_digest
from minilm.checkpoint.known import KNOWN_MODELS, canonical_name
from minilm.checkpoint.weights import check_header
from minilm.encoder import Encoder
from minilm.engines.base import Checkpoint
from minilm.errors import DigestMismatchError, InputError
from minilm.static.model import StaticModel, is_static_folder
from minilm.tokenizer import Tokenizer

log = logging.getLogger(__name__)


def load(
    name_or_path: str | os.PathLike[str] | None = None,
    engine: str = "auto",
    threads: int | None = None,
    allow_download: bool = True,
    device: str | None = None,
    dtype: str | None = None,
) -> Encoder:
    """Load a sentence-transformers BERT model (default: sentence-transformers/all-MiniLM-L6-v2).

    name_or_path: a model folder, or a hub name found (in order) in the Hugging Face cache, minilm's cache,
    an installed weights package, or downloaded on first use.
    engine: "auto" (the fastest installed) or a name from minilm.engines.ENGINES ("numpy" always works).
    threads: compute threads for engines that control them (None: the engine's default).
    device, dtype: the torch engine's "auto" | "cpu" | "cuda" | "mps" and "float32" | "float16" | "bfloat16"
    (None: "auto" and "float32"); given with engine="auto" they pick the torch engine, with any other an InputError.
    A static model folder (minilm distill-static, or any model2vec folder) loads as a minilm.static.StaticModel.
    The weights of a known model must have its official sha256; a mismatch raises DigestMismatchError.
    """
    if name_or_path is not None and is_static_folder(name_or_path):  # another model, numpy only: no engine
        refuse_static_options(engine=engine, threads=threads, device=device, dtype=dtype)
        return cast(Encoder, StaticModel.from_folder(name_or_path))  # encode / similarity / tokenize / info alike
    resolved = resolve(name_or_path, allow_download=allow_download)
    folder = read_folder(resolved.path)
    sha256 = file_digest(folder.weights)
    known = None if resolved.source == "path" else KNOWN_MODELS.get(canonical_name(resolved.name))
    if known is not None and sha256 != known.sha256:
        raise DigestMismatchError(
            f"{folder.weights} has sha256 {sha256}, but the official {known.repo_id} weights have "
            f"{known.sha256}; delete the file (or pass its folder as a path to load it anyway)"
        )
    check_header(folder.weights, folder.config.bert)  # also when an engine's graph is cached under the digest
    tokenizer = Tokenizer.from_folder(folder)
    checkpoint = Checkpoint(folder, sha256)
    built = engines.create(engine, checkpoint, threads, device=device, dtype=dtype)
    log.info("loaded %s from %s (%s) on engine %s", resolved.name, folder.path, resolved.source, built.name)
    return Encoder(resolved.name, folder, tokenizer, built, sha256, resolved.source)


def refuse_load_options(model: Encoder, **options: object) -> None:
    """For callers that take a model name or an Encoder already loaded: the load options given with an Encoder
    (engine other than "auto", threads, device, ...) would change nothing, so they raise InputError naming them."""
    named = [f"{key}={value!r}" for key, value in options.items()
             if value is not None and not (key == "engine" and value == "auto")]  # fmt: skip
    if named:
        raise InputError(f"{', '.join(named)}: the model passed is an Encoder already loaded ({model!r}); "
                         "pass its name or folder to load it that way, or load the Encoder so")  # fmt: skip


def refuse_static_options(**options: object) -> None:
    """A static model has no engine: engine other than "auto", threads, device or dtype raise InputError."""
    named = [f"{key}={value!r}" for key, value in options.items()
             if value is not None and not (key == "engine" and value == "auto")]  # fmt: skip
    if named:
        raise InputError(f"{', '.join(named)}: a static model folder runs on numpy alone; leave these out")
