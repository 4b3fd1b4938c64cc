"""An index's chunks for the browser: the files `search.js` reads to search them the way `Index.search` does.

Files under `index/` of the exported folder (little-endian, row-major, one row per live chunk in key order):

| file | contents |
| --- | --- |
| codes.bin | int8 storage: (N, D) uint8 faiss 8-bit codes; binary storage: (N, D/8) sign bits (numpy packbits) |
| quantizer.bin | int8 storage only: (2, D) float32, faiss's per-dimension minimum and range of the 8-bit codes |
| vectors.bin | (N, D) float32 unit vectors: the candidates of the codes are rescored with them, as Index.search does |
| chunks.bin | (3, N) uint32: each chunk's document number, and its window's start and end (code points) |
| documents.json | {"ids": [...], "texts": [...], "metadata": [...]}, documents numbered by their place in these lists |

The int8 codes come from the index's own quantizer when the index is stored as int8 (so candidates equal the
index's); for an index stored otherwise a quantizer is trained on all its vectors, as a rebuild would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from minilm.encoder import Encoder
from minilm.errors import IndexMismatchError, InputError
from minilm.files import write_bytes_atomic
from minilm.index.index import Index
from minilm.index.ranking import RESCORE
from minilm.index.vectors import VectorIndex, faiss_module

STORAGES = ("int8", "binary", "float32")
FOLDER = "index"
CHOICES = 24  # a metadata field with 2 to this many distinct scalar values is offered as a drop-down filter


def write_index(index_path: Path, out_dir: Path, model: Encoder, storage: str | None = None) -> dict[str, Any]:
    """Write the index at `index_path` under `out_dir`/index/ for `storage` ("int8", "binary" or "float32"
    codes; None: the index's own storage); the manifest's "index" entry (file names and sizes, counts, storage,
    dimension, rescore depth). IndexMismatchError when the index was built with another model or dimension."""
    if storage is not None and storage not in STORAGES:
        raise InputError(f"storage {storage!r} is unknown for a web export; expected one of {STORAGES}")
    with Index.open(index_path, cache=False) as index:
        settings = index.settings
        _check_model(Path(index_path), settings, model)
        storage = storage or str(settings["storage"])
        with index._structure.reading() as structure:  # one snapshot: chunks, vectors and the structure agree
            chunks = index.store.chunk_owners()
            chunks.sort(key=lambda row: row[1])  # key order, the order of faiss's positions
            keys = [key for _, key, _ in chunks]
            vectors = index.store.vectors(keys)  # (N, D) float32
            rows = index.store.chunks(keys)
            documents = index.store.documents()
            trained = _trained(structure) if storage == settings["storage"] == "int8" else None
    ids = [doc_id for doc_id, _, _ in documents]
    number = {doc_id: n for n, doc_id in enumerate(ids)}
    table = np.zeros((3, len(keys)), dtype="<u4")  # (3, N): document, start, end
    for i, key in enumerate(keys):
        row = rows[key]
        table[:, i] = (number[row.doc_id], row.start, row.end)

    folder = Path(out_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    blobs: dict[str, bytes] = {"vectors": np.ascontiguousarray(vectors, dtype="<f4").tobytes(),
                               "chunks": table.tobytes()}  # fmt: skip
    if storage == "binary":
        blobs["codes"] = np.packbits(vectors > 0, axis=1).tobytes()  # (N, D/8), as VectorIndex codes them
    elif storage == "int8":
        quantizer = _quantizer(vectors, trained)
        blobs["quantizer"] = faiss_module().vector_to_array(quantizer.sq.trained).astype("<f4").tobytes()
        blobs["codes"] = quantizer.sa_encode(vectors).tobytes() if len(vectors) else b""
    texts = {"ids": ids, "texts": [text for _, text, _ in documents], "metadata": [meta for _, _, meta in documents]}
    blobs["documents"] = json.dumps(texts, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    files = {}
    for name, blob in blobs.items():
        file = f"{name}.json" if name == "documents" else f"{name}.bin"
        write_bytes_atomic(folder / file, blob)
        files[name] = {"path": f"{FOLDER}/{file}", "bytes": len(blob)}
    return {
        "storage": storage, "dimension": int(settings["dimension"]), "chunks": len(keys), "documents": len(ids),
        "rescore": RESCORE[storage], "chunked": bool(settings["chunk"]), "model": settings["model"],
        "sha256": settings["sha256"], "choices": choices([meta for _, _, meta in documents]), "files": files,
    }  # fmt: skip


def choices(metadata: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """{field: its values, sorted} for the metadata fields holding 2 to CHOICES distinct str, number or bool
    values (the page's drop-down filters)."""
    seen: dict[str, dict[str, Any]] = {}
    for meta in metadata:
        for name, value in meta.items():
            if isinstance(value, str | int | float) and len(held := seen.setdefault(name, {})) <= CHOICES:
                held[json.dumps(value)] = value
    return {name: sorted(values.values(), key=lambda v: (str(type(v)), v))
            for name, values in sorted(seen.items()) if 2 <= len(values) <= CHOICES}  # fmt: skip


def check_index(index_path: Path, model: Encoder) -> None:
    """IndexMismatchError (before any file is written) when the index at `index_path` was built with another
    model or dimension; IndexStoreError when it holds no index."""
    with Index.open(index_path, cache=False) as index:
        _check_model(Path(index_path), index.settings, model)


def _check_model(path: Path, settings: dict[str, Any], model: Encoder) -> None:
    """IndexMismatchError naming both models when `model` is not the one the index was built with."""
    built = f"{settings['model']} (dimension {settings['dimension']}, sha256 {str(settings['sha256'])[:12]}…)"
    given = f"{model.name} (dimension {model.dimension}, sha256 {model.sha256[:12]}…)"
    if model.dimension != settings["dimension"] or model.sha256 != settings["sha256"]:
        raise IndexMismatchError(
            f"{path} was built with {built}; the model exported is {given}: its query vectors would not be "
            "comparable (export the index's model, or rebuild the index with this one)"
        )


def _trained(structure: VectorIndex) -> np.ndarray | None:
    """The (2D,) minimum and range of an int8 structure's 8-bit codes (None while it holds no vectors)."""
    faiss = structure.faiss
    if structure.index is None:
        return None
    flat = faiss.downcast_index(structure.index.storage) if structure.search_kind == "hnsw" else structure.index
    return np.asarray(faiss.vector_to_array(flat.sq.trained), dtype=np.float32)


def _quantizer(vectors: np.ndarray, trained: np.ndarray | None) -> Any:
    """A faiss 8-bit scalar quantizer with the given ranges, or trained on `vectors` (per dimension min/max)."""
    faiss = faiss_module()
    dimension = vectors.shape[1]
    made = faiss.IndexScalarQuantizer(dimension, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    if trained is not None:
        faiss.copy_array_to_vector(trained, made.sq.trained)
        made.is_trained = True
    else:
        made.train(vectors if len(vectors) else np.zeros((1, dimension), np.float32))
    return made
