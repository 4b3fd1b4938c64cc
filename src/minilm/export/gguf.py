"""The `gguf` export: one model.gguf in the layout llama.cpp's BERT loader reads (llama.cpp, llama-cpp-python,
Ollama), written with the `gguf` package, the llama.cpp project's own writer.

What llama.cpp needs, as its converter (convert_hf_to_gguf.py, BertModel) writes it:
- architecture "bert", non-causal attention, mean pooling (`bert.pooling_type`), and a context length equal to
  the model's max_seq_length (256 for all-MiniLM-L6-v2): position_embd keeps only that many rows, since the
  loader takes its row count as the training context;
- tensor names from gguf's own map for BERT (token_embd, token_types, position_embd, token_embd_norm,
  blk.N.attn_q/k/v, attn_output, attn_output_norm, ffn_up, ffn_down, layer_output_norm);
- the WordPiece vocabulary as llama.cpp's WPM tokenizer matches it: a word-initial piece carries the phantom
  space U+2581 ("cat" -> "▁cat"), a continuation drops its "##" ("##s" -> "s"), special tokens stay as they are;
  [CLS] is BOS and [SEP] is SEP and EOS (llama.cpp adds BOS first and SEP last); the tokenizer's lowercasing and
  accent stripping go in tokenizer.ggml.normalizer.* (llama.cpp lowercases only when told to).
Precisions follow the converter: 1-D tensors, norms, biases, position_embd and token_types stay float32; the
other matrices are f32, f16 or q8_0 (a matrix whose rows are not a multiple of q8_0's 32-value block falls back
to f16, as in the converter).
No key chooses the activation: llama.cpp's BERT graph always runs ggml_gelu (the tanh form through an fp16 table)
where the model uses the erf GELU, so an f32 file reads up to ~5e-4 from the reference (docs/export.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from minilm import extras
from minilm.errors import CheckpointError
from minilm.export.manifest import Parity
from minilm.export.source import Source
from minilm.files import fsync_dir

PRECISIONS = ("f32", "f16", "q8_0")
GGUF_FILE = "model.gguf"
PHANTOM_SPACE = "\u2581"
SPECIALS = {"bos": "[CLS]", "eos": "[SEP]", "sep": "[SEP]", "pad": "[PAD]", "unk": "[UNK]",
            "mask": "[MASK]"}  # fmt: skip
# Not in gguf's writer yet (llama.cpp reads them since it reads the BertNormalizer's options).
LOWERCASE_KEY, STRIP_ACCENTS_KEY = "tokenizer.ggml.normalizer.lowercase", "tokenizer.ggml.normalizer.strip_accents"


def _normalizer(tokenizer_json: dict[str, Any]) -> tuple[bool, bool]:
    """(lowercase, strip_accents) of the tokenizer's BertNormalizer; strip_accents None follows lowercase."""
    found: list[dict[str, Any]] = []

    def walk(node: dict[str, Any] | None) -> None:
        if node is None:
            return
        if node.get("type") == "Sequence":
            for child in node.get("normalizers", []):
                walk(child)
        else:
            found.append(node)

    walk(tokenizer_json.get("normalizer"))
    lowercase = any(n.get("type") == "Lowercase" or (n.get("type") == "BertNormalizer" and n.get("lowercase", True))
                    for n in found)  # fmt: skip
    strip = any(n.get("type") == "StripAccents" for n in found)
    for n in found:
        if n.get("type") == "BertNormalizer":
            accents = n.get("strip_accents")
            strip = strip or (lowercase if accents is None else bool(accents))
    return lowercase, strip


def vocabulary(source: Source) -> tuple[list[str], list[int], dict[str, int], tuple[bool, bool]]:
    """(tokens in llama.cpp's WPM spelling, their gguf token types, the special ids, (lowercase, strip_accents))."""
    import gguf

    backend = source.tokenizer.backend
    saved = json.loads(backend.to_str())
    if saved.get("model", {}).get("type") != "WordPiece":
        raise CheckpointError(f"{source.folder.path}: the tokenizer is {saved.get('model', {}).get('type')!r}; "
                              "the gguf export writes WordPiece (BERT) vocabularies only")  # fmt: skip
    vocab_size = source.folder.config.bert.vocab_size
    by_id = {index: token for token, index in backend.get_vocab().items()}
    special = {index for index, added in backend.get_added_tokens_decoder().items() if added.special}
    tokens, types = [], []
    for index in range(vocab_size):
        token = by_id.get(index)
        if token is None:  # a hole in the vocabulary: the converter's placeholder
            tokens.append(f"[PAD{index}]")
            types.append(gguf.TokenType.UNUSED)
        elif index in special:
            tokens.append(token)
            types.append(gguf.TokenType.CONTROL)
        else:
            tokens.append(token[2:] if token.startswith("##") else PHANTOM_SPACE + token)
            types.append(gguf.TokenType.NORMAL)
    ids: dict[str, int] = {}
    for role, name in SPECIALS.items():
        found = backend.token_to_id(name)
        if found is None:
            raise CheckpointError(f"{source.folder.path}: the vocabulary has no {name}, which llama.cpp's BERT "
                                  f"tokenizer needs as its {role} token")  # fmt: skip
        ids[role] = found
    return tokens, [int(t) for t in types], ids, _normalizer(saved)


def _tensor_type(name: str, value: np.ndarray, precision: str) -> Any:
    import gguf

    kind = gguf.GGMLQuantizationType
    if value.ndim <= 1 or not name.endswith(".weight") or name.endswith("_norm.weight"):
        return kind.F32
    if name.startswith(("position_embd.", "token_types.")):
        return kind.F32
    if precision == "f16":
        return kind.F16
    if precision == "q8_0":
        block = gguf.GGML_QUANT_SIZES[kind.Q8_0][0]
        return kind.Q8_0 if value.shape[-1] % block == 0 else kind.F16
    return kind.F32


def write(source: Source, out: Path, precision: str) -> None:
    extras.require("gguf", "minilm export --format gguf")
    import gguf

    config = source.folder.config
    bert = config.bert
    context = min(config.max_seq_length, bert.max_position_embeddings)
    tokens, types, special, (lowercase, strip_accents) = vocabulary(source)
    file_type = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
                 "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}[precision]  # fmt: skip

    target = out / GGUF_FILE
    partial = out / f".{GGUF_FILE}.partial"
    writer = gguf.GGUFWriter(partial, "bert")
    writer.add_name(source.name)
    writer.add_block_count(bert.num_hidden_layers)
    writer.add_context_length(context)
    writer.add_embedding_length(bert.hidden_size)
    writer.add_feed_forward_length(bert.intermediate_size)
    writer.add_head_count(bert.num_attention_heads)
    writer.add_layer_norm_eps(bert.layer_norm_eps)
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_file_type(file_type)
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")  # llama.cpp's WPM tokenizer has one pre-tokenizer; the key is required
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_type_count(bert.type_vocab_size)
    for role, index in special.items():
        getattr(writer, f"add_{role}_token_id")(index)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_add_sep_token(True)
    writer.add_bool(LOWERCASE_KEY, lowercase)
    writer.add_bool(STRIP_ACCENTS_KEY, strip_accents)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, bert.num_hidden_layers)
    for key, value in sorted(source.weights.items()):
        name = names.get_name(key, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise CheckpointError(f"{source.folder.path}: weight {key} has no name in llama.cpp's BERT layout")
        array = np.asarray(value, np.float32)
        if name == "position_embd.weight":
            array = array[:context]  # (context, hidden): the loader reads its row count as the training context
        kind = _tensor_type(name, array, precision)
        data = gguf.quants.quantize(np.ascontiguousarray(array), kind)
        writer.add_tensor(name, data, raw_dtype=kind)
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(partial, target)
        fsync_dir(out)
    finally:
        partial.unlink(missing_ok=True)


def llama_cpp_vectors(path: Path, texts: list[str], context: int) -> tuple[list[list[int]], np.ndarray]:
    """(token ids, normalized mean-pooled vectors) of llama-cpp-python on model.gguf, one text per call.

    As llama-cpp-python's embed(truncate=True) does, a text is cut to its first `context` tokens (n_batch), so a
    text past the limit loses its final [SEP].
    """
    model = llama_model(path, context)
    try:
        ids = [model.tokenize(text.encode("utf-8"), add_bos=True, special=False)[:context] for text in texts]
        vectors = np.array([model.embed(text, normalize=True, truncate=True) for text in texts], np.float64)
    finally:
        model.close()
    return ids, vectors


def llama_model(path: Path, context: int) -> Any:
    """llama-cpp-python's Llama on model.gguf in embedding mode, mean pooling, `context` tokens per text."""
    import llama_cpp.llama_cpp as binding
    from llama_cpp import LLAMA_POOLING_TYPE_MEAN, Llama

    # Weights used as stored (llama.cpp's --no-repack): llama-cpp-python 0.3.36 crashes running q8_0 with its
    # runtime repacking on AVX-512 CPUs. Llama() takes its model parameters from this function.
    default = binding.llama_model_default_params

    def params() -> binding.llama_model_params:
        found = default()
        found.use_extra_bufts = False
        return found

    binding.llama_model_default_params = params
    try:
        model = Llama(str(path), embedding=True, pooling_type=LLAMA_POOLING_TYPE_MEAN, n_ctx=context, n_batch=context,
                      n_ubatch=context, n_threads=os.cpu_count() or 1, verbose=False)  # fmt: skip
    finally:
        binding.llama_model_default_params = default
    return model


def check(source: Source, out: Path) -> list[Parity]:
    """llama-cpp-python's vectors against the reference on the texts whose ids agree with minilm's; ids_equal says
    whether all texts' ids agreed."""
    from minilm.export import checks

    try:
        import llama_cpp  # noqa: F401
    except ImportError as exc:
        raise extras.missing_module("gguf-check", "export --check of the gguf file", exc) from None
    config = source.folder.config
    context = min(config.max_seq_length, config.bert.max_position_embeddings)
    ids, vectors = llama_cpp_vectors(out / GGUF_FILE, checks.TEXTS, context)
    reference_ids = [list(map(int, row)) for row in source.tokenizer(checks.TEXTS)]
    agree = [i for i, (got, want) in enumerate(zip(ids, reference_ids, strict=True)) if got == want]
    ref = checks.reference(source, checks.TEXTS)
    return [checks.compare(f"llama-cpp-python ({len(agree)} of {len(ids)} texts whose ids agree)", vectors[agree],
                           ref[agree], ids_equal=len(agree) == len(ids))]  # fmt: skip
