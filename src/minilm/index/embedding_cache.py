"""An embedding cache shared by indexes: chunk vectors and spans keyed by (model weights digest, text hash).

It lives in one SQLite file ($MINILM_HOME/embeddings.sqlite by default), so re-adding a text that any index
embedded before with the same model and chunking costs a look-up, not a forward pass.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minilm.checkpoint.cache import minilm_home
from minilm.encoder import Encoder
from minilm.index.documents_db import param_batches

log = logging.getLogger(__name__)


@dataclass
class EmbeddedWindows:
    """One document's windows: (start, end, tokens) per window and their vectors (n, D) float32."""

    spans: list[tuple[int, int, int]]
    vectors: np.ndarray


def text_hash(text: str) -> str:
    """The content hash of a text (sha256 of its UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_cache_path() -> Path:
    return minilm_home() / "embeddings.sqlite"


class EmbeddingCache:
    """(model digest, chunking, text hash) -> EmbeddedWindows, in SQLite; safe to share between processes."""

    def __init__(self, path: Path | None = None):
        self.path = path or default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, key TEXT NOT NULL, spans TEXT NOT NULL, "
            "vectors BLOB NOT NULL, PRIMARY KEY (model, key))"
        )

    def get(self, model: str, keys: list[str], dimension: int) -> dict[str, EmbeddedWindows]:
        out: dict[str, EmbeddedWindows] = {}
        for part in param_batches(keys):
            marks = ",".join("?" * len(part))
            sql = f"SELECT key, spans, vectors FROM embeddings WHERE model = ? AND key IN ({marks})"
            for key, spans, blob in self.db.execute(sql, [model, *part]):
                vectors = np.frombuffer(blob, dtype=np.float32)
                spans_list = [tuple(s) for s in json.loads(spans)]
                if vectors.size != len(spans_list) * dimension:
                    log.warning("embedding cache %s: entry %s has the wrong size; ignored", self.path, key)
                    continue
                out[key] = EmbeddedWindows(spans_list, vectors.reshape(len(spans_list), dimension))
        return out

    def put(self, model: str, items: dict[str, EmbeddedWindows]) -> None:
        rows = [(model, k, json.dumps(e.spans), np.ascontiguousarray(e.vectors, np.float32).tobytes())
                for k, e in items.items()]  # fmt: skip
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # another process holds the cache: caching is best effort
            log.warning("embedding cache %s not updated: %s", self.path, exc)
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")

    def close(self) -> None:
        self.db.close()


def embed_documents(model: Encoder, texts: list[str], chunk: bool, overlap: int,
                    cache: EmbeddingCache | None = None) -> list[EmbeddedWindows]:  # fmt: skip
    """Each text's windows: every 256-token window with `overlap` (chunk=True), or the first window only, the
    reference's truncation (chunk=False). Cached per (model digest, chunking, text)."""
    mode = f"chunk{overlap}" if chunk else "truncate"
    keys = [text_hash(mode + "\0" + t) for t in texts]
    found = cache.get(model.sha256, keys, model.dimension) if cache is not None else {}
    todo = sorted({i for i, k in enumerate(keys) if k not in found}, key=lambda i: keys[i])
    todo = list({keys[i]: i for i in todo}.values())  # one forward pass per distinct text
    if todo:
        fresh = _embed(model, [texts[i] for i in todo], chunk, overlap)
        made = {keys[i]: e for i, e in zip(todo, fresh, strict=True)}
        if cache is not None:
            cache.put(model.sha256, made)
        found = {**found, **made}
    log.info("embedded %d of %d texts (%d from the cache)", len(todo), len(texts), len(texts) - len(todo))
    return [found[k] for k in keys]


def _embed(model: Encoder, texts: list[str], chunk: bool, overlap: int) -> list[EmbeddedWindows]:
    """Every window (chunk) or the first window (the reference's truncation) of each text, with its span."""
    if chunk:
        return [
            EmbeddedWindows([(s, e, n) for (s, e), n in zip(c.spans, c.token_counts, strict=True)], c.vectors)
            for c in model.encode_chunks(texts, overlap=overlap)
        ]
    prepared = model.prepare(texts)  # one unit per text, cut at max_seq_length like the reference
    vectors = model.finish(prepared, model.embed_units(prepared.units))
    return [
        EmbeddedWindows([(start, end, len(unit))], vector[None])
        for (start, end), unit, vector in zip(prepared.spans, prepared.units, vectors, strict=True)
    ]
