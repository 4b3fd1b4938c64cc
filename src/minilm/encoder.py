"""The public encoder object: texts in, sentence vectors out.

One pipeline for the library, the server and the index:
prepare (validate -> tokenize what the model reads -> long-text policy) -> embed_units (length-sorted batches ->
engine -> pooling) -> finish (combine a text's windows -> normalize -> output precision).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Unpack, overload

import numpy as np

from minilm import batching, long_text, prepare
from minilm.batching import RUN_COST_TOKENS
from minilm.checkpoint.folder import ModelFolder
from minilm.config import PoolingMode
from minilm.engines.base import Engine, hints_of
from minilm.errors import InputError
from minilm.inputs import as_texts, as_vectors, check_ranges
from minilm.long_text import DEFAULT_OVERLAP, ON_LONG, OnLong, WindowMeans
from minilm.options import EncodeOptions, Settings
from minilm.pooling import cosine_matrix, l2_normalize, pool
from minilm.precision import Precision, quantize
from minilm.prepare import EncodeInfo, Part, Prepared, Tally
from minilm.progress import progress_bar
from minilm.tokenizer import Tokenizer

__all__ = ["DEFAULT_MAX_TOKENS", "DEFAULT_OVERLAP", "ON_LONG", "Chunks", "EncodeInfo", "EncodeOptions", "Encoder",
           "OnLong", "Prepared"]  # fmt: skip

BLOCK = 256  # texts read at a time (the next block is read while this one embeds); also units per chunk part
DEFAULT_MAX_TOKENS = 1024  # padded tokens per engine call on a CPU (the token budget; see docs/pipeline.md)


@dataclass(frozen=True)
class Chunks:
    """One text's windows: vectors (n, D), character spans [(start, end)], and token counts."""

    vectors: np.ndarray
    spans: list[tuple[int, int]]
    token_counts: list[int]


def pooled_batches(
    engine: Engine, batches: Iterable[tuple[np.ndarray, np.ndarray]], mode: PoolingMode
) -> Iterator[np.ndarray]:
    """One pooled (B, H) float32 array per (input_ids, lengths) batch, in order: the engine's own `pooled`
    (on its device, pipelined) when it has one, else `forward` and minilm.pooling.pool on the host."""
    own = getattr(engine, "pooled", None)
    if own is not None:
        yield from own(batches, mode)
        return
    for ids, lengths in batches:
        yield pool(engine.forward(ids, lengths), lengths, mode)


class Encoder:
    """A loaded sentence-embedding model. Create it with `minilm.load()`.

    max_tokens: padded tokens per engine call (default: the engine's batch hints on an accelerator, else
    DEFAULT_MAX_TOKENS); run_cost: what one engine call costs beyond its tokens, in padded tokens (batching.plan
    cuts batches where padding would cost more than another call).
    """

    def __init__(self, name: str, folder: ModelFolder, tokenizer: Tokenizer, engine: Engine, sha256: str,
                 source: str, *, max_tokens: int | None = None, run_cost: int = RUN_COST_TOKENS):  # fmt: skip
        hints = hints_of(engine)  # an accelerator's batch sizes (the torch engine on a GPU), else the CPU's
        if max_tokens is None:
            max_tokens = hints.max_tokens if hints else DEFAULT_MAX_TOKENS
        for what, value in (("max_tokens", max_tokens), ("run_cost", run_cost)):
            if not isinstance(value, int) or value < (1 if what == "max_tokens" else 0):
                raise InputError(f"{what} must be a {'positive' if what == 'max_tokens' else 'non-negative'} "
                                 f"int, got {value!r}")  # fmt: skip
        self.name = name
        self.folder = folder
        self.config = folder.config
        self.tokenizer = tokenizer
        self.engine = engine
        self.sha256 = sha256
        self.source = source
        self.max_tokens = max_tokens
        self.run_cost = run_cost
        self._hints = hints
        self.min_rows, self.block = (hints.min_rows, hints.block) if hints else (1, BLOCK)  # rows per call, texts read

    # -- facts -------------------------------------------------------------------------------------------
    @property
    def dimension(self) -> int:
        """Length of a sentence vector (384 for all-MiniLM-L6-v2)."""
        return self.config.bert.hidden_size

    @property
    def max_seq_length(self) -> int:
        """Tokens per text the model sees, [CLS]/[SEP] included (256 for all-MiniLM-L6-v2)."""
        return self.tokenizer.max_length

    def info(self) -> dict[str, Any]:
        """What is loaded: model, where it came from, the weights' digest, engine and threads (and the device and
        dtype of an engine that has them: torch)."""
        return {
            "model": self.name,
            "source": self.source,
            "path": str(self.folder.path),
            "sha256": self.sha256,
            "engine": self.engine.name,
            "threads": self.engine.threads,
            **{key: getattr(self.engine, key) for key in ("device", "dtype") if hasattr(self.engine, key)},
            "dimension": self.dimension,
            "max_seq_length": self.max_seq_length,
            "layers": self.config.bert.num_hidden_layers,
            "pooling": self.config.pooling.mode,
            "normalize": self.config.pooling.normalize,
        }

    def __repr__(self) -> str:
        return f"Encoder({self.name!r}, engine={self.engine.name!r}, dimension={self.dimension})"

    # -- public API ----------------------------------------------------------------------------------------
    def tokenize(self, texts: str | Iterable[str]) -> list[list[int]]:
        """Token ids as the model sees them: [CLS] ... [SEP], cut to max_seq_length."""
        items, _ = as_texts(texts)
        return self.tokenizer(items)

    def similarity(self, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        """Cosine similarity matrix (N, M) between vectors a (N, D) or (D,) and b (M, D) or (D,) (default: a)."""
        return cosine_matrix(as_vectors(a, "a"), None if b is None else as_vectors(b, "b"))

    @overload
    def encode(  # type: ignore[overload-overlap]  # one str gives one array, token states included
        self, texts: str, *, output: Literal["sentence", "token"] = ..., options: EncodeOptions | None = ...,
        **settings: Unpack[Settings],
    ) -> np.ndarray: ...  # fmt: skip
    @overload
    def encode(
        self, texts: Iterable[str], *, output: Literal["sentence"] = ..., options: EncodeOptions | None = ...,
        **settings: Unpack[Settings],
    ) -> np.ndarray: ...  # fmt: skip
    @overload
    def encode(
        self, texts: Iterable[str], *, output: Literal["token"], options: EncodeOptions | None = ...,
        **settings: Unpack[Settings],
    ) -> list[np.ndarray]: ...  # fmt: skip
    @overload
    def encode(
        self, texts: str | Iterable[str], *, output: str = ..., options: EncodeOptions | None = ...,
        **settings: Unpack[Settings],
    ) -> np.ndarray | list[np.ndarray]: ...  # fmt: skip
    def encode(
        self, texts: str | Iterable[str], *args: Any, options: EncodeOptions | None = None, **settings: Any
    ) -> np.ndarray | list[np.ndarray]:
        """Embed texts.

        The options are EncodeOptions' fields, by name or in its order after `texts` (batch_size=32,
        normalize=None, show_progress=None, output="sentence", precision="float32", on_long="truncate",
        chunk_overlap=32, ranges=None), or one `options=EncodeOptions(...)` (settings given beside it override it).
        Returns a float32 array (N, D) for a list (an empty list gives (0, D)) and (D,) for one str.
        normalize: None follows the model's pipeline (all-MiniLM-L6-v2 has a Normalize module, so its vectors
        are unit length); True / False force L2 normalization on / off (False gives the raw pooled vectors).
        output="token" returns each text's token states instead, a list of (tokens, D) arrays ((tokens, D) for
        one str).
        precision: "float32", "int8", "uint8", "binary" or "ubinary" (sentence-transformers' meanings;
        `ranges` (2, D) fixes the int8/uint8 range, else it is taken from the vectors themselves, which needs
        several texts).
        on_long: texts over max_seq_length tokens are "truncate"d like the reference (default), truncated
        with a "warn"ing, rejected ("error"), or "chunk"ed into overlapping windows whose mean-pooled
        vectors are averaged weighted by token count (see minilm.long_text).
        """
        vectors, _ = self._encode(texts, EncodeOptions.of(options, *args, **settings))
        return vectors

    def encode_with_info(
        self, texts: str | Iterable[str], *args: Any, options: EncodeOptions | None = None, **settings: Any
    ) -> tuple[np.ndarray | list[np.ndarray], EncodeInfo]:
        """Like encode, and also returns EncodeInfo (token counts, truncated flags, chunk counts, exact counts)."""
        return self._encode(texts, EncodeOptions.of(options, *args, **settings))

    def _encode(self, texts: str | Iterable[str], o: EncodeOptions) -> tuple[np.ndarray | list[np.ndarray], EncodeInfo]:
        items, single = as_texts(texts)
        long_text.check_overlap(o.on_long, o.chunk_overlap, self.max_seq_length)
        ranges = check_ranges(o.ranges, self.dimension) if o.output == "sentence" else None
        tally = Tally(len(items), self.max_seq_length)
        means = WindowMeans(len(items), self.dimension, weighted=o.on_long == "chunk")
        states: list[np.ndarray] = []
        with progress_bar(len(items), o.show_progress) as bar:
            for part in self._parts(items, o.on_long, o.chunk_overlap):
                tally.add(part)
                long_text.refuse_long(part, o.on_long, self.max_seq_length)
                if o.output == "token":
                    states += self._run(part.units, o.batch_size, self.max_tokens, tokens=True)
                else:
                    lengths = np.array([len(u) for u in part.units])
                    means.add(np.asarray(part.owners), lengths, self.embed_units(part.units, o.batch_size))
                bar.update(part.finished)
        info = tally.info()
        long_text.warn_long(info, o.on_long, self.max_seq_length, stacklevel=3)
        if o.output == "token":
            return (states[0] if single else states), info
        vectors = self._finalize(means.result(), o.normalize, o.precision, ranges)
        return (vectors[0] if single else vectors), info

    def encode_chunks(
        self, texts: str | Iterable[str], overlap: int = DEFAULT_OVERLAP, batch_size: int = 32,
        normalize: bool | None = None,
    ) -> list[Chunks]:  # fmt: skip
        """Embed every window of each text: one Chunks (vectors, character spans, token counts) per text.

        A text that fits in max_seq_length is one window covering it; longer texts are split into windows of
        max_seq_length tokens with `overlap` tokens shared by neighbours.
        """
        o = EncodeOptions(batch_size=batch_size, normalize=normalize, on_long="chunk", chunk_overlap=overlap)
        prepared = self.prepare(texts, "chunk", overlap)
        vectors = self._finalize(self.embed_units(prepared.units, o.batch_size), o.normalize, "float32", None)
        bounds = np.searchsorted(prepared.owners, np.arange(len(prepared.info.chunks) + 1))
        return [
            Chunks(vectors[a:b], prepared.spans[a:b], [len(u) for u in prepared.units[a:b]])
            for a, b in itertools.pairwise(bounds)
        ]

    # -- the pipeline, step by step ------------------------------------------------------------------------
    def prepare(self, texts: str | Iterable[str], on_long: OnLong = "truncate",
                chunk_overlap: int = DEFAULT_OVERLAP) -> Prepared:  # fmt: skip
        """Texts -> units for the engine under the long-text policy (see Prepared). Reads of each text only what
        the policy needs: a bounded prefix (truncate/warn/error), or the whole text piece by piece (chunk)."""
        items, _ = as_texts(texts)
        o = EncodeOptions(on_long=on_long, chunk_overlap=chunk_overlap)
        long_text.check_overlap(o.on_long, o.chunk_overlap, self.max_seq_length)
        all_parts = []
        for part in self._parts(items, o.on_long, o.chunk_overlap):
            long_text.refuse_long(part, o.on_long, self.max_seq_length)
            all_parts.append(part)
        prepared = prepare.gather(all_parts, len(items), self.max_seq_length)
        long_text.warn_long(prepared.info, o.on_long, self.max_seq_length, stacklevel=2)
        return prepared

    def plan(self, lengths: Sequence[int], batch_size: int, max_tokens: int) -> Iterator[np.ndarray]:
        """How units of these lengths are cut into engine calls (index arrays, longest-sorted): batching.fill
        (greedy, linear) for an engine with batch hints (an accelerator), else batching.plan (cost-based)."""
        if self._hints is not None:
            return batching.fill(lengths, max(batch_size, self.min_rows), max_tokens)
        return batching.plan(lengths, batch_size, max_tokens, self.run_cost)

    def embed_units(self, units: Sequence[Sequence[int]], batch_size: int = 32,
                    max_tokens: int | None = None) -> np.ndarray:  # fmt: skip
        """Pooled vectors (U, D) float32, not normalized, of token-id units (each [CLS] ... [SEP], at most
        max_seq_length), run through the engine in length-sorted batches of at most batch_size rows and about
        max_tokens padded tokens (default: the encoder's). A batch cut by `plan` under the same limits runs as one
        engine call."""
        pooled: np.ndarray = self._run(units, batch_size, self.max_tokens if max_tokens is None else max_tokens)
        return pooled

    def embed_batch(self, units: Sequence[Sequence[int]]) -> np.ndarray:
        """Pooled vectors (B, D) float32, not normalized, of one batch already cut by `plan` (the server's
        batcher plans its windows itself): padded and run as one engine call, in the order given."""
        batch = batching.pad(list(units), self.tokenizer.pad_id)
        return next(pooled_batches(self.engine, iter([batch]), self.config.pooling.mode))

    def token_states(self, units: Sequence[Sequence[int]], batch_size: int = 32) -> list[np.ndarray]:
        """Each unit's token states (T_i, D) float32 in order: the model's last hidden states, not pooled."""
        states: list[np.ndarray] = self._run(units, batch_size, self.max_tokens, tokens=True)
        return states

    def finish(self, prepared: Prepared, pooled: np.ndarray, normalize: bool | None = None,
               precision: Precision = "float32", ranges: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        """One vector per input (N, D) from the units' pooled vectors (U, D): a text's windows combined (mean
        weighted by token count), normalized as the model's Normalize module does unless `normalize` says,
        then cast to `precision`."""
        o = EncodeOptions(normalize=normalize, precision=precision, ranges=ranges)
        n = len(prepared.info.token_counts)
        ranges = check_ranges(o.ranges, self.dimension)
        if pooled.shape != (len(prepared.units), self.dimension):
            raise InputError(f"pooled has shape {pooled.shape}, expected ({len(prepared.units)}, {self.dimension})")
        means = WindowMeans(n, self.dimension, weighted=not np.array_equal(prepared.owners, np.arange(n)))
        means.add(prepared.owners, np.array([len(u) for u in prepared.units]), pooled)
        return self._finalize(means.result(), o.normalize, o.precision, ranges)

    # -- internals -----------------------------------------------------------------------------------------
    def _parts(self, items: list[str], on_long: str, overlap: int) -> Iterator[Part]:
        """The units of items in parts; beyond one block, the next part is read while the caller embeds this one."""
        parts = long_text.parts(self.tokenizer, items, on_long, overlap, self.block)
        return batching.ahead(parts) if len(items) > self.block else parts

    def _normalizes(self, normalize: bool | None) -> bool:
        """None follows the model's pipeline (a Normalize module); True / False force it on / off."""
        return self.config.pooling.normalize if normalize is None else normalize

    def _finalize(self, vectors: np.ndarray, normalize: bool | None, precision: str,
                  ranges: np.ndarray | None) -> np.ndarray:  # fmt: skip
        vectors = l2_normalize(vectors) if self._normalizes(normalize) else vectors
        return quantize(vectors, precision, ranges=ranges)

    def _run(self, units: Sequence[Sequence[int]], batch_size: int, max_tokens: int, tokens: bool = False) -> Any:
        """Run the engine over id lists in length-sorted batches; pooled (U, D) or a list of token states."""
        cuts = list(self.plan([len(u) for u in units], batch_size, max_tokens))
        batches = (batching.pad([units[i] for i in rows], self.tokenizer.pad_id) for rows in cuts)
        if not tokens:  # pooled by the engine where it can (on its device), else on the host
            pooled = np.empty((len(units), self.dimension), dtype=np.float32)
            for rows, vectors in zip(cuts, pooled_batches(self.engine, batches, self.config.pooling.mode), strict=True):
                pooled[rows] = vectors
            return pooled
        states_out: list[np.ndarray] = [np.empty(0)] * len(units)
        for rows, (ids, lens) in zip(cuts, batches, strict=True):
            states = self.engine.forward(ids, lens)  # (B, T, D)
            for r, i in enumerate(rows):
                states_out[i] = np.array(states[r, : lens[r]], dtype=np.float32)
        return states_out
