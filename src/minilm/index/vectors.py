"""Vector search over an index's chunks with faiss: exact or HNSW, over float32, int8 or binary codes.

| storage | exact | HNSW | held in memory per vector (384-d) |
| --- | --- | --- | --- |
| float32 | IndexFlatIP (BLAS for batches) | IndexHNSWFlat | 1,536 B (+ ~130 B of graph links for HNSW) |
| int8 | IndexScalarQuantizer 8-bit (per-dimension min/max) | IndexHNSWSQ | 384 B (+ links) |
| binary | IndexBinaryFlat (Hamming) | IndexBinaryHNSW | 48 B (+ links) |

The large layout (vector_file.py) adds an inverted file: "ivf" is IndexIVFPQ over IVF_LISTS coarse lists (an
HNSW graph over their centres assigns vectors and queries to lists) with 48-byte product-quantizer codes, 56 B
per vector in memory with its id. It is trained once (`train`, on a sample); later vectors are encoded and
appended to their lists without training again. Its scores are estimates: index.py rescores the candidates
with the int8 vectors of the vector file.

faiss numbers its vectors 0..n-1 (positions); `keys` maps positions to the store's chunk keys, which grow with
insertion order, so positions of keys are found by binary search. A deleted chunk stays in the faiss index,
masked out by an ID selector, until a rebuild. The float32 vectors stay in SQLite: index.py rescores the
candidates of the int8 and binary modes with them.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from minilm.errors import IndexCorruptError, IndexMismatchError, IndexStoreError, InputError
from minilm.extras import missing_module
from minilm.files import UnsafeFileError, atomic_write

log = logging.getLogger(__name__)
STORAGES = ("float32", "int8", "binary")
SEARCHES = ("exact", "hnsw", "ivf")
IVF_LISTS = 4096  # coarse lists of a large index (fewer when trained on fewer than IVF_LISTS * 39 vectors)
PQ_DIMENSIONS = 8  # dimensions per byte of a vector's product-quantizer code in the inverted file (48 B at 384-d)
ASSIGN_EF = 128  # HNSW candidates searched for the nearest list of a vector added to the inverted file
TRAIN_PER_LIST = 39  # training vectors per coarse list (faiss's k-means wants at least this many)
# (recall@10 reached, lists probed, candidates rescored) of the inverted file: the recall each setting reached in
# benchmarks/index/large.py at 10M chunks (4,096 lists; the lower of two runs, before and after a 100k append).
# Smaller indexes reach more with the same plan. A target above the last one gets the last plan.
IVF_PLANS = ((0.54, 16, 100), (0.65, 32, 200), (0.78, 64, 500), (0.87, 128, 1000), (0.92, 256, 2000),
             (0.95, 512, 4000))  # fmt: skip


def ivf_plan(recall: float) -> tuple[int, int]:
    """(lists probed, candidates rescored) for a recall@10 target: the first plan that reaches it."""
    for reached, probes, depth in IVF_PLANS:
        if reached >= recall:
            return probes, depth
    return IVF_PLANS[-1][1], IVF_PLANS[-1][2]


HNSW_M = 32  # graph links per vector
EF_CONSTRUCTION = 128
EF_SEARCH = 128
FEW_QUERIES = 16


@contextmanager
def _omp_threads(faiss: Any, threads: int | None) -> Iterator[None]:
    """Run faiss on `threads` OpenMP threads inside the block (None: as set). OpenMP keeps this setting per
    calling thread, so concurrent searches from other Python threads are not affected."""
    if threads is None:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def faiss_module() -> Any:
    """faiss, or MissingExtraError naming the install line."""
    try:
        import faiss
    except ImportError as exc:
        raise missing_module("index", "the index", exc) from None
    return faiss


class VectorIndex:
    """A faiss index over (key, vector) pairs with deletions masked out; scores are cosine (or its estimate)."""

    def __init__(self, dimension: int, storage: str, search: str, index: Any = None, keys: np.ndarray | None = None,
                 alive: np.ndarray | None = None):  # fmt: skip
        if storage not in STORAGES:
            raise InputError(f"storage {storage!r} is unknown; expected one of {STORAGES}")
        if search not in SEARCHES:
            raise InputError(f"search {search!r} is unknown; expected one of {SEARCHES}")
        self.faiss = faiss_module()
        self.dimension, self.storage, self.search_kind = dimension, storage, search
        self.index = index
        self.keys = np.zeros(0, dtype=np.int64) if keys is None else keys
        self.alive = np.ones(len(self.keys), dtype=bool) if alive is None else alive
        # count of alive and its bitmap for faiss, kept between changes (every search reads them)
        self._live: int | None = None
        self._bitmap: np.ndarray | None = None

    # -- building ------------------------------------------------------------------------------------------
    def train(self, sample: np.ndarray) -> None:
        """Make the inverted file and learn its lists and codes from `sample` (N, D); the only training it gets."""
        f, d = self.faiss, self.dimension
        sample = np.ascontiguousarray(sample, dtype=np.float32)
        lists = int(min(IVF_LISTS, max(1, len(sample) // TRAIN_PER_LIST)))
        code = d // PQ_DIMENSIONS if d % PQ_DIMENSIONS == 0 else d  # bytes per vector; one per dimension if odd
        made = f.index_factory(d, f"IVF{lists}_HNSW32,PQ{code}", f.METRIC_INNER_PRODUCT)
        ivf = f.downcast_index(f.extract_index_ivf(made))
        ivf.cp.niter = 10  # k-means rounds: the lists move little after ten
        # k-means assigns the sample with a flat (BLAS) index, not the HNSW graph it searches the lists with
        flat = f.IndexFlatIP(d)
        ivf.clustering_index = flat
        ivf.pq.cp.max_points_per_centroid = 64  # 16,384 residuals train each 256-code sub-quantizer
        # index_factory turns on polysemous training (a code order for Hamming filtering, unused here: the
        # codes are scanned by table lookups), and its annealing takes longer than the rest of training together.
        ivf.do_polysemous_training = False
        made.train(sample)
        ivf.clustering_index = None  # `flat` (owned here) is freed after this call
        self.index = _assign_widely(f, made)

    def _new_index(self, sample: np.ndarray) -> Any:
        f, d = self.faiss, self.dimension
        if self.search_kind == "ivf":
            raise InputError("an inverted file must be trained on a sample before vectors are added (train)")
        if self.storage == "binary":
            return f.IndexBinaryHNSW(d, HNSW_M) if self.search_kind == "hnsw" else f.IndexBinaryFlat(d)
        if self.storage == "float32":
            made = (
                f.IndexHNSWFlat(d, HNSW_M, f.METRIC_INNER_PRODUCT) if self.search_kind == "hnsw" else f.IndexFlatIP(d)
            )
        else:
            qt = f.ScalarQuantizer.QT_8bit
            made = (
                f.IndexHNSWSQ(d, qt, HNSW_M, f.METRIC_INNER_PRODUCT)
                if self.search_kind == "hnsw"
                else f.IndexScalarQuantizer(d, qt, f.METRIC_INNER_PRODUCT)
            )
            # The 8-bit ranges are learned once, from the first vectors added (a rebuild learns them anew).
            made.train(sample)
        if self.search_kind == "hnsw":
            made.hnsw.efConstruction = EF_CONSTRUCTION
        return made

    def _codes(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.storage == "binary":
            return np.packbits(vectors > 0, axis=1)  # (N, D/8) uint8: one bit per dimension
        return vectors

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Append vectors (N, D) under chunk keys (N,), each larger than every key already held."""
        if len(keys) == 0:
            return
        if len(self.keys) and keys[0] <= self.keys[-1]:
            raise InputError(f"chunk keys must grow: got {keys[0]} after {self.keys[-1]}")
        if self.index is None:
            self.index = self._new_index(np.ascontiguousarray(vectors, dtype=np.float32))
        self.index.add(self._codes(vectors))
        self.keys = np.concatenate([self.keys, np.asarray(keys, dtype=np.int64)])
        self.alive = np.concatenate([self.alive, np.ones(len(keys), dtype=bool)])
        self._live = self._bitmap = None

    def remove(self, keys: np.ndarray) -> None:
        """Mask chunk keys out of every later search."""
        pos = self.positions(keys)
        self.alive[pos[pos >= 0]] = False
        self._live = self._bitmap = None

    def keep(self, flags: np.ndarray) -> None:
        """Mask out every position whose flag (N,) is False."""
        self.alive &= flags
        self._live = self._bitmap = None

    def positions(self, keys: np.ndarray) -> np.ndarray:
        """Positions (N,) of chunk keys, -1 where a key is not held."""
        keys = np.asarray(keys, dtype=np.int64)
        pos = np.searchsorted(self.keys, keys)
        pos = np.minimum(pos, max(len(self.keys) - 1, 0))
        found = (len(self.keys) > 0) & (self.keys[pos] == keys) if len(self.keys) else np.zeros(len(keys), bool)
        return np.where(found, pos, -1)

    @property
    def live_count(self) -> int:
        if self._live is None:
            self._live = int(np.count_nonzero(self.alive))
        return self._live

    # -- searching -----------------------------------------------------------------------------------------
    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None, ef: int = EF_SEARCH,
               exact: bool = False) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Top-k (keys (Q, k), scores (Q, k)) among live chunks (and those in `allowed` keys); -1 keys pad.

        Scores are exact cosine for float32 storage, faiss's estimate for int8 and 1 - 2 * hamming / D for binary.
        exact=True scans every vector even when an HNSW graph is built (its flat storage, without the graph).
        Safe to call from several threads at once: all per-call state (mask, selector) lives in this call.
        """
        q = len(queries)
        if self.index is None or self.live_count == 0 or k < 1:
            return np.full((q, max(k, 0)), -1, np.int64), np.full((q, max(k, 0)), -np.inf, np.float32)
        mask = self.alive
        if allowed is not None:
            mask = np.zeros_like(self.alive)
            pos = self.positions(allowed)
            mask[pos[pos >= 0]] = True
            mask &= self.alive
        if allowed is not None:
            bitmap = None if mask.all() else np.packbits(mask, bitorder="little")  # faiss reads it while searching
        elif self.live_count == len(mask):
            bitmap = None
        else:
            if self._bitmap is None:
                self._bitmap = np.packbits(mask, bitorder="little")
            bitmap = self._bitmap
        index = self.index.storage if exact and self.search_kind == "hnsw" else self.index
        if self.search_kind == "ivf":  # ef: lists probed; exact: every list
            params = self._ivf_params(bitmap, len(mask), self.index.nlist if exact else ef)
        else:
            params = self._params(bitmap, len(mask), ef, hnsw=index is self.index and self.search_kind == "hnsw")
        # A few queries run fastest on one thread: faiss's OpenMP threads cost more than they give (and far
        # more on a busy machine, where they spin for cores).
        with _omp_threads(self.faiss, 1 if q < FEW_QUERIES else None):
            scores, pos = index.search(self._codes(queries), k, params=params)
        if self.storage == "binary":
            scores = 1 - 2 * scores.astype(np.float32) / self.dimension  # hamming distance -> cosine-like
        keys = np.where(pos >= 0, self.keys[np.maximum(pos, 0)], -1)
        return keys, np.where(pos >= 0, scores, -np.inf).astype(np.float32)

    def _params(self, bitmap: np.ndarray | None, n: int, ef: int, hnsw: bool) -> Any:
        f = self.faiss
        selector = None if bitmap is None else f.IDSelectorBitmap(n, f.swig_ptr(bitmap))
        if hnsw:
            return f.SearchParametersHNSW(sel=selector, efSearch=ef)
        return f.SearchParameters(sel=selector) if selector is not None else None

    def _ivf_params(self, bitmap: np.ndarray | None, n: int, probes: int) -> Any:
        f = self.faiss
        selector = None if bitmap is None else f.IDSelectorBitmap(n, f.swig_ptr(bitmap))
        probes = min(probes, self.index.nlist)
        coarse = f.SearchParametersHNSW(efSearch=max(64, 2 * probes))  # finds the `probes` nearest lists
        return f.SearchParametersIVF(sel=selector, nprobe=probes, quantizer_params=coarse)

    # -- persistence ---------------------------------------------------------------------------------------
    def save(self, path: Path, generation: int) -> None:
        """Write to `path` atomically (a fresh temporary file: no link planted at a fixed name is followed; fsync,
        rename), tagged with the store's generation. The file is an .npz (header, keys, alive, index: the faiss
        index's serialized bytes); faiss writes the index straight into its entry, without a copy in memory."""
        header = json.dumps({"generation": generation, "storage": self.storage, "search": self.search_kind,
                             "dimension": self.dimension, "count": len(self.keys)})  # fmt: skip
        try:
            with atomic_write(path, "wb") as out, zipfile.ZipFile(out, "w", allowZip64=True) as saved:
                for name, array in (("header", np.array(header)), ("keys", self.keys), ("alive", self.alive)):
                    with saved.open(f"{name}.npy", "w", force_zip64=True) as entry:
                        np.lib.format.write_array(entry, array, allow_pickle=False)
                with saved.open("index.npy", "w", force_zip64=True) as entry:
                    size = self._write_index(None)
                    np.lib.format.write_array_header_2_0(entry, {"descr": "|u1", "fortran_order": False,
                                                                 "shape": (size,)})  # fmt: skip
                    if size:
                        self._write_index(entry.write)
        except OSError as exc:
            raise IndexStoreError(
                f"cannot save {path}: {exc.strerror or exc}; the documents are intact (the search structure is "
                "rebuilt from index.sqlite when the index is next opened)"
            ) from None

    def _write_index(self, write: Any) -> int:
        """Serialize the faiss index through `write(bytes)` (None: only count the bytes); returns the size."""
        if self.index is None:
            return 0
        size = [0]

        def counted(chunk: bytes) -> None:
            size[0] += len(chunk)
            if write is not None:
                write(chunk)

        f = self.faiss
        writer = f.PyCallbackIOWriter(counted)
        (f.write_index_binary if self.storage == "binary" else f.write_index)(self.index, writer)
        del writer  # flushes what it buffered
        return size[0]

    @classmethod
    def load(cls, path: Path, dimension: int, storage: str, search: str) -> tuple[VectorIndex, int]:
        """(index, generation it was saved at); IndexCorruptError if the file cannot be read back,
        IndexMismatchError if it holds another storage, search kind or dimension."""
        f = faiss_module()
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO planted here must not block the open
        except OSError as exc:
            raise IndexStoreError(f"cannot read {path}: {exc.strerror or exc}") from None
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise UnsafeFileError(f"{path} is not a regular file; an index file must be one (remove it)")
            return cls._read(file, path, dimension, storage, search, f)

    @classmethod
    def _read(cls, file: Any, path: Path, dimension: int, storage: str, search: str,
              f: Any) -> tuple[VectorIndex, int]:  # fmt: skip
        try:
            saved = zipfile.ZipFile(file)
            header = dict(json.loads(str(_entry(saved, "header"))))
        except Exception as exc:  # zipfile and numpy errors, a bad header
            raise IndexCorruptError(f"{path} cannot be read back ({type(exc).__name__}: {exc})") from None
        held = (header.get("dimension"), header.get("storage"), header.get("search"))
        if held != (dimension, storage, search):
            raise IndexMismatchError(f"{path} holds a {held[1]}/{held[2]} structure of dimension {held[0]}, "
                                     f"not {storage}/{search} of dimension {dimension}")  # fmt: skip
        try:
            generation = int(header["generation"])
            keys, alive = _entry(saved, "keys"), _entry(saved, "alive")
            with saved.open("index.npy") as entry:  # read by faiss as it goes: no copy of the bytes in memory
                version = np.lib.format.read_magic(entry)
                fmt = np.lib.format
                shape, _, dtype = (fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0)(entry)
                if dtype != np.uint8 or len(shape) != 1:
                    raise ValueError(f"index entry of dtype {dtype}, shape {shape}")
                reader = f.PyCallbackIOReader(entry.read)
                read = f.read_index_binary if storage == "binary" else f.read_index
                index = read(reader) if shape[0] else None
            if (index.ntotal if index is not None else 0) != len(keys) or len(alive) != len(keys):
                raise ValueError(f"{len(keys)} keys for {index.ntotal if index is not None else 0} vectors")
        except Exception as exc:  # faiss raises RuntimeError, numpy ValueError/OSError/zipfile errors
            raise IndexCorruptError(f"{path} cannot be read back ({type(exc).__name__}: {exc})") from None
        if search == "ivf" and index is not None:  # structures saved before ASSIGN_EF get it for their appends
            _assign_widely(f, index)
        return cls(dimension, storage, search, index, keys, alive), generation


def _assign_widely(f: Any, ivf_index: Any) -> Any:
    """`ivf_index` with its coarse graph searching ASSIGN_EF candidates for an added vector's list: faiss's
    default (16) misses the nearest list often enough that searches do not find the vector again."""
    f.downcast_index(f.extract_index_ivf(ivf_index).quantizer).hnsw.efSearch = ASSIGN_EF
    return ivf_index


def _entry(saved: zipfile.ZipFile, name: str) -> np.ndarray:
    with saved.open(f"{name}.npy") as entry:
        return np.lib.format.read_array(entry, allow_pickle=False)
