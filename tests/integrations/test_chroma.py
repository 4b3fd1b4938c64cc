"""The Chroma adapter against minilm.load().encode, the golden vectors, Chroma's own default function's
pipeline, and a real in-memory collection."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minilm.errors import InputError
from minilm.integrations import chroma
from tests.conftest import write_tiny_model
from tests.integrations.conftest import CORPUS, QUERIES, assert_vectors

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def function():  # type: ignore[no-untyped-def]
    return chroma.MiniLMEmbeddingFunction(engine="numpy", batch_size=8)


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    import chromadb
    from chromadb.config import Settings

    client = chromadb.EphemeralClient(Settings(anonymized_telemetry=False, allow_reset=True))
    yield client
    client.reset()


def test_vectors_equal_the_library_and_the_reference(function, sample, expected) -> None:
    texts, reference = sample
    assert_vectors(function(texts), expected, reference)


class _NumpySession:
    """Stands in for the ONNX session of Chroma's default function: our numpy transformer on its inputs."""

    def __init__(self, engine: Any):
        self.engine = engine
        self.shapes: list[tuple[int, ...]] = []

    def run(self, _outputs: Any, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.shapes.append(feed["input_ids"].shape)
        lengths = feed["attention_mask"].sum(axis=1)  # Chroma pads on the right
        return [self.engine.forward(feed["input_ids"], lengths)]  # (B, 256, 384)


def chromas_default(real_model: Any, tmp_path: Path) -> tuple[Any, _NumpySession]:
    """Chroma's own default function (ONNXMiniLM_L6_V2), its tokenizer files in place and its ONNX session
    replaced by the numpy engine."""
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    default = ONNXMiniLM_L6_V2()
    folder = tmp_path / "onnx"
    folder.mkdir()
    model_dir = real_model.folder.path
    for name in ("config.json", "special_tokens_map.json", "tokenizer_config.json", "tokenizer.json", "vocab.txt"):
        shutil.copy(model_dir / name, folder / name)
    (folder / "model.onnx").write_bytes(b"")  # present, never opened: the session below replaces it
    default.DOWNLOAD_PATH = tmp_path  # type: ignore[misc]
    session = _NumpySession(real_model.engine)
    default.__dict__["model"] = session
    return default, session


def test_chromas_default_pipeline_gives_the_same_vectors(function, sample, real_model, tmp_path: Path) -> None:
    """Chroma's ONNXMiniLM_L6_V2 does its own tokenizing (truncation and padding to 256), mean pooling and
    normalizing; with its transformer (an ONNX file downloaded from Chroma's bucket, unreachable here) replaced
    by the numpy engine, its vectors equal the adapter's: the steps around the transformer agree."""
    default, session = chromas_default(real_model, tmp_path)
    texts = sample[0][:6] + sample[0][-2:]  # each batch is padded to 256 tokens: a few texts are enough
    theirs = np.array(default(texts), dtype=np.float32)
    assert all(shape[1] == 256 for shape in session.shapes)  # it really ran, padded to 256
    ours = np.array(function(texts), dtype=np.float32)
    assert np.abs(theirs - ours).max() < 1e-5
    for text in texts:  # token ids alike (Chroma's past its attention mask are padding)
        encoded = default.tokenizer.encode(text)
        assert real_model.tokenize(text)[0] == encoded.ids[: sum(encoded.attention_mask)]


def test_a_collection_returns_the_expected_documents(function, client) -> None:
    docs = client.create_collection("docs", embedding_function=function)
    docs.add(ids=[i for i, _ in CORPUS], documents=[t for _, t in CORPUS])
    found = docs.query(query_texts=[q for q, _ in QUERIES], n_results=2)
    assert [ids[0] for ids in found["ids"]] == [want for _, want in QUERIES]
    assert all(d[0] < d[1] for d in found["distances"])
    assert docs.configuration["embedding_function"].name() == "minilm"


def test_a_collection_reopens_with_its_function_from_the_config(function, client) -> None:
    client.create_collection("docs", embedding_function=function).add(
        ids=[i for i, _ in CORPUS], documents=[t for _, t in CORPUS]
    )
    reopened = client.get_collection("docs")  # no function passed: Chroma rebuilds it from the stored config
    assert isinstance(reopened.configuration["embedding_function"], chroma.MiniLMEmbeddingFunction)
    found = reopened.query(query_texts=["how to cook noodles"], n_results=1)
    assert found["ids"] == [["pasta"]]


def test_config_round_trip_and_a_model_change_is_refused(function) -> None:
    config = function.get_config()
    assert config == {"model": "sentence-transformers/all-MiniLM-L6-v2", "engine": "numpy", "threads": None,
                      "batch_size": 8, "on_long": "truncate", "device": None}  # fmt: skip
    rebuilt = chroma.MiniLMEmbeddingFunction.build_from_config(config)
    assert rebuilt.encoder is function.encoder  # the model is loaded once
    older = {key: value for key, value in config.items() if key != "device"}  # stored before device= existed
    assert chroma.MiniLMEmbeddingFunction.build_from_config(older).encoder is function.encoder
    with pytest.raises(ValueError, match="unknown keys \\['colour'\\]"):
        chroma.MiniLMEmbeddingFunction.build_from_config({**config, "colour": "red"})
    with pytest.raises(ValueError, match="model cannot change"):
        function.validate_config_update(config, {**config, "model": "other/model"})


def test_a_collection_built_with_chromas_default_is_queried_and_added_to(real_model, tmp_path: Path) -> None:
    """What a migrating user has on disk: a persistent collection created with Chroma's default function (its
    config says "default") holding vectors of Chroma's own pipeline. Reopened in a new client, it refuses the
    minilm function by name, and opens with ChromaDefaultEmbeddingFunction: queries find the stored documents,
    adds embed only the new ones, and the config stays Chroma's default."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=True)
    default, _ = chromas_default(real_model, tmp_path)
    first = chromadb.PersistentClient(path=str(tmp_path / "db"), settings=settings)
    built = first.create_collection("docs")  # Chroma's default function, not run: its vectors are given below
    stored = np.array(default([t for _, t in CORPUS]), dtype=np.float32)
    built.add(ids=[i for i, _ in CORPUS], documents=[t for _, t in CORPUS], embeddings=stored)
    assert first.get_collection("docs")._model.configuration_json["embedding_function"]["name"] == "default"
    del built, first

    client = chromadb.PersistentClient(path=str(tmp_path / "db"), settings=settings)
    with pytest.raises(ValueError, match="new: minilm vs persisted: default"):
        client.get_collection("docs", embedding_function=chroma.MiniLMEmbeddingFunction(engine="numpy"))
    docs = client.get_collection("docs", embedding_function=chroma.ChromaDefaultEmbeddingFunction(engine="numpy"))
    found = docs.query(query_texts=[q for q, _ in QUERIES], n_results=2)
    assert [ids[0] for ids in found["ids"]] == [want for _, want in QUERIES]
    docs.add(ids=["tea"], documents=["green tea is brewed with water below boiling"])
    assert docs.query(query_texts=["how hot should the water be for tea"], n_results=1)["ids"] == [["tea"]]
    kept = docs.get(ids=[i for i, _ in CORPUS], include=["embeddings"])
    order = [i for i, _ in CORPUS]
    assert np.array_equal(np.array(kept["embeddings"])[[kept["ids"].index(i) for i in order]], stored)
    assert client.get_collection("docs")._model.configuration_json["embedding_function"] == {
        "type": "known", "name": "default", "config": {}}  # fmt: skip
    with pytest.raises(InputError, match="use MiniLMEmbeddingFunction"):
        chroma.ChromaDefaultEmbeddingFunction(str(write_tiny_model(tmp_path / "tiny")), engine="numpy")
