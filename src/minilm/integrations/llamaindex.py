"""minilm as a LlamaIndex embedding model (`BaseEmbedding`): in-process all-MiniLM-L6-v2, no torch.

    from minilm.integrations.llamaindex import MiniLMEmbedding
    from llama_index.core import Document, VectorStoreIndex
    index = VectorStoreIndex.from_documents(docs, embed_model=MiniLMEmbedding())
    nodes = index.as_retriever(similarity_top_k=3).retrieve("a question")

Needs pip install '.[llamaindex]' (llama-index-core only).
"""

from __future__ import annotations

import asyncio
from typing import Any

from minilm.checkpoint.known import DEFAULT_MODEL
from minilm.encoder import Encoder
from minilm.integrations.encoders import embed, require, resolve_encoder
from minilm.options import EncodeOptions

require("llama_index.core", "llamaindex")

from llama_index.core.base.embeddings.base import BaseEmbedding  # noqa: E402
from pydantic import Field, PrivateAttr  # noqa: E402


class MiniLMEmbedding(BaseEmbedding):
    """all-MiniLM-L6-v2 (or another sentence-transformers BERT) as a LlamaIndex embed_model.

    model: a hub name or folder for minilm.load (default: all-MiniLM-L6-v2), or an Encoder already loaded.
    engine, threads, device: passed to minilm.load (device="cuda" runs the torch engine on the GPU); the model is
    loaded once and shared by adapters asking for the same.
    embed_batch_size: LlamaIndex's batch (texts per call), also the engine's batch. on_long: the encoder's
    policy for texts over 256 tokens ("truncate", like the reference; "warn", "error" or "chunk").
    The async methods run the sync ones on a worker thread, so the event loop is never blocked.
    """

    engine: str = Field(default="auto", description="minilm engine: auto, numpy, onnx, onnx-int8, int8, torch, ...")
    threads: int | None = Field(default=None, description="compute threads (None: the engine's default)")
    on_long: str = Field(default="truncate", description="texts over 256 tokens: truncate, warn, error, chunk")
    device: str | None = Field(default=None, description="the torch engine's device: cuda, cuda:N, mps, cpu")
    _encoder: Encoder = PrivateAttr()

    def __init__(self, model: str | Encoder | None = None, engine: str = "auto", threads: int | None = None,
                 embed_batch_size: int = 32, on_long: str = "truncate", device: str | None = None,
                 **kwargs: Any):  # fmt: skip
        EncodeOptions(batch_size=embed_batch_size, on_long=on_long)  # checked before any loading
        name = model.name if isinstance(model, Encoder) else str(model or DEFAULT_MODEL)
        fields: dict[str, Any] = {"engine": engine, "threads": threads, "on_long": on_long, "device": device}
        super().__init__(model_name=name, embed_batch_size=embed_batch_size, **fields, **kwargs)
        self._encoder = resolve_encoder(model, engine, threads, device)

    @property
    def options(self) -> EncodeOptions:
        """The encode options of the current fields (LlamaIndex may set embed_batch_size after creation)."""
        return EncodeOptions(batch_size=self.embed_batch_size, on_long=self.on_long)

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return embed(self._encoder, texts, self.options).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embeddings([query])[0]

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return await asyncio.to_thread(self._get_text_embedding, text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return await asyncio.to_thread(self._get_query_embedding, query)
