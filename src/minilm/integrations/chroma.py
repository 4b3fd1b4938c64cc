"""minilm as a Chroma embedding function: a collection's `embedding_function`, in process, no download.

    import chromadb
    from minilm.integrations.chroma import MiniLMEmbeddingFunction
    client = chromadb.EphemeralClient()
    docs = client.create_collection("docs", embedding_function=MiniLMEmbeddingFunction())

Chroma's default function (ONNXMiniLM_L6_V2) is this same model: it truncates at 256 tokens, mean-pools over
the attention mask and L2-normalizes, as minilm does with on_long="truncate" (the default), so the vectors agree
to float rounding and a collection built with either can be queried with the other. Unlike it, this one needs
no model download (the weights come from minilm's sources) and can also chunk long texts (on_long="chunk").

Needs pip install '.[chroma]'.
"""

from __future__ import annotations

from typing import Any

from minilm.checkpoint.known import DEFAULT_MODEL
from minilm.encoder import Encoder
from minilm.integrations.encoders import embed, require, resolve_encoder
from minilm.options import EncodeOptions

require("chromadb", "chroma")

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space  # noqa: E402
from chromadb.utils.embedding_functions import register_embedding_function  # noqa: E402

CONFIG_KEYS = frozenset({"model", "engine", "threads", "batch_size", "on_long", "device"})


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 (or another sentence-transformers BERT) for Chroma collections.

    model: a hub name or folder for minilm.load (default: all-MiniLM-L6-v2), or an Encoder already loaded.
    engine, threads, device: passed to minilm.load (device="cuda" runs the torch engine on the GPU); the model is
    loaded once and shared by adapters asking for the same.
    batch_size: texts per engine call. on_long: the encoder's policy for texts over 256 tokens ("truncate",
    like Chroma's default function; "warn", "error" or "chunk").
    Registered with Chroma as "minilm", so a persisted collection reopens with it (build_from_config).
    """

    def __init__(self, model: str | Encoder | None = None, engine: str = "auto", threads: int | None = None,
                 batch_size: int = 32, on_long: str = "truncate", device: str | None = None):  # fmt: skip
        self.options = EncodeOptions(batch_size=batch_size, on_long=on_long)  # checked before any loading
        self.encoder = resolve_encoder(model, engine, threads, device)
        self.model = model.name if isinstance(model, Encoder) else str(model or DEFAULT_MODEL)
        self.engine, self.threads, self.batch_size, self.on_long = engine, threads, batch_size, on_long
        self.device = device

    def __call__(self, input: Documents) -> Embeddings:
        vectors = embed(self.encoder, list(input), self.options)  # (N, D) float32
        return list(vectors)

    @staticmethod
    def name() -> str:
        return "minilm"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "l2", "ip"]  # unit-length vectors: all three rank alike

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "engine": self.engine, "threads": self.threads,
                "batch_size": self.batch_size, "on_long": self.on_long, "device": self.device}  # fmt: skip

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        MiniLMEmbeddingFunction.validate_config(config)
        return MiniLMEmbeddingFunction(**config)

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        unknown = sorted(set(config) - CONFIG_KEYS)
        if unknown:
            raise ValueError(f"minilm embedding function config has unknown keys {unknown}; "
                             f"expected some of {sorted(CONFIG_KEYS)}")  # fmt: skip

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        if new_config.get("model", old_config.get("model")) != old_config.get("model"):
            raise ValueError("a collection's model cannot change: its stored vectors were made by "
                             f"{old_config.get('model')!r}; create a new collection instead")  # fmt: skip
