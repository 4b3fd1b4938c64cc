"""What each export costs to make and how fast its own consumer runs it, beside minilm's engines, in one run:
export size and time per format and precision; sentences/s on 2,000 STS-B test sentences and docs/s on 300
SciFact abstracts for ONNX Runtime + tokenizers (fp32, int8), the OpenVINO runtime on the IR (fp32, int8),
Transformers.js in Node (fp32, q8; timed inside Node, its start-up apart), sentence-transformers on the standard
folder, Chroma's ONNX function and fastembed on the onnx export, llama-cpp-python on the GGUF; worst cosine of
each consumer's vectors to minilm's onnx engine on the same texts.

    .venv/bin/python -m benchmarks.export.consumers --fastembed-python /tmp/fe-venv/bin/python

Each consumer runs in a fresh process (`--child`), as its users would write it: texts in the given order,
batches of 32 (Chroma pads each batch to 256 tokens itself). fastembed runs in the interpreter named by
--fastembed-python (a virtualenv holding fastembed: it pins huggingface_hub < 2, so it is not in the project's
environment); a consumer that is not installed is listed as such. An export folder already under --out is reused
(its manifest gives size and time).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

import minilm
from benchmarks import harness, workloads
from minilm.errors import MissingExtraError
from minilm.export import FORMATS, checks, export

BATCH = 32
EXPORTS = [("onnx", "fp32"), ("onnx", "int8"), ("openvino", "fp32"), ("openvino", "int8"),
           ("transformers.js", "fp32+int8"), ("sentence-transformers", "fp32"), ("gguf", "f32"), ("gguf", "f16"),
           ("gguf", "q8_0")]  # fmt: skip
Encode = Callable[[list[str]], np.ndarray]


def batches(texts: list[str]) -> list[list[str]]:
    return [texts[i : i + BATCH] for i in range(0, len(texts), BATCH)]


def padded_tokenizer(folder: Path) -> Any:
    """The folder's tokenizer.json read by tokenizers, padding each batch to its longest text."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
    return tokenizer


def feeds(tokenizer: Any, texts: list[str]) -> Iterator[dict[str, np.ndarray]]:
    """The three int64 inputs of a BERT graph, one dict per batch."""
    for batch in batches(texts):
        encodings = tokenizer.encode_batch(batch)
        yield {"input_ids": np.array([e.ids for e in encodings], np.int64),
               "attention_mask": np.array([e.attention_mask for e in encodings], np.int64),
               "token_type_ids": np.array([e.type_ids for e in encodings], np.int64)}  # fmt: skip


def onnxruntime_reader(folder: Path) -> Encode:
    """sentence_model.onnx by onnxruntime, tokenized by tokenizers from the folder's tokenizer.json."""
    import onnxruntime as ort

    tokenizer = padded_tokenizer(folder)
    session = ort.InferenceSession(str(folder / "sentence_model.onnx"), providers=["CPUExecutionProvider"])
    return lambda texts: np.concatenate([session.run(["sentence_embedding"], f)[0] for f in feeds(tokenizer, texts)])


def openvino_reader(folder: Path) -> Encode:
    """sentence_model.xml by the OpenVINO runtime (f32 inference precision), tokenized by tokenizers."""
    import openvino as ov

    tokenizer = padded_tokenizer(folder)
    model = ov.Core().compile_model(str(folder / "sentence_model.xml"), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    return lambda texts: np.concatenate([np.asarray(model(f)[0]) for f in feeds(tokenizer, texts)])


def sentence_transformers_reader(folder: Path) -> Encode:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    return lambda texts: np.asarray(model.encode(texts, batch_size=BATCH, convert_to_numpy=True))


def chroma_reader(folder: Path) -> Encode:
    """Chroma's ONNXMiniLM_L6_V2 pointed at the onnx export (docs/export.md)."""
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    function = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    function.DOWNLOAD_PATH = folder.parent  # type: ignore[misc]
    function.EXTRACTED_FOLDER_NAME = folder.name  # type: ignore[misc]
    return lambda texts: np.array(function(texts), np.float32)


def llama_cpp_reader(folder: Path) -> Encode:
    from minilm.export.gguf import llama_model

    model = llama_model(folder / "model.gguf", 256)  # weight repacking off: q8_0 crashes with it (docs/export.md)
    return lambda texts: np.array([model.embed(t, normalize=True, truncate=True) for t in texts], np.float32)


def worst_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return float(np.sum(a * b, axis=1).min())


def timed_run(encode: Encode, texts: list[str]) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    vectors = encode(texts)
    return time.perf_counter() - start, np.asarray(vectors, np.float64)


def fastembed(python: str, folder: Path, texts: list[str], work: Path) -> tuple[dict[str, Any], np.ndarray]:
    (work / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    child = Path(__file__).with_name("fastembed_child.py")
    run = subprocess.run([python, str(child), str(folder), str(work / "texts.json"), str(work / "fastembed.npy")],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(run.stdout.strip().splitlines()[-1]), np.load(work / "fastembed.npy").astype(np.float64)


READERS: dict[str, tuple[tuple[str, str], Callable[[Path], Encode]]] = {
    "onnxruntime + tokenizers, sentence_model.onnx fp32": (("onnx", "fp32"), onnxruntime_reader),
    "onnxruntime + tokenizers, sentence_model.onnx int8": (("onnx", "int8"), onnxruntime_reader),
    "OpenVINO runtime, sentence_model.xml fp32": (("openvino", "fp32"), openvino_reader),
    "OpenVINO runtime, sentence_model.xml int8": (("openvino", "int8"), openvino_reader),
    "sentence-transformers (torch CPU), standard folder": (("sentence-transformers", "fp32"),
                                                           sentence_transformers_reader),
    "Chroma ONNXMiniLM_L6_V2, onnx export fp32": (("onnx", "fp32"), chroma_reader),
    "llama-cpp-python, gguf f32": (("gguf", "f32"), llama_cpp_reader),
    "llama-cpp-python, gguf q8_0": (("gguf", "q8_0"), llama_cpp_reader),
}  # fmt: skip


def child(name: str, folder: str, short: list[str], long: list[str], vectors: Path) -> None:
    """One consumer (or minilm engine) in this fresh process: load, warm up, time both workloads, save vectors."""
    start = time.perf_counter()
    if name.startswith("minilm engine "):
        encode: Encode = minilm.load(engine=name.removeprefix("minilm engine "), allow_download=False).encode
    else:
        try:
            encode = READERS[name][1](Path(folder))
        except ImportError as exc:
            harness.emit({"missing": f"not installed ({exc})"})
            return
    encode(short[:BATCH])
    load = time.perf_counter() - start
    (short_s, short_v), (long_s, long_v) = timed_run(encode, short), timed_run(encode, long)
    np.savez(vectors, short=short_v, long=long_v)
    harness.emit({"load": load, "short": short_s, "long": long_s})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="results/export-consumers", help="where the exports are written")
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--fastembed-python", help="an interpreter with fastembed installed")
    parser.add_argument("--child", nargs=3, metavar=("NAME", "FOLDER", "VECTORS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = Path(args.out)
    short = workloads.sts_sentences("test")[: args.sentences]
    long = workloads.scifact_abstracts()[: args.docs]
    if args.child:
        child(args.child[0], args.child[1], short, long, Path(args.child[2]))
        return
    load_at_start = harness.machine()

    made: dict[tuple[str, str], Path] = {}
    export_rows = []
    for fmt, precision in EXPORTS:
        if fmt not in FORMATS:
            export_rows.append(f"| {fmt} | {precision} | not in this checkout | |")
            continue
        folder = out / f"{fmt}-{precision.replace('+', '-')}"  # Transformers.js finds no files under a "+" name
        if (folder / "minilm_export.json").is_file():
            manifest = json.loads((folder / "minilm_export.json").read_text())
        else:
            try:
                manifest = export(folder, fmt, precision=precision, force=True).to_dict()
            except MissingExtraError as exc:
                export_rows.append(f"| {fmt} | {precision} | not made: {exc} | |")
                continue
        made[(fmt, precision)] = folder
        size = sum(f["bytes"] for f in manifest["files"].values()) / 1e6
        export_rows.append(f"| {fmt} | {precision} | {size:,.1f} | {manifest['seconds']:.1f} |")

    results: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    names = [("minilm engine onnx", ""), ("minilm engine onnx-int8", "")]
    for name, (key, _) in READERS.items():
        if key in made:
            names.append((name, str(made[key])))
        else:
            missing.append(f"{name}: the {key[0]} {key[1]} export was not made")
    for name, folder in names:
        vectors = out / "vectors.npz"
        try:
            got = harness.fresh_process("benchmarks.export.consumers", "--out", str(out), "--sentences",
                                        str(args.sentences), "--docs", str(args.docs), "--child", name, folder,
                                        str(vectors))  # fmt: skip
        except harness.ChildFailed as exc:
            missing.append(f"{name}: failed ({exc})")
            continue
        print(f"{name}: {got}", file=sys.stderr, flush=True)
        if "missing" in got:
            missing.append(f"{name}: {got['missing']}")
            continue
        saved = np.load(vectors)
        results[name] = {"load": got["load"], "short": (got["short"], saved["short"]),
                         "long": (got["long"], saved["long"])}  # fmt: skip
    reference = {"short": results["minilm engine onnx"]["short"][1], "long": results["minilm engine onnx"]["long"][1]}
    if ("transformers.js", "fp32+int8") in made:
        folder = made[("transformers.js", "fp32+int8")]
        for dtype in ("fp32", "q8"):
            start = time.perf_counter()
            runs = {work: checks.transformers_js(folder, dtype, texts, BATCH)
                    for work, texts in (("short", short), ("long", long))}  # fmt: skip
            total = time.perf_counter() - start
            inside = sum(r["load_seconds"] + r["embed_seconds"] for r in runs.values())
            results[f"Transformers.js 4 in Node, {dtype}"] = {
                "load": runs["short"]["load_seconds"], "startup": (total - inside) / 2,
                **{w: (r["embed_seconds"], r["vectors"]) for w, r in runs.items()},
            }  # fmt: skip
    if args.fastembed_python and ("onnx", "fp32") in made:
        for label, max_length in (("max_length 256 (the export's tokenizer_config.json)", None), ("128 tokens", 128)):
            folder = made[("onnx", "fp32")]
            if max_length is not None:  # the export with tokenizer_config.json cut to 128, as fastembed's own copy
                folder = out / "onnx-fp32-128"
                export(folder, "onnx", force=True)
                config = json.loads((folder / "tokenizer_config.json").read_text())
                (folder / "tokenizer_config.json").write_text(json.dumps({**config, "max_length": max_length}))
            runs_fe = {work: fastembed(args.fastembed_python, folder, texts, out)
                       for work, texts in (("short", short), ("long", long))}  # fmt: skip
            results[f"fastembed custom model, {label}"] = {
                "load": runs_fe["short"][0]["load_seconds"],
                **{w: (info["embed_seconds"], vectors) for w, (info, vectors) in runs_fe.items()},
            }  # fmt: skip
    else:
        missing.append("fastembed: no --fastembed-python given")

    print(load_at_start, "at the start;", harness.machine(), "at the end (other jobs ran on the machine)")
    print()
    print("| format | precision | size MB | export s |")
    print("| --- | --- | --- | --- |")
    print("\n".join(export_rows))
    print()
    print(f"| consumer | STS-B sentences/s ({len(short)}) | SciFact docs/s ({len(long)}) | load s | "
          "worst cosine to minilm onnx (STS-B / SciFact) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- |")
    for name, r in results.items():
        cos = " / ".join(f"{worst_cosine(r[w][1], reference[w]):.6f}" for w in ("short", "long"))
        load = f"{r['load']:.2f}" + (f" (+ Node start-up and JSON {r['startup']:.2f})" if "startup" in r else "")
        print(f"| {name} | {len(short) / r['short'][0]:,.0f} | {len(long) / r['long'][0]:,.1f} | {load} | {cos} |")
    for line in missing:
        print(f"- not measured: {line}")


if __name__ == "__main__":
    main()
