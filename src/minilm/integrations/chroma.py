"""minilm as a Chroma embedding function: a collection's `embedding_function`, in process, no download.

    import chromadb
    from minilm.integrations.chroma import MiniLMEmbeddingFunction
    client = chromadb.EphemeralClient()
    docs = client.create_collection("docs", embedding_function=MiniLMEmbeddingFunction())

Chroma's default function (ONNXMiniLM_L6_V2) is this same model: it truncates at 256 tokens, mean-pools over
the attention mask and L2-normalizes, as minilm does with on_long="truncate" (the default), so the vectors agree
to float rounding. Unlike it, this one needs no model download (the weights come from minilm's sources) and can
also chunk long texts (on_long="chunk").

A collection created with Chroma's default function has "default" in its stored configuration, and Chroma
refuses to open it with another function ("Embedding function conflict: new: minilm vs persisted: default").
Open it with ChromaDefaultEmbeddingFunction, which presents itself to Chroma as that default, and keep querying
and adding without re-embedding what is stored:

    from minilm.integrations.chroma import ChromaDefaultEmbeddingFunction
    docs = client.get_collection("docs", embedding_function=ChromaDefaultEmbeddingFunction())

Needs pip install '.[chroma]'.
"""

from __future__ import annotations

from typing import Any

from minilm.checkpoint.known import DEFAULT_MODEL
from minilm.encoder import Encoder
from minilm.errors import InputError
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


class ChromaDefaultEmbeddingFunction(MiniLMEmbeddingFunction):
    """all-MiniLM-L6-v2 in the place of Chroma's default embedding function (the same model, the same vectors).

    Its name() is "default" and its config Chroma default's ({}), so a collection built with Chroma's default
    opens with it (get_collection / get_or_create_collection(..., embedding_function=this)) and stays, on disk,
    a default collection that plain Chroma reopens with its own function. Texts are truncated at 256 tokens as
    Chroma's default does (no on_long: chunked vectors would not match the stored ones); the model must be
    all-MiniLM-L6-v2. engine, threads, device, batch_size: as for MiniLMEmbeddingFunction.
    """

    def __init__(self, model: str | Encoder | None = None, engine: str = "auto", threads: int | None = None,
                 batch_size: int = 32, device: str | None = None):  # fmt: skip
        super().__init__(model, engine, threads, batch_size, "truncate", device)
        if self.encoder.name != DEFAULT_MODEL:
            raise InputError(f"Chroma's default embedding function is {DEFAULT_MODEL}; the model here is "
                             f"{self.encoder.name!r}: use MiniLMEmbeddingFunction for a collection of it")  # fmt: skip

    @staticmethod
    def name() -> str:
        return "default"

    def default_space(self) -> Space:
        return "l2"  # what a collection created with Chroma's default gets; unit vectors rank alike under all three

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaDefaultEmbeddingFunction:
        ChromaDefaultEmbeddingFunction.validate_config(config)
        return ChromaDefaultEmbeddingFunction()

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        return  # Chroma's default stores {} and accepts any config

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        return
