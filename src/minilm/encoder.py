"""The public encoder object: texts in, sentence vectors out.

Pipeline (one place for all engines): validate -> tokenize in full -> apply the long-text policy ->
length-sorted batches -> engine.forward -> pooling -> normalize -> output precision -> original order.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from minilm import batching, chunking
from minilm.checkpoint.folder import ModelFolder
from minilm.engines.base import Engine, batch_cuts, hints_of, pooled_batches
from minilm.errors import InputError, TooLongError
from minilm.inputs import as_texts
from minilm.pooling import l2_normalize
from minilm.precision import PRECISIONS, quantize
from minilm.progress import progress_bar
from minilm.tokenizer import Tokenizer, Tokens

OnLong = Literal["truncate", "warn", "error", "chunk"]
ON_LONG = ("truncate", "warn", "error", "chunk")
BLOCK = 2048  # texts tokenized and embedded at a time (the next block is tokenized while this one embeds)
# Padded tokens per batch (the token budget). Long texts: 1,024 (4 abstracts of 256 tokens) ran int8 1.4x faster
# than 8,192 (69 vs 49 SciFact docs/s, alternating rounds) and fp32 level (29.4 vs 29.2), and halved peak memory
# (ORT's arena grows to the largest batch: 606 -> 282 MB fp32). Short texts fill 32 rows well under it.
DEFAULT_MAX_TOKENS = 1024
DEFAULT_OVERLAP = 32  # tokens shared by neighbouring chunk windows


@dataclass(frozen=True)
class EncodeInfo:
    """Per-text facts about an encode: full token counts ([CLS]/[SEP] included) and whether each was cut."""

    token_counts: np.ndarray  # (N,) int64
    truncated: np.ndarray  # (N,) bool
    chunks: np.ndarray  # (N,) int64: windows embedded per text (1 unless on_long="chunk")


@dataclass(frozen=True)
class Chunks:
    """One text's windows: vectors (n, D), character spans [(start, end)], and token counts."""

    vectors: np.ndarray
    spans: list[tuple[int, int]]
    token_counts: list[int]


class Encoder:
    """A loaded sentence-embedding model. Create it with `minilm.load()`."""

    def __init__(self, name: str, folder: ModelFolder, tokenizer: Tokenizer, engine: Engine, sha256: str,
                 source: str):  # fmt: skip
        self.name = name
        self.folder = folder
        self.config = folder.config
        self.tokenizer = tokenizer
        self.engine = engine
        self.sha256 = sha256
        self.source = source
        hints = hints_of(engine)  # an accelerator's batch sizes (the torch engine on a GPU), else the CPU's
        self.max_tokens = hints.max_tokens if hints else DEFAULT_MAX_TOKENS
        self.min_rows, self.block = (hints.min_rows, hints.block) if hints else (1, BLOCK)
        self._cut = batch_cuts(engine)

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
    def tokenize(self, texts: str | list[str]) -> list[list[int]]:
        """Token ids as the model sees them: [CLS] ... [SEP], cut to max_seq_length."""
        items, _ = as_texts(texts)
        return self.tokenizer(items)

    def similarity(self, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        """Cosine similarity matrix (N, M) between vectors a (N, D) or (D,) and b (M, D) or (D,) (default: a)."""
        left = l2_normalize(np.atleast_2d(np.asarray(a, dtype=np.float32)))
        right = left if b is None else l2_normalize(np.atleast_2d(np.asarray(b, dtype=np.float32)))
        if left.shape[1] != right.shape[1]:
            raise InputError(f"vectors of dimension {left.shape[1]} and {right.shape[1]} cannot be compared")
        return left @ right.T

    def encode(
        self,
        texts: str | list[str],
        batch_size: int = 32,
        normalize: bool | None = None,
        show_progress: bool | None = None,
        output: Literal["sentence", "token"] = "sentence",
        precision: str = "float32",
        on_long: OnLong = "truncate",
        chunk_overlap: int = DEFAULT_OVERLAP,
        ranges: np.ndarray | None = None,
    ) -> Any:
        """Embed texts.

        Returns a float32 array (N, D) for a list (an empty list gives (0, D)) and (D,) for one str.
        normalize: None follows the model's pipeline (all-MiniLM-L6-v2 has a Normalize module, so its vectors
        are unit length); True / False force L2 normalization on / off (False gives the raw pooled vectors).
        output="token" returns each text's token states instead, a list of (tokens, D) arrays.
        precision: "float32", "int8", "uint8", "binary" or "ubinary" (sentence-transformers' meanings;
        `ranges` (2, D) fixes the int8/uint8 range, else it is taken from the vectors themselves).
        on_long: texts over max_seq_length tokens are "truncate"d like the reference (default), truncated
        with a "warn"ing, rejected ("error"), or "chunk"ed into overlapping windows whose mean-pooled
        vectors are averaged weighted by token count.
        """
        vectors, _ = self.encode_with_info(
            texts, batch_size, normalize, show_progress, output, precision, on_long, chunk_overlap, ranges
        )
        return vectors

    def encode_with_info(
        self,
        texts: str | list[str],
        batch_size: int = 32,
        normalize: bool | None = None,
        show_progress: bool | None = None,
        output: Literal["sentence", "token"] = "sentence",
        precision: str = "float32",
        on_long: OnLong = "truncate",
        chunk_overlap: int = DEFAULT_OVERLAP,
        ranges: np.ndarray | None = None,
    ) -> tuple[Any, EncodeInfo]:
        """Like encode, and also returns EncodeInfo (token counts, truncated flags, chunk counts)."""
        items, single = as_texts(texts)
        self._check_options(output, precision, on_long, batch_size)
        if output == "token" and on_long == "chunk":
            raise InputError("on_long='chunk' gives one vector per text; it cannot return token states")

        counts = np.zeros(len(items), dtype=np.int64)
        n_chunks = np.ones(len(items), dtype=np.int64)
        pooled = np.zeros((len(items), self.dimension), dtype=np.float32)
        token_states: list[np.ndarray] = []
        starts = range(0, len(items), self.block)
        with progress_bar(len(items), show_progress) as bar:
            tokenized = batching.prefetched(self.tokenizer.encode, [items[s : s + self.block] for s in starts])
            for start, block in zip(starts, tokenized, strict=True):
                counts[start : start + len(block)] = [len(t) for t in block]
                self._check_long(block, start, on_long)
                if output == "token":
                    units = [self.tokenizer.truncate(t.ids) for t in block]
                    token_states += self._embed_units(units, batch_size, tokens=True)
                elif on_long == "chunk":
                    pooled[start : start + len(block)], n_chunks[start : start + len(block)] = self._embed_chunked(
                        block, batch_size, chunk_overlap
                    )
                else:
                    units = [self.tokenizer.truncate(t.ids) for t in block]
                    pooled[start : start + len(block)] = self._embed_units(units, batch_size)
                bar.update(len(block))

        info = EncodeInfo(counts, counts > self.max_seq_length, n_chunks)
        if output == "token":
            return (token_states[0] if single else token_states), info
        vectors = l2_normalize(pooled) if self._normalizes(normalize) else pooled
        vectors = quantize(vectors, precision, ranges=ranges)
        return (vectors[0] if single else vectors), info

    def encode_chunks(
        self, texts: str | list[str], overlap: int = DEFAULT_OVERLAP, batch_size: int = 32,
        normalize: bool | None = None,
    ) -> list[Chunks]:  # fmt: skip
        """Embed every window of each text: one Chunks (vectors, character spans, token counts) per text.

        A text that fits in max_seq_length is one window covering it; longer texts are split into windows of
        max_seq_length tokens with `overlap` tokens shared by neighbours.
        """
        items, _ = as_texts(texts)
        tokenized = self.tokenizer.encode(items)
        windows = [
            chunking.windows(t, self.max_seq_length, overlap, self.tokenizer.cls_id, self.tokenizer.sep_id)
            for t in tokenized
        ]
        flat = [w for per_text in windows for w in per_text]
        vectors = self._embed_units([w.ids for w in flat], batch_size)
        if self._normalizes(normalize):
            vectors = l2_normalize(vectors)
        out, at = [], 0
        for per_text in windows:
            out.append(
                Chunks(
                    vectors=vectors[at : at + len(per_text)],
                    spans=[(w.start, w.end) for w in per_text],
                    token_counts=[len(w.ids) for w in per_text],
                )
            )
            at += len(per_text)
        return out

    # -- pipeline ------------------------------------------------------------------------------------------
    def _normalizes(self, normalize: bool | None) -> bool:
        """None follows the model's pipeline (a Normalize module); True / False force it on / off."""
        return self.config.pooling.normalize if normalize is None else normalize

    def _check_options(self, output: str, precision: str, on_long: str, batch_size: int) -> None:
        if output not in ("sentence", "token"):
            raise InputError(f"output {output!r} is unknown; expected 'sentence' or 'token'")
        if precision not in PRECISIONS:
            raise InputError(f"precision {precision!r} is unknown; expected one of {PRECISIONS}")
        if output == "token" and precision != "float32":
            raise InputError("output='token' returns float32 token states; precision must be 'float32'")
        if on_long not in ON_LONG:
            raise InputError(f"on_long {on_long!r} is unknown; expected one of {ON_LONG}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be a positive int, got {batch_size!r}")

    def _check_long(self, block: list[Tokens], offset: int, on_long: str) -> None:
        limit = self.max_seq_length
        long = [i for i, t in enumerate(block) if len(t) > limit]
        if not long or on_long in ("truncate", "chunk"):
            return
        first = long[0]
        if on_long == "error":
            raise TooLongError(
                f"input {offset + first} has {len(block[first])} tokens, over the model's limit of {limit} "
                f"({len(long)} such texts in this block); use on_long='truncate' or 'chunk'"
            )
        warnings.warn(
            f"{len(long)} texts over {limit} tokens were truncated (first: input {offset + first}, "
            f"{len(block[first])} tokens); on_long='chunk' embeds them whole",
            stacklevel=4,
        )

    def _embed_chunked(self, block: list[Tokens], batch_size: int, overlap: int) -> tuple[np.ndarray, np.ndarray]:
        """One vector per text: the token-weighted mean of its windows' pooled vectors."""
        cls_id, sep_id = self.tokenizer.cls_id, self.tokenizer.sep_id
        windows = [chunking.windows(t, self.max_seq_length, overlap, cls_id, sep_id) for t in block]
        owners = np.repeat(np.arange(len(block)), [len(w) for w in windows])
        flat = [w.ids for per_text in windows for w in per_text]
        pooled = self._embed_units(flat, batch_size)  # (n_windows, D)
        weights = np.fromiter((len(ids) for ids in flat), dtype=np.float32, count=len(flat))
        sums = np.zeros((len(block), self.dimension), dtype=np.float32)
        np.add.at(sums, owners, pooled * weights[:, None])
        totals = np.bincount(owners, weights=weights, minlength=len(block)).astype(np.float32)
        return sums / totals[:, None], np.bincount(owners, minlength=len(block))

    def _embed_units(self, units: list[list[int]], batch_size: int, tokens: bool = False) -> Any:
        """Run the engine over id lists in length-sorted batches; pooled (N, D) or a list of token states."""
        lengths = [len(u) for u in units]
        cuts = list(self._cut(lengths, max(batch_size, self.min_rows), self.max_tokens))
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
