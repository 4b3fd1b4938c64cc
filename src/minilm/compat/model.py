"""A drop-in for sentence_transformers.SentenceTransformer on a minilm Encoder.

    from minilm import SentenceTransformer
    model = SentenceTransformer("all-MiniLM-L6-v2")
    vectors = model.encode(sentences)

The same arguments and the same results as the reference for what it implements: prompts, truncate_dim,
precision, normalize_embeddings, the output forms, max_seq_length, the four similarity functions, the tokenizer.
device= works as in the reference: "cuda", "cuda:N" or "mps" run the torch engine there (as does "auto" on a
machine where torch sees a GPU), "cpu" the fastest CPU engine; `.to(device)` moves the model. Anything it does
not implement (multi-process pools, hub options, custom modules) raises NotImplementedError (or InputError for a
bad value) naming the argument; nothing is silently ignored.
Results are numpy unless a tensor is asked for (convert_to_tensor=True, convert_to_numpy=False, or tensors
passed to similarity); torch is only imported then.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from minilm import engines
from minilm.compat import options, outputs
from minilm.compat.modules import TransformerModule
from minilm.compat.similarity import SIMILARITY_FN_NAMES, check_name, similarity
from minilm.compat.tokenizer import TokenizerView, set_max_length
from minilm.encoder import Encoder
from minilm.engines.base import Checkpoint
from minilm.errors import InputError
from minilm.inputs import as_texts
from minilm.loading import load
from minilm.options import EncodeOptions
from minilm.pooling import l2_normalize, pool
from minilm.precision import quantize

log = logging.getLogger(__name__)
OUTPUT_VALUES = ("sentence_embedding", "token_embeddings", None)
BACKENDS = ("torch", "onnx", "openvino")


class SentenceTransformer:
    """sentence_transformers.SentenceTransformer's inference surface on a minilm Encoder (see module docstring).

    engine= (minilm's own) picks the engine; backend="onnx" / "openvino" asks for the onnx / openvino engine,
    "torch" keeps the default. model_kwargs may give torch_dtype (or dtype): the torch engine's dtype.
    """

    def __init__(self, model_name_or_path: str | os.PathLike[str] | None = None, modules: Any = None,
                 device: str | None = None, *, prompts: dict[str, str] | None = None,
                 default_prompt_name: str | None = None, cache_folder: str | None = None,
                 trust_remote_code: bool = False, revision: str | None = None, local_files_only: bool = False,
                 token: bool | str | None = None, use_auth_token: bool | str | None = None,
                 truncate_dim: int | None = None, model_kwargs: dict[str, Any] | None = None,
                 tokenizer_kwargs: dict[str, Any] | None = None, processor_kwargs: dict[str, Any] | None = None,
                 config_kwargs: dict[str, Any] | None = None, model_card_data: Any = None, backend: str = "torch",
                 similarity_fn_name: str | None = None, engine: str = "auto"):  # fmt: skip
        # trust_remote_code only permits running a model's own code; minilm never runs any, so it changes nothing.
        del trust_remote_code
        dtype = options.torch_dtype(model_kwargs)
        options.refuse("SentenceTransformer", modules=modules, cache_folder=cache_folder, revision=revision,
                       token=token, use_auth_token=use_auth_token, tokenizer_kwargs=tokenizer_kwargs,
                       processor_kwargs=processor_kwargs, config_kwargs=config_kwargs,
                       model_card_data=model_card_data)  # fmt: skip
        if backend not in BACKENDS:
            raise NotImplementedError(f"SentenceTransformer(backend={backend!r}): minilm has {BACKENDS}")
        if backend != "torch" and engine == "auto":
            engine = backend
        engine, where = options.engine_for(engine, options.device_name(device, "SentenceTransformer"))
        if dtype is not None and engine == "auto":
            engine = "torch"
        self._dtype = dtype
        self.encoder: Encoder = load(model_name_or_path, engine=engine, allow_download=not local_files_only,
                                     device=where, dtype=dtype)  # fmt: skip
        saved = options.read_saved_config(self.encoder.folder.path)
        self.default_prompt_name = default_prompt_name or saved.default_prompt_name
        self.prompts = options.merge_prompts(prompts, saved.prompts, self.default_prompt_name)
        self.truncate_dim = options.check_truncate_dim(truncate_dim if truncate_dim is not None else saved.truncate_dim)
        self._similarity_fn_name: str | None = None
        # a saved name this class does not compute (e.g. a multi-vector "maxsim") is passed over, as the reference does
        usable = saved.similarity_fn_name if saved.similarity_fn_name in SIMILARITY_FN_NAMES else None
        self.similarity_fn_name = similarity_fn_name or usable
        self._includes_prompt = options.pooling_includes_prompt(self.encoder.folder.path)
        self._tokenizer = TokenizerView(self.encoder.tokenizer, self.encoder.config.bert.max_position_embeddings)

    # -- facts and settings ------------------------------------------------------------------------------------
    @property
    def max_seq_length(self) -> int:
        """Tokens per text, [CLS]/[SEP] included; setting it makes encode truncate there (as the reference)."""
        return self.encoder.max_seq_length

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        set_max_length(self.encoder.tokenizer, value, self.encoder.config.bert.max_position_embeddings)

    def get_max_seq_length(self) -> int:
        return self.max_seq_length

    def get_sentence_embedding_dimension(self) -> int:
        """Length of the vectors encode returns: the model's, or truncate_dim when smaller."""
        if self.truncate_dim is not None:
            return min(self.encoder.dimension, self.truncate_dim)
        return self.encoder.dimension

    get_embedding_dimension = get_sentence_embedding_dimension

    @property
    def tokenizer(self) -> TokenizerView:
        """A stand-in for the transformers tokenizer (minilm.compat.tokenizer.TokenizerView), not transformers'."""
        return self._tokenizer

    @property
    def similarity_fn_name(self) -> str:
        """ "cosine" (the default), "dot", "euclidean" or "manhattan": what similarity() computes."""
        if self._similarity_fn_name is None:
            self._similarity_fn_name = "cosine"
        return self._similarity_fn_name

    @similarity_fn_name.setter
    def similarity_fn_name(self, value: Any) -> None:
        self._similarity_fn_name = None if value is None else check_name(value)

    @property
    def device(self) -> Any:
        """Where the model runs: a torch.device when torch is installed ("cpu" for the CPU-only engines), else
        the string."""
        name = getattr(self.encoder.engine, "device", "cpu")
        try:
            import torch
        except ImportError:
            return name
        return torch.device(name)

    def to(self, device: Any) -> SentenceTransformer:
        """Move the model to `device` (as the reference): another engine or device is built from the same
        weights; the tokenizer (and a max_seq_length set on it) is kept."""
        name = options.device_name(device, "to")
        if name is None or _same_device(name, str(self.device)):
            return self
        engine, where = options.engine_for("auto" if self.encoder.engine.name != "torch" else "torch", name)
        built = engines.create(engine, Checkpoint(self.encoder.folder, self.encoder.sha256),
                               self.encoder.engine.threads, device=where, dtype=self._dtype)  # fmt: skip
        old = self.encoder
        self.encoder = Encoder(old.name, old.folder, old.tokenizer, built, old.sha256, old.source)
        return self

    def eval(self) -> SentenceTransformer:
        return self

    def __getitem__(self, index: int) -> TransformerModule:
        if index != 0:
            raise NotImplementedError(f"model[{index}]: only model[0] (the Transformer module) is available")
        return TransformerModule(self)

    def __repr__(self) -> str:
        return f"SentenceTransformer({self.encoder!r}, max_seq_length={self.max_seq_length})"

    def tokenize(self, texts: list[str]) -> dict[str, np.ndarray]:
        """input_ids, token_type_ids and attention_mask (numpy), padded to the longest text."""
        from minilm.batching import pad

        ids, lengths = pad(self.encoder.tokenize(texts), self.encoder.tokenizer.pad_id)
        mask = (np.arange(ids.shape[1])[None, :] < lengths[:, None]).astype(np.int64)
        return {"input_ids": ids, "token_type_ids": np.zeros_like(ids), "attention_mask": mask}

    # -- encoding --------------------------------------------------------------------------------------------
    def encode(
        self,
        inputs: str | list[str] | None = None,
        prompt_name: str | None = None,
        prompt: str | None = None,
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        output_value: str | None = "sentence_embedding",
        precision: str = "float32",
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
        device: str | None = None,
        normalize_embeddings: bool = False,
        truncate_dim: int | None = None,
        pool: Any = None,
        chunk_size: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """Embed texts as the reference does: prompt prepended, the model's pipeline (its Normalize module
        included), truncate_dim, then normalize_embeddings, then precision.

        output_value: "sentence_embedding" (an (N, D) array), "token_embeddings" (a list of (T, D) arrays,
        tensors with convert_to_tensor=True) or None (one dict per text with input_ids, attention_mask,
        token_type_ids, token_embeddings and sentence_embedding, each unpadded; the model runs once).
        truncate_dim=N: the first N components, as sentence-transformers gives them: not scaled back to unit
        length unless normalize_embeddings=True (their cosines are the same); the server's dimensions=N gives the
        same first N components re-normalized. all-MiniLM-L6-v2 was not trained to be shortened, so they cost
        quality (docs/server.md, "Shortened vectors").
        """
        texts, single = self._texts(inputs, kwargs)
        options.refuse("encode", pool=pool, chunk_size=chunk_size)
        self.to(device)  # the reference moves the model to encode(device=...) and leaves it there
        if output_value not in OUTPUT_VALUES:
            raise InputError(f"output_value {output_value!r} is not supported; expected one of {OUTPUT_VALUES}")
        # precision is applied here, after truncate_dim and normalize_embeddings, as the reference does
        asked = EncodeOptions(batch_size=batch_size, show_progress=show_progress_bar, precision=precision)
        run = asked.replace(precision="float32")
        dim = options.check_truncate_dim(truncate_dim if truncate_dim is not None else self.truncate_dim)
        resolved = self._resolve_prompt(prompt, prompt_name)
        texts = [resolved + text for text in texts] if resolved else texts
        as_tensors = convert_to_tensor or not convert_to_numpy
        if output_value == "sentence_embedding":
            vectors = self.encoder.encode(texts, options=run)
            vectors = vectors[:, :dim] if dim is not None else vectors
            vectors = quantize(l2_normalize(vectors) if normalize_embeddings else vectors, precision)
            return outputs.sentences(vectors, single, convert_to_numpy, convert_to_tensor)
        if output_value is None and precision != "float32":
            raise NotImplementedError(f"encode(output_value=None, precision={precision!r}): only float32")
        states = self.encoder.encode(texts, output="token", options=run)
        if output_value == "token_embeddings":
            return outputs.tokens(outputs.quantize_tokens(states, precision), single, as_tensors)
        return self._features(texts, states, dim, resolved, single, as_tensors)

    def _texts(self, inputs: Any, kwargs: dict[str, Any]) -> tuple[list[str], bool]:
        """The texts (from `inputs`, or the older keyword `sentences`); any other keyword is refused."""
        if "sentences" in kwargs and inputs is None:
            inputs = kwargs.pop("sentences")
        if kwargs:
            raise NotImplementedError(
                f"encode({', '.join(f'{k}=' for k in kwargs)}) is not supported by minilm's SentenceTransformer"
            )
        return as_texts(inputs)

    def _resolve_prompt(self, prompt: str | None, prompt_name: str | None) -> str:
        """An explicit prompt wins over prompt_name, which wins over default_prompt_name."""
        if prompt is not None and prompt_name is not None:
            log.warning("both prompt and prompt_name were given; prompt_name %r is not used", prompt_name)
        if prompt is None and prompt_name is not None:
            if prompt_name not in self.prompts:
                raise InputError(f"prompt_name {prompt_name!r} is not one of the prompts {list(self.prompts)}")
            prompt = self.prompts[prompt_name]
        elif prompt is None and self.default_prompt_name is not None:
            prompt = self.prompts.get(self.default_prompt_name)
        if prompt and not self._includes_prompt:
            raise NotImplementedError(
                "this model's pooling excludes prompt tokens (include_prompt: false); minilm pools every token"
            )
        return prompt or ""

    def _features(self, texts: list[str], states: list[np.ndarray], dim: int | None, prompt: str, single: bool,
                  as_tensors: bool) -> Any:  # fmt: skip
        """output_value=None: per text, what the reference's forward pass produced for it (from one run of the
        model: the sentence vectors are the token states pooled and normalized as the model's pipeline does)."""
        ids = [np.array(t, dtype=np.int64) for t in self.encoder.tokenize(texts)]
        vectors = self._sentence_vectors(states)[:, :dim]
        parts = {
            "input_ids": ids,
            "attention_mask": [np.ones_like(i) for i in ids],
            "token_type_ids": [np.zeros_like(i) for i in ids],
            "token_embeddings": states,
            "sentence_embedding": list(vectors),
        }
        # the reference's modality tag, and the prompt's token count without its trailing [SEP]
        extra: dict[str, Any] = {"modality": "text"}
        if prompt:
            extra["prompt_length"] = len(self.encoder.tokenize(prompt)[0]) - 1
        return outputs.features(parts, extra, single, as_tensors)

    def _sentence_vectors(self, states: list[np.ndarray]) -> np.ndarray:
        """(N, D) float32: each text's token states (T, D) pooled, then normalized when the model has Normalize."""
        mode = self.encoder.config.pooling.mode
        rows = [pool(s[None], np.array([len(s)]), mode)[0] for s in states]
        vectors = np.stack(rows) if rows else np.zeros((0, self.encoder.dimension), dtype=np.float32)
        return l2_normalize(vectors) if self.encoder.config.pooling.normalize else vectors.astype(np.float32)

    def encode_query(self, inputs: str | list[str] | None = None, prompt_name: str | None = None,
                     prompt: str | None = None, **kwargs: Any) -> Any:  # fmt: skip
        """encode with the "query" prompt unless another prompt or prompt_name is given."""
        if prompt is None and prompt_name is None and "query" in self.prompts:
            prompt_name = "query"
        return self.encode(inputs, prompt_name, prompt, **kwargs)

    def encode_document(self, inputs: str | list[str] | None = None, prompt_name: str | None = None,
                        prompt: str | None = None, **kwargs: Any) -> Any:  # fmt: skip
        """encode with the first of the "document", "passage", "corpus" prompts unless one is given."""
        if prompt is None and prompt_name is None:
            prompt_name = next((n for n in ("document", "passage", "corpus") if n in self.prompts), None)
        return self.encode(inputs, prompt_name, prompt, **kwargs)

    # -- similarity ------------------------------------------------------------------------------------------
    def similarity(self, embeddings1: Any, embeddings2: Any) -> Any:
        """Scores (N, M) by similarity_fn_name; a torch tensor when the inputs are tensors, else numpy."""
        return similarity(self.similarity_fn_name, embeddings1, embeddings2)

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> Any:
        """Scores (N,) between embeddings1[i] and embeddings2[i]."""
        return similarity(self.similarity_fn_name, embeddings1, embeddings2, pairwise=True)


def _same_device(asked: str, current: str) -> bool:
    """ "cuda" is the current CUDA device ("cuda:0" here); "cpu" is the CPU whatever the engine."""
    return asked == current or (asked == "cuda" and current.startswith("cuda"))
