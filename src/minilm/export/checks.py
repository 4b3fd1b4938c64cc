"""Parity of an export measured by its consumer, reading only the exported folder, against minilm's reference.

The reference is minilm's numpy engine on the source model; the check texts are calibration.TEXTS plus texts
the int8 calibration never saw (accents, case, a text past the 256-token limit).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minilm.engines.onnx import calibration
from minilm.export.manifest import Parity
from minilm.export.source import Source

UNSEEN = [
    "Crème brûlée is a dessert of rich custard topped with a layer of hard caramel.",
    "NAÏVE BAYES CLASSIFIERS ARE SURPRISINGLY STRONG BASELINES.",
    "Les élèves étudient à l'école près de la forêt.",
    "Emoji 😀 and CJK 日本語 characters go through the same tokenizer.",
    "",
    " ".join(["a long text that runs well past the model's limit of two hundred and fifty six pieces"] * 30),
]
TEXTS = [*calibration.TEXTS, *UNSEEN]


def reference(source: Source, texts: list[str]) -> np.ndarray:
    from minilm.loading import load

    model = load(source.folder.path, engine="numpy", allow_download=False)
    return np.asarray(model.encode(texts), dtype=np.float64)


def compare(consumer: str, vectors: np.ndarray, ref: np.ndarray, ids_equal: bool | None = None) -> Parity:
    vectors = np.asarray(vectors, np.float64)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    ref_unit = ref / np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-12)
    cosine = np.sum(unit * ref_unit, axis=1)
    return Parity(consumer, len(ref), float(np.abs(vectors - ref).max()), float(cosine.min()), ids_equal)


def onnx_runtime(out: Path, texts: list[str], batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """(mean-pooled, normalized token states of model.onnx, sentence_model.onnx's output) by onnxruntime and
    tokenizers from the folder's own tokenizer.json."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(out / "tokenizer.json"))
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
    options = {"providers": ["CPUExecutionProvider"]}
    states = ort.InferenceSession(str(out / "model.onnx"), **options)
    sentences = ort.InferenceSession(str(out / "sentence_model.onnx"), **options)
    pooled, direct = [], []
    for start in range(0, len(texts), batch_size):
        encodings = tokenizer.encode_batch(texts[start : start + batch_size])
        feed = {
            "input_ids": np.array([e.ids for e in encodings], np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], np.int64),
        }
        hidden = states.run(["last_hidden_state"], feed)[0].astype(np.float64)  # (B, T, H)
        mask = feed["attention_mask"][:, :, None].astype(np.float64)
        mean = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        pooled.append(mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12))
        direct.append(sentences.run(["sentence_embedding"], feed)[0])
    return np.concatenate(pooled), np.concatenate(direct)


def check_onnx(source: Source, out: Path) -> list[Parity]:
    ref = reference(source, TEXTS)
    pooled, direct = onnx_runtime(out, TEXTS)
    return [compare("onnxruntime+tokenizers model.onnx (pooled by the reader)", pooled, ref),
            compare("onnxruntime+tokenizers sentence_model.onnx", direct, ref)]  # fmt: skip


def check_sentence_transformers(source: Source, out: Path) -> list[Parity]:
    """sentence-transformers (torch, CPU) loading the folder as any user would."""
    from minilm import extras

    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise extras.missing_module("export-check", "export --check of the sentence-transformers folder",
                                    exc) from None  # fmt: skip
    model = SentenceTransformer(str(out), device="cpu", local_files_only=True)
    vectors = model.encode(TEXTS, batch_size=16, convert_to_numpy=True)
    ids = model.tokenizer(TEXTS, truncation=True, max_length=model.max_seq_length)["input_ids"]
    ids_equal = [list(i) for i in ids] == [list(map(int, i)) for i in source.tokenizer(TEXTS)]
    return [compare("sentence-transformers", vectors, reference(source, TEXTS), ids_equal)]


def openvino_runtime(out: Path, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(openvino_model.xml's states pooled here, sentence_model.xml's output), one text per request."""
    import openvino as ov
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(out / "tokenizer.json"))
    core = ov.Core()
    states = core.compile_model(str(out / "openvino_model.xml"), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    sentences = core.compile_model(str(out / "sentence_model.xml"), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    pooled, direct = [], []
    for encoding in tokenizer.encode_batch(texts):
        feed = {"input_ids": np.array([encoding.ids], np.int64),
                "attention_mask": np.array([encoding.attention_mask], np.int64),
                "token_type_ids": np.array([encoding.type_ids], np.int64)}  # fmt: skip
        mean = np.asarray(states(feed)[0], np.float64)[0].mean(axis=0)
        pooled.append(mean / max(np.linalg.norm(mean), 1e-12))
        direct.append(np.asarray(sentences(feed)[0])[0])
    return np.stack(pooled), np.stack(direct)


def check_openvino(source: Source, out: Path) -> list[Parity]:
    ref = reference(source, TEXTS)
    pooled, direct = openvino_runtime(out, TEXTS)
    return [compare("openvino openvino_model.xml (pooled by the reader)", pooled, ref),
            compare("openvino sentence_model.xml", direct, ref)]  # fmt: skip
