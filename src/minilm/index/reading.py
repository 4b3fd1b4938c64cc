"""Reading an index: searches (inside one read snapshot, with the search structure of that snapshot), documents,
ids, per-document vectors and statistics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, overload

import numpy as np

from minilm.errors import IndexStoreError, InputError
from minilm.index import lexical
from minilm.index.arguments import check_count, check_ids, check_search, check_vectors
from minilm.index.filters import check_where
from minilm.index.fusion import FUSION_DEPTH, check_mode, hybrid_hits, lexical_hits
from minilm.index.opening import IndexState
from minilm.index.ranking import Hit, search_one, with_documents
from minilm.long_text import WindowMeans
from minilm.pooling import l2_normalize

SearchKind = Literal["auto", "exact", "hnsw"]
SearchMode = Literal["dense", "lexical", "hybrid"]


class IndexReading(IndexState):
    """The reading half of `Index` (see index.py)."""

    @overload
    def search(self, query: str, k: int = 10, where: dict[str, Any] | None = None, search: SearchKind | None = None,
               ef: int | None = None, documents: bool = False,
               document_bytes: int | None = None, mode: SearchMode = "dense",
               text: str | None = None) -> list[Hit]: ...  # fmt: skip
    @overload
    def search(self, query: list[str] | tuple[str, ...], k: int = 10, where: dict[str, Any] | None = None,
               search: SearchKind | None = None, ef: int | None = None, documents: bool = False,
               document_bytes: int | None = None, mode: SearchMode = "dense",
               text: str | None = None) -> list[list[Hit]]: ...  # fmt: skip
    @overload
    def search(self, query: np.ndarray, k: int = 10, where: dict[str, Any] | None = None,
               search: SearchKind | None = None, ef: int | None = None, documents: bool = False,
               document_bytes: int | None = None,
               mode: SearchMode = "dense", text: str | None = None) -> list[Hit] | list[list[Hit]]: ...  # fmt: skip
    def search(self, query: str | Sequence[str] | np.ndarray, k: int = 10, where: dict[str, Any] | None = None,
               search: SearchKind | None = None, ef: int | None = None, documents: bool = False,
               document_bytes: int | None = None,
               mode: SearchMode = "dense", text: str | None = None) -> list[Hit] | list[list[Hit]]:  # fmt: skip
        """Top-k documents for a text, a list of texts, or vectors (D,) / (Q, D): a list of Hit (per query for
        several), best first, each with its best window. where={"field": value} keeps documents whose metadata
        has those values (filters.py: at most MAX_FILTER_KEYS fields). search="exact" scans every vector for this
        call even on an HNSW index; "hnsw" needs an index searched through its HNSW graph. Candidates of
        int8/binary storage are rescored with the float32 vectors. Safe to call from many threads at once.

        documents=True: each hit also carries its whole document (`Hit.document`), read in the same snapshot as
        the hit, so a writer replacing it meanwhile cannot mix versions; document_bytes caps the UTF-8 bytes of
        all documents of one call (hits in rank order; a document past the cap is cut at a character boundary,
        Hit.document_truncated=True, and the ones after it are empty).

        mode="dense" ranks by the vectors (Hit.score: cosine); "lexical" by BM25 over the windows' words (FTS5,
        lexical.py; Hit.score: BM25), each document with its best-matching window; "hybrid" fuses both top lists
        by reciprocal rank (fusion.py; Hit.score: the fused score), the window taken from the side that ranked the
        document higher. Lexical and hybrid need text queries, or a vector (D,) with its text as `text` (for a
        caller that embedded the text itself); where= and deletions apply to both sides."""
        k, where, kind = check_count(k, "k"), check_where(where), check_search(search)
        check_mode(mode)
        ef = None if ef is None else check_count(ef, "ef")
        budget = None if document_bytes is None else check_count(document_bytes, "document_bytes", 0)
        texts = None if mode == "dense" else self._texts(query, mode, text)
        lexical_only = (isinstance(query, str) or text is not None, np.zeros((0, 0)))  # no vector needed
        single, q = lexical_only if mode == "lexical" else self._queries(query)
        with self._structure.reading() as vi:
            if kind == "hnsw" and vi.search_kind != "hnsw":
                raise InputError(self._no_graph())
            if texts is not None and not lexical.present(self.store.reader()):
                raise IndexStoreError(lexical.missing_message(self.path))
            chunked = bool(self.settings["chunk"])
            if texts is None:
                allowed = self.store.allowed_keys(where) if where else None
                hits = [search_one(self.store, self.settings, vi, row, k, allowed, ef, kind == "exact") for row in q]
            elif mode == "lexical":
                hits = [lexical_hits(self.store, text, k, where, chunked) for text in texts]
            else:
                allowed = self.store.allowed_keys(where) if where else None
                depth = max(k, FUSION_DEPTH)
                hits = [
                    hybrid_hits(self.store, search_one(self.store, self.settings, vi, row, depth, allowed, ef,
                                                       kind == "exact"), text, k, where, chunked)
                    for row, text in zip(q, texts, strict=True)
                ]  # fmt: skip
            if documents:
                hits = [with_documents(self.store, found, budget) for found in hits]
        return hits[0] if single else hits

    def _queries(self, query: Any) -> tuple[bool, np.ndarray]:
        """(one query?, unit query vectors (Q, D))."""
        if isinstance(query, np.ndarray):
            return query.ndim == 1, check_vectors(query, self.settings["dimension"], "query vector")
        if isinstance(query, str):
            return True, self.model.encode([query])
        if isinstance(query, Sequence) and all(isinstance(t, str) for t in query):
            return False, self.model.encode(list(query)) if query else np.zeros((0, self.settings["dimension"]))
        raise InputError(f"query is {type(query).__name__}; expected a str, a list of str or a numpy vector")

    def _texts(self, query: Any, mode: str, text: str | None) -> list[str]:
        """The query texts of a lexical or hybrid search (their words are what the lexical side matches)."""
        if text is not None:
            if not isinstance(text, str) or not (isinstance(query, np.ndarray) and query.ndim == 1):
                raise InputError("text= goes with one query vector (D,) and must be a str, got "
                                 f"{type(text).__name__} with a {type(query).__name__} query")  # fmt: skip
            return [text]
        if isinstance(query, str):
            return [query]
        if isinstance(query, Sequence) and not isinstance(query, bytes) and all(isinstance(t, str) for t in query):
            return list(query)
        raise InputError(f"mode={mode!r} needs query text (a str or a list of str), got {type(query).__name__}; "
                         "with a query vector pass its text as text=")  # fmt: skip

    def _no_graph(self) -> str:
        setting = self.settings["search"]
        why = f"created with search={setting!r}"
        if setting == "auto":
            why += f", which builds a graph from {self.settings['hnsw_threshold']} chunks"
        return (f"search='hnsw' needs an HNSW graph, but {self.path} is searched exactly ({why}); use "
                "search='exact', or create the index with search='hnsw'")  # fmt: skip

    def get(self, doc_id: str) -> tuple[str, dict[str, Any]] | None:
        """(text, metadata) of a document, or None."""
        found = self.store.documents(check_ids([doc_id], "doc_id"))
        return (found[0][1], found[0][2]) if found else None

    def ids(self) -> list[str]:
        """Every document id, sorted."""
        return self.store.ids()

    def documents(self, limit: int | None = None, offset: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) in id order."""
        limit = None if limit is None else check_count(limit, "limit", 0)
        return self.store.documents(None, limit, check_count(offset, "offset", 0))

    def chunk_counts(self) -> dict[str, int]:
        """{document id: number of stored windows}."""
        return self.store.chunk_counts()

    def __len__(self) -> int:
        return self.store.count()[0]

    def doc_vectors(self) -> tuple[list[str], np.ndarray]:
        """(ids, one vector per document (N, D)): its windows averaged weighted by token count, normalized."""
        with self.store.snapshot():
            rows = self.store.chunk_owners()
            if not rows:
                return [], np.zeros((0, self.settings["dimension"]), np.float32)
            vectors = self.store.vectors([r[1] for r in rows])  # (K, D)
        doc_ids = [r[0] for r in rows]
        ids = list(dict.fromkeys(doc_ids))
        owners = np.searchsorted(np.array(ids), np.array(doc_ids))  # ids are sorted, so are doc_ids
        means = WindowMeans(len(ids), vectors.shape[1])
        means.add(owners, np.array([max(r[2], 1) for r in rows]), vectors)
        return ids, l2_normalize(means.result())

    def stats(self) -> dict[str, Any]:
        """Counts, settings, search kind and file sizes."""
        docs, chunks = self.store.count()
        files = {p.name: p.stat().st_size for p in sorted(self.path.iterdir()) if p.is_file()}
        return {
            "path": str(self.path), "documents": docs, "chunks": chunks, "model": self.settings["model"],
            "sha256": self.settings["sha256"], "dimension": self.settings["dimension"],
            "storage": self.settings["storage"], "search": self.search_kind(chunks),
            "chunk": self.settings["chunk"], "overlap": self.settings["overlap"], "files": files,
            "lexical": lexical.present(self.store.reader()),
        }  # fmt: skip
