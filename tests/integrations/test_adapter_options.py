"""Options every framework adapter takes the same way: device= reaches minilm.load, and load options given with
an Encoder already loaded are refused instead of ignored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import minilm
from minilm.encoder import Encoder

pytestmark = pytest.mark.integration


def _langchain(model: Any, **options: Any) -> Encoder:
    from minilm.integrations.langchain import MiniLMEmbeddings

    return MiniLMEmbeddings(model, **options).encoder


def _llamaindex(model: Any, **options: Any) -> Encoder:
    from minilm.integrations.llamaindex import MiniLMEmbedding

    return MiniLMEmbedding(model, **options)._encoder


def _chroma(model: Any, **options: Any) -> Encoder:
    from minilm.integrations.chroma import MiniLMEmbeddingFunction

    function = MiniLMEmbeddingFunction(model, **options)
    assert function.get_config()["device"] == options.get("device")
    return MiniLMEmbeddingFunction.build_from_config(function.get_config()).encoder  # a persisted collection


ADAPTERS: list[Callable[..., Encoder]] = [_langchain, _llamaindex, _chroma]


@pytest.mark.parametrize("make", ADAPTERS)
def test_device_reaches_the_torch_engine(make: Callable[..., Encoder], tiny_dir: Path) -> None:
    encoder = make(str(tiny_dir), engine="torch", device="cpu")
    assert (encoder.engine.name, encoder.info()["device"]) == ("torch", "cpu")


@pytest.mark.usefixtures("no_gpu")
@pytest.mark.parametrize("make", ADAPTERS)
def test_a_device_that_cannot_run_is_named(make: Callable[..., Encoder], tiny_dir: Path) -> None:
    with pytest.raises(minilm.InputError, match=r"device 'cuda': torch .* sees no CUDA device"):
        make(str(tiny_dir), device="cuda")
    with pytest.raises(minilm.InputError, match="engine 'onnx' does not take device='cuda'"):
        make(str(tiny_dir), engine="onnx", device="cuda")


@pytest.mark.parametrize("make", ADAPTERS)
@pytest.mark.parametrize(
    ("options", "named"),
    [({"engine": "onnx"}, "engine='onnx'"), ({"threads": 1}, "threads=1"), ({"device": "cpu"}, "device='cpu'")],
)
def test_load_options_with_a_loaded_encoder_are_refused(
    make: Callable[..., Encoder], tiny: Encoder, options: dict[str, Any], named: str
) -> None:
    if make is _chroma:  # a persisted Chroma config names the model, so the adapter is built from a name there
        from minilm.integrations.chroma import MiniLMEmbeddingFunction

        with pytest.raises(minilm.InputError, match=f"{named}: the model passed is an Encoder already loaded"):
            MiniLMEmbeddingFunction(tiny, **options)
        return
    with pytest.raises(minilm.InputError, match=f"{named}: the model passed is an Encoder already loaded"):
        make(tiny, **options)
    assert make(tiny) is tiny  # without them it is used as loaded


@pytest.mark.parametrize("make", ADAPTERS)
@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"batch_size": 0}, "batch_size must be a positive int, got 0"),
        ({"on_long": "clip"}, "on_long 'clip' is unknown"),
    ],
)
def test_encode_options_are_checked_when_the_adapter_is_made(
    make: Callable[..., Encoder], tiny: Encoder, options: dict[str, Any], says: str
) -> None:
    if make is _llamaindex and "batch_size" in options:
        options = {"embed_batch_size": options["batch_size"]}
    if make is _chroma:
        from minilm.integrations.chroma import MiniLMEmbeddingFunction

        with pytest.raises(minilm.InputError, match=says):
            MiniLMEmbeddingFunction(tiny, **options)
        return
    with pytest.raises(minilm.InputError, match=says):
        make(tiny, **options)
