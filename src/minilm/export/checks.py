"""Parity of an export measured by its consumer, reading only the exported folder, against minilm's reference.

The reference is minilm's numpy engine on the source model; the check texts are calibration.TEXTS plus texts
the int8 calibration never saw (accents, case, a text past the 256-token limit).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

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
log = logging.getLogger(__name__)


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


# Run by `node --input-type=module -e` in the Transformers.js install folder, so that the package resolves from
# that folder's node_modules. Reads {"dir", "dtype", "texts", "batch_size"} from the JSON file it is given and
# prints {"ids", "vectors", "load_seconds", "embed_seconds"} (timed inside Node, start-up excluded).
TRANSFORMERS_JS_SCRIPT = """
import { readFileSync } from "node:fs";
import path from "node:path";
const job = JSON.parse(readFileSync(process.argv.at(-1), "utf8"));
const { env, pipeline, AutoTokenizer } = await import("@huggingface/transformers");
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = path.dirname(path.resolve(job.dir)) + "/";
const name = path.basename(path.resolve(job.dir));
const loading = performance.now();
const tokenizer = await AutoTokenizer.from_pretrained(name);
const extractor = await pipeline("feature-extraction", name, { dtype: job.dtype, device: "cpu" });
const loaded = performance.now();
const vectors = [];
for (let i = 0; i < job.texts.length; i += job.batch_size) {
  const out = await extractor(job.texts.slice(i, i + job.batch_size), { pooling: "mean", normalize: true });
  const [rows, dim] = out.dims;
  for (let r = 0; r < rows; r++) vectors.push(Array.from(out.data.subarray(r * dim, (r + 1) * dim)));
}
const embedded = performance.now();
const ids = job.texts.map((t) => Array.from(tokenizer(t, { truncation: true }).input_ids.data, Number));
process.stdout.write(JSON.stringify({ ids, vectors, load_seconds: (loaded - loading) / 1000,
                                      embed_seconds: (embedded - loaded) / 1000 }));
"""
TRANSFORMERS_JS_ENV = "MINILM_TRANSFORMERS_JS"
NPM_INSTALL = "npm install --ignore-scripts @huggingface/transformers@4"


def transformers_js_home() -> Path:
    """The folder whose node_modules holds @huggingface/transformers: $MINILM_TRANSFORMERS_JS, else the source
    checkout's tests/export/js (where scripts/test installs it)."""
    import shutil

    from minilm.errors import MissingExtraError

    if shutil.which("node") is None:
        raise MissingExtraError("export --check of the transformers.js folder runs Node (node is not on PATH): "
                                "install Node.js 18 or later")  # fmt: skip
    named = os.environ.get(TRANSFORMERS_JS_ENV)
    home = Path(named) if named else Path(__file__).resolve().parents[3] / "tests" / "export" / "js"
    if not (home / "node_modules" / "@huggingface" / "transformers").is_dir():
        where = f"{TRANSFORMERS_JS_ENV}={named}" if named else f"{home} (set {TRANSFORMERS_JS_ENV} to choose another)"
        raise MissingExtraError(f"export --check of the transformers.js folder needs the npm package "
                                f"@huggingface/transformers in {where}: run `{NPM_INSTALL}` there")  # fmt: skip
    return home


def transformers_js(folder: Path, dtype: str, texts: list[str], batch_size: int = 1) -> dict[str, Any]:
    """Transformers.js in Node on an export folder: {"ids", "vectors" (N, H), "load_seconds", "embed_seconds"}."""
    import subprocess
    import tempfile

    from minilm.errors import MinilmError

    home = transformers_js_home()
    with tempfile.TemporaryDirectory(prefix="minilm-tjs-") as tmp:
        job = Path(tmp) / "job.json"
        job.write_text(json.dumps({"dir": str(folder.resolve()), "dtype": dtype, "texts": texts,
                                   "batch_size": batch_size}), encoding="utf-8")  # fmt: skip
        run = subprocess.run(["node", "--input-type=module", "-e", TRANSFORMERS_JS_SCRIPT, str(job)], cwd=home,
                             capture_output=True, text=True, timeout=3600)  # fmt: skip
    if run.returncode != 0:
        lines = run.stderr.strip().splitlines() or ["(no output)"]
        last = next((line for line in reversed(lines) if "Error" in line), lines[-1])  # not Node's version line
        raise MinilmError(f"Transformers.js in Node failed on {folder} (dtype {dtype}): {last}")
    out = json.loads(run.stdout)
    out["vectors"] = np.array(out["vectors"], np.float64)
    return dict(out)


def check_transformers_js(source: Source, out: Path) -> list[Parity]:
    """Transformers.js in Node on onnx/model.onnx (dtype fp32) and onnx/model_quantized.onnx (q8), on the texts
    whose ids agree with minilm's (Transformers.js cuts a text past the limit after adding [CLS] and [SEP], so
    its last id differs there: docs/export.md); ids_equal says whether all texts' ids agreed."""
    home = transformers_js_home()
    log.info("Transformers.js from %s", home)
    ref = reference(source, TEXTS)
    reference_ids = [list(map(int, row)) for row in source.tokenizer(TEXTS)]
    results = []
    for dtype, name in (("fp32", "onnx/model.onnx"), ("q8", "onnx/model_quantized.onnx")):
        got = transformers_js(out, dtype, TEXTS)
        agree = [i for i, (a, b) in enumerate(zip(got["ids"], reference_ids, strict=True)) if a == b]
        results.append(compare(f"transformers.js {name} ({len(agree)} of {len(TEXTS)} texts whose ids agree)",
                               got["vectors"][agree], ref[agree], ids_equal=len(agree) == len(TEXTS)))  # fmt: skip
    return results
