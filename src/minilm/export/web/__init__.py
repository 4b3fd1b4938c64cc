"""`minilm export web`: a folder of static files that embeds (and, with an index, searches) in the browser.

    minilm.export.web.export_web("site/", precision="int8")

The folder needs no server besides a static one and no network: the model as ONNX (onnx_model.py's token-state
graph, last_hidden_state out), the tokenizer's vocabulary and settings (wordpiece.json.gz, read by tokenizer.js),
the ES module minilm.js (tokenizing, length-sorted batching, mean pooling and L2 norm in JS), onnxruntime-web's
wasm files under ort/ (runtime.py), index.html, and a manifest minilm_web.json. The wasm binary and the tokenizer
are gzip-compressed (gzipped.py), which brings the int8 export under 30 MB. docs/web.md describes the folder
and the JS API.

int8 also stores the word-embedding table as int8 rows with one scale each (Gather, then scale): the token-state
graph of the onnx export keeps that table in fp32, 47 of its 59 MB.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from minilm.errors import InputError, OutputError, shown
from minilm.export import onnx_model, source
from minilm.export.web import gzipped, runtime
from minilm.files import write_text_atomic
from minilm.version import __version__

log = logging.getLogger(__name__)

PRECISIONS = ("int8", "fp32")
STORAGES = ("int8", "binary")
MANIFEST = "minilm_web.json"
MODEL_FILES = {"int8": "model_int8.onnx", "fp32": "model.onnx"}
TOKENIZER = "wordpiece.json"
MAX_SIZE = 30_000_000  # bytes: an export above it (without its index) is logged as a warning with its size
WORD_TABLE = "embeddings.word_embeddings.weight"


def export_web(out: str | os.PathLike[str], model: str | os.PathLike[str] | None = None, precision: str = "int8",
               index: str | os.PathLike[str] | None = None, storage: str | None = None, force: bool = False,
               max_size: int = MAX_SIZE) -> dict[str, Any]:  # fmt: skip
    """Write the browser folder for `model` (default all-MiniLM-L6-v2) to `out`; returns the manifest written.

    index: an index directory whose chunks the page searches (storage: int8 or binary codes, default int8).
    force: write into a non-empty folder. max_size: bytes above which the export (index not counted) warns.
    """
    if precision not in PRECISIONS:
        raise InputError(f"web export has no precision {shown(precision)}: choose one of {', '.join(PRECISIONS)}")
    if storage is not None and index is None:
        raise InputError("--storage applies to an exported index: pass --index too")
    storage = storage or STORAGES[0]
    if storage not in STORAGES:
        raise InputError(f"unknown index storage {shown(storage)}: choose one of {', '.join(STORAGES)}")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} exists and is not a directory")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise OutputError(f"{path} is not empty: choose an empty directory, or pass --force to write into it")
    runtime.package_dir()  # before any work: the error says which npm command installs it
    src = source.read(model)
    encoder = None
    if index is not None:  # a refused index leaves no half-written folder behind
        from minilm.export.web.index_data import check_index
        from minilm.loading import load

        encoder = load(model)
        check_index(Path(index), encoder)
    path.mkdir(parents=True, exist_ok=True)
    model_file = MODEL_FILES[precision]
    onnx_model.save(web_graph(src, precision), path / model_file)
    tokenizer_file = gzipped.write(path / TOKENIZER, json.dumps(tokenizer_data(src), ensure_ascii=False).encode())
    wasm_file = next(name for name in runtime.copy_to(path) if name.startswith(f"ort/{runtime.WASM}"))
    for asset in sorted(runtime.ASSETS.iterdir()):
        if asset.suffix in (".js", ".html", ".css"):
            shutil.copyfile(asset, path / asset.name)
    index_entry = None
    if index is not None and encoder is not None:
        from minilm.export.web.index_data import write_index

        index_entry = write_index(Path(index), path, encoder, storage)
    config = src.folder.config
    manifest: dict[str, Any] = {
        "format": "web", "model": src.name, "source_weights_sha256": src.sha256,
        "dimension": src.hidden_size, "max_seq_length": config.max_seq_length,
        "normalize": config.pooling.normalize, "precision": precision, "model_file": model_file,
        "tokenizer_file": tokenizer_file, "wasm_file": wasm_file, "onnxruntime_web": runtime.pinned(),
        "index": index_entry, "minilm_version": __version__, "files": _files(path),
    }  # fmt: skip
    size = sum(entry["bytes"] for name, entry in manifest["files"].items() if not name.startswith("index/"))
    manifest["bytes_without_index"] = size
    if size > max_size:
        log.warning("the web export in %s is %.1f MB without its index, over the stated %.1f MB (%s)", path,
                    size / 1e6, max_size / 1e6, precision)  # fmt: skip
    write_text_atomic(path / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest


def _files(out: Path) -> dict[str, dict[str, int]]:
    return {p.relative_to(out).as_posix(): {"bytes": p.stat().st_size}
            for p in sorted(out.rglob("*")) if p.is_file() and p.name != MANIFEST}  # fmt: skip


def web_graph(src: source.Source, precision: str) -> onnx.ModelProto:
    """onnx_model's token-state graph (input_ids, attention_mask, token_type_ids -> last_hidden_state); for int8
    with the word-embedding table stored as int8 rows times a per-row scale."""
    graph = onnx_model.token_states(onnx_model.encoder(src, precision), src)
    if precision == "int8":
        _int8_word_table(graph)
    return graph


def _int8_word_table(model: onnx.ModelProto) -> None:
    g = model.graph
    table = next(t for t in g.initializer if t.name == WORD_TABLE)
    rows = numpy_helper.to_array(table)  # (V, H)
    scale = np.maximum(np.abs(rows).max(axis=1), 1e-12) / 127.0  # (V,)
    codes = np.clip(np.rint(rows / scale[:, None]), -127, 127).astype(np.int8)
    g.initializer.remove(table)
    g.initializer.extend([numpy_helper.from_array(codes, "web.word_codes"),
                          numpy_helper.from_array(scale.astype(np.float32)[:, None], "web.word_scales")])  # fmt: skip
    nodes = list(g.node)
    gather = next(n for n in nodes if n.op_type == "Gather" and n.input[0] == WORD_TABLE)
    ids, rows_out = gather.input[1], gather.output[0]
    at = nodes.index(gather)
    nodes[at : at + 1] = [
        helper.make_node("Gather", ["web.word_codes", ids], ["web.word_q"]),  # (B, T, H) int8
        helper.make_node("Cast", ["web.word_q"], ["web.word_f"], to=TensorProto.FLOAT),
        helper.make_node("Gather", ["web.word_scales", ids], ["web.word_s"]),  # (B, T, 1)
        helper.make_node("Mul", ["web.word_f", "web.word_s"], [rows_out]),  # (B, T, H)
    ]
    del g.node[:]
    g.node.extend(nodes)


def tokenizer_data(src: source.Source) -> dict[str, Any]:
    """What tokenizer.js needs: the vocabulary in id order, the BERT normalizer's and WordPiece's settings, the
    added tokens matched in the raw text, and the length limit (with [CLS] and [SEP])."""
    saved = json.loads(src.tokenizer.backend.to_str())
    normalizer, wordpiece = saved["normalizer"], saved["model"]
    if normalizer.get("type") != "BertNormalizer" or wordpiece.get("type") != "WordPiece":
        raise InputError(f"web export reads BERT WordPiece tokenizers, not {normalizer.get('type')} + "
                         f"{wordpiece.get('type')}")  # fmt: skip
    vocab = sorted(wordpiece["vocab"].items(), key=lambda item: item[1])
    if [i for _, i in vocab] != list(range(len(vocab))):
        raise InputError("web export needs a vocabulary with ids 0..n-1")
    lowercase = bool(normalizer["lowercase"])
    strip = normalizer["strip_accents"]
    return {
        "vocab": [token for token, _ in vocab],
        "clean_text": bool(normalizer["clean_text"]),
        "handle_chinese_chars": bool(normalizer["handle_chinese_chars"]),
        "strip_accents": lowercase if strip is None else bool(strip),
        "lowercase": lowercase,
        "unk_token": wordpiece["unk_token"],
        "continuing_subword_prefix": wordpiece["continuing_subword_prefix"],
        "max_input_chars_per_word": wordpiece["max_input_chars_per_word"],
        "added_tokens": [{"content": t["content"], "id": t["id"]} for t in saved["added_tokens"]
                         if not t.get("normalized", False)],
        "cls_id": src.tokenizer.cls_id, "sep_id": src.tokenizer.sep_id, "pad_id": src.tokenizer.pad_id,
        "max_length": src.tokenizer.max_length,
    }  # fmt: skip
