"""minilm as a LangChain `Embeddings`: in-process all-MiniLM-L6-v2, no torch, no server.

    from minilm.integrations.langchain import MiniLMEmbeddings
    from langchain_core.vectorstores import InMemoryVectorStore
    store = InMemoryVectorStore.from_texts(texts, MiniLMEmbeddings())

Needs pip install '.[langchain]' (langchain-core only).
"""

from __future__ import annotations

import asyncio

from minilm.encoder import Encoder
from minilm.integrations.encoders import embed, require, resolve_encoder
from minilm.options import EncodeOptions

require("langchain_core", "langchain")

from langchain_core.embeddings import Embeddings  # noqa: E402


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 (or another sentence-transformers BERT) behind LangChain's Embeddings interface.

    model: a hub name or folder for minilm.load (default: all-MiniLM-L6-v2), or an Encoder already loaded.
    engine, threads, device: passed to minilm.load (device="cuda" runs the torch engine on the GPU); the model is
    loaded once and shared by adapters asking for the same.
    batch_size: texts per engine call. on_long: the encoder's policy for texts over 256 tokens ("truncate",
    like the reference; "warn", "error" or "chunk").
    The async methods run the sync ones on a worker thread, so the event loop is never blocked.
    """

    def __init__(self, model: str | Encoder | None = None, engine: str = "auto", threads: int | None = None,
                 batch_size: int = 32, on_long: str = "truncate", device: str | None = None):  # fmt: skip
        self.options = EncodeOptions(batch_size=batch_size, on_long=on_long)  # checked before any loading
        self.encoder = resolve_encoder(model, engine, threads, device)
        self.batch_size, self.on_long = batch_size, on_long

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One unit-length vector (a list of 384 floats) per text."""
        return embed(self.encoder, texts, self.options).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The vector of one query text (the model embeds queries and documents alike)."""
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        return await asyncio.to_thread(self.embed_query, text)
