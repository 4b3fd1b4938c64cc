"""Arguments of the sentence-transformers API that minilm's drop-in refuses, checks or reads from the folder.

Nothing is silently ignored: an argument minilm cannot honour raises NotImplementedError naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minilm.checkpoint.folder import _module_paths
from minilm.config import read_json
from minilm.errors import InputError

_HINTS = {
    "cache_folder": "; set MINILM_HOME to move minilm's cache, or pass a model folder",
    "revision": "; download that revision and pass its folder",
    "token": "; download the model and pass its folder",
    "use_auth_token": "; download the model and pass its folder",
    "modules": "; minilm loads BERT -> Pooling -> Normalize folders only",
    "pool": "; minilm's engines use all cores in one process (see threads= in minilm.load)",
    "chunk_size": "; it only applies to multi-process encoding",
    "model_kwargs": " (only torch_dtype / dtype); minilm builds its engines from the weights: engine='int8' for int8",
}


def refuse(where: str, **values: object) -> None:
    """NotImplementedError naming the first argument that is set (not None, not an empty dict)."""
    for name, value in values.items():
        if value is not None and value != {}:
            raise NotImplementedError(
                f"{where}({name}=...) is not supported by minilm's SentenceTransformer{_HINTS.get(name, '')}"
            )


def torch_dtype(model_kwargs: dict[str, Any] | None) -> str | None:
    """The torch engine's dtype from the reference's model_kwargs ({"torch_dtype": torch.float16} or "float16",
    or the newer key "dtype"); any other key raises NotImplementedError naming it. None: not given, "auto" or
    float32 (what every engine computes in), so only half precision asks for the torch engine."""
    given = dict(model_kwargs or {})
    value = given.pop("torch_dtype", None)
    value = given.pop("dtype", value)
    if given:
        raise NotImplementedError(
            f"SentenceTransformer(model_kwargs={{{', '.join(repr(k) for k in given)}: ...}}) is not supported by "
            f"minilm's SentenceTransformer{_HINTS['model_kwargs']}"
        )
    name = None if value is None else str(value).removeprefix("torch.")
    return None if name in (None, "auto", "float32") else name  # float32 is every engine's own precision


def device_name(device: object, where: str) -> str | None:
    """The reference's device argument as a string ("cpu", "cuda", "cuda:1", "mps"), or None for "not given".

    A list of devices (multi-process encoding) raises NotImplementedError; torch.device objects are accepted.
    """
    if isinstance(device, list | tuple):
        raise NotImplementedError(f"{where}(device={list(device)!r}): multi-process encoding is not supported")
    return None if device is None else str(device)


def engine_for(engine: str, device: str | None) -> tuple[str, str | None]:
    """(engine, device) for minilm.load from the drop-in's engine= and the reference's device=.

    No device: the engine as given ("auto" runs on a GPU where torch sees one). "cpu" with "auto": the fastest
    CPU engine (onnx; never the torch engine just because torch sees a GPU); with an engine that has devices
    (torch) it is passed on; CPU-only engines run as they are. Another device means the torch engine with
    "auto"; with a CPU-only engine it is refused by minilm.load, naming it.
    """
    from minilm.engines import AUTO_ORDER, ENGINE_OPTIONS

    if device != "cpu":
        return engine, device
    if engine == "auto":
        return AUTO_ORDER[0], None  # the first of the CPU engines "auto" tries
    return engine, device if "device" in ENGINE_OPTIONS.get(engine, ()) else None


@dataclass
class SavedConfig:
    """What config_sentence_transformers.json contributes: prompts, default prompt, similarity, truncate_dim."""

    prompts: dict[str, str] = field(default_factory=dict)
    default_prompt_name: str | None = None
    similarity_fn_name: str | None = None
    truncate_dim: int | None = None


def read_saved_config(folder: Path) -> SavedConfig:
    path = folder / "config_sentence_transformers.json"
    if not path.exists():
        return SavedConfig()
    raw = read_json(path)
    return SavedConfig(
        prompts=dict(raw.get("prompts") or {}),
        default_prompt_name=raw.get("default_prompt_name"),
        similarity_fn_name=raw.get("similarity_fn_name"),
        truncate_dim=raw.get("truncate_dim"),
    )


def merge_prompts(given: dict[str, str] | None, saved: dict[str, str], default_name: str | None) -> dict[str, str]:
    """The reference's order: "query" and "document" keys, the caller's prompts, then saved ones for keys left."""
    prompts: dict[str, str | None] = {"query": None, "document": None, **(given or {})}
    for name, text in saved.items():
        if prompts.get(name) is None:
            prompts[name] = text
    merged = {name: text or "" for name, text in prompts.items()}
    if default_name is not None and default_name not in merged:
        raise InputError(f"default_prompt_name {default_name!r} is not one of the prompts {list(merged)}")
    return merged


def pooling_includes_prompt(folder: Path) -> bool:
    """False when 1_Pooling/config.json says include_prompt: false (prompt tokens left out of the mean)."""
    pooling_dir, _ = _module_paths(folder)
    if pooling_dir is None or not (pooling_dir / "config.json").exists():
        return True
    return bool(read_json(pooling_dir / "config.json").get("include_prompt", True))


def check_truncate_dim(value: Any) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise InputError(f"truncate_dim must be a positive int or None, got {value!r}")
    return value
