"""Model checkpoints: finding a model folder, reading its configuration, loading and checking its weights."""

from minilm.checkpoint.folder import ModelFolder, read_folder
from minilm.checkpoint.known import DEFAULT_MODEL, KNOWN_MODELS
from minilm.checkpoint.sources import ResolvedModel, download_model, resolve
from minilm.checkpoint.weights import Weights, load_weights

__all__ = [
    "DEFAULT_MODEL",
    "KNOWN_MODELS",
    "ModelFolder",
    "ResolvedModel",
    "Weights",
    "download_model",
    "load_weights",
    "read_folder",
    "resolve",
]
