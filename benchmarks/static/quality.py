"""Distil the static twin of all-MiniLM-L6-v2 and score it: STS-B / SICK-R Spearman and SciFact nDCG@10
static-static, SciFact across spaces (static queries over the model's documents and the reverse), and the cosine of
static to model vectors on held-out texts (STS-B dev), for the vocabulary pass alone, with SIF weights, and fitted.

    .venv/bin/python -m benchmarks.static.quality [--out results/static-model] [--cache /tmp/static_teacher.npz]

--side-by-side scores the saved folder and model2vec's own distill of the model (benchmarks/static/peers.py,
loaded by model2vec's StaticModel) on the same static-static tasks, without distilling again:

    .venv/bin/python -m benchmarks.static.quality --side-by-side [--m2v results/m2v-minilm]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

import minilm
from benchmarks import harness
from benchmarks.static.peers import M2V_FOLDER, model2vec_distilled
from minilm.eval.datasets import read_beir, read_sick, read_stsb
from minilm.eval.locations import data_root
from minilm.eval.metrics import paired_cosine, retrieval_scores, spearman
from minilm.eval.retrieval import top_k
from minilm.static import distill
from minilm.static.corpus import training_texts


def cached_vectors(model: Any, texts: list[str], path: Path) -> np.ndarray:
    if path.is_file():
        data = np.load(path)
        if data["n"] == len(texts):
            return data["v"]
    vectors = np.asarray(model.encode(texts), dtype=np.float32)
    np.savez(path, v=vectors, n=len(texts))
    return vectors


def sts(model: Any, pairs: Any) -> float:
    a = model.encode(pairs.sentences1)
    b = model.encode(pairs.sentences2)
    return 100 * spearman(pairs.scores, paired_cosine(a, b))


def ndcg(data: Any, queries: np.ndarray, docs: np.ndarray) -> float:
    idx, val = top_k(queries, docs, 10)
    run = {q: {data.doc_ids[j]: float(s) for j, s in zip(idx[r], val[r], strict=True)}
           for r, q in enumerate(data.query_ids)}  # fmt: skip
    means, _ = retrieval_scores(data.qrels, run, (10,))
    return 100 * means["ndcg_at_10"]


class Float32:
    """A model whose vectors come back float32 (model2vec's distill stores and returns float16)."""

    def __init__(self, model: Any):
        self.model = model

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(texts), dtype=np.float32)


def side_by_side(root: Path, ours: Path, m2v: Path) -> None:
    """STS-B, SICK-R and SciFact static-static of minilm's static model and model2vec's distill, same texts."""
    from model2vec import StaticModel as Model2VecStatic

    stsb = read_stsb(root / "stsbenchmark" / "sts-test.csv")
    sick = read_sick([root / "sick" / n for n in ("SICK_train.txt", "SICK_trial.txt", "SICK_test_annotated.txt")])
    scifact = read_beir(root / "scifact")
    models: dict[str, Any] = {
        f"minilm distill-static ({ours})": minilm.load(ours),
        f"model2vec distill, its defaults ({m2v})": Float32(
            Model2VecStatic.from_pretrained(str(model2vec_distilled(m2v)))
        ),
    }
    print(harness.machine())
    print("| static model | dimensions | STS-B | SICK-R | SciFact s-s |")
    print("| --- | --- | --- | --- | --- |")
    for name, m in models.items():
        docs, queries = m.encode(scifact.doc_texts), m.encode(scifact.query_texts)
        print(f"| {name} | {docs.shape[1]} | {sts(m, stsb):.2f} | {sts(m, sick):.2f} | "
              f"{ndcg(scifact, queries, docs):.2f} |", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="results/static-model")
    parser.add_argument("--cache", default="/tmp/static_teacher")
    parser.add_argument("--side-by-side", action="store_true", help="score --out and --m2v; distil nothing")
    parser.add_argument("--m2v", default=M2V_FOLDER, help="model2vec's distill (made there when missing)")
    args = parser.parse_args()
    root = data_root()
    if args.side_by_side:
        side_by_side(root, Path(args.out), Path(args.m2v))
        return
    teacher = minilm.load(engine="onnx", allow_download=False)
    sources = training_texts(root)
    texts = list(dict.fromkeys(t for v in sources.values() for t in v))
    print(harness.machine())
    print("training texts:", {k: len(v) for k, v in sources.items()}, "distinct:", len(texts))
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    targets = cached_vectors(teacher, texts, cache / "train.npz")
    print(f"teacher vectors: {time.perf_counter() - t0:.1f}s")
    stsb = read_stsb(root / "stsbenchmark" / "sts-test.csv")
    sick = read_sick([root / "sick" / n for n in ("SICK_train.txt", "SICK_trial.txt", "SICK_test_annotated.txt")])
    scifact = read_beir(root / "scifact")
    held = list(dict.fromkeys(read_stsb(root / "stsbenchmark" / "sts-dev.csv").sentences1))[:1000]
    known = {t: k for k, t in enumerate(texts)}
    if all(d in known for d in scifact.doc_texts):  # the corpus is among the training texts: encoded once
        model_docs = targets[[known[d] for d in scifact.doc_texts]]
    else:
        model_docs = cached_vectors(teacher, scifact.doc_texts, cache / "scifact_docs.npz")
    model_queries = cached_vectors(teacher, scifact.query_texts, cache / "scifact_queries.npz")
    model_held = cached_vectors(teacher, held, cache / "held.npz")
    variants = {"vocabulary pass": {"fit": False, "weights": False}, "+ SIF weights": {"fit": False},
                "+ ridge fit": {}}  # fmt: skip
    print("| static model | STS-B | SICK-R | SciFact s-s | SciFact s-q / m-d | SciFact m-q / s-d | cos median | "
          "cos worst | fit s |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    fitted = None
    for name, options in variants.items():
        t0 = time.perf_counter()
        static, report = distill(teacher, texts, targets=targets, **options)
        seconds = time.perf_counter() - t0
        docs = static.encode(scifact.doc_texts)
        queries = static.encode(scifact.query_texts)
        cos = paired_cosine(static.encode(held), model_held)
        print(
            f"| {name} | {sts(static, stsb):.2f} | {sts(static, sick):.2f} | {ndcg(scifact, queries, docs):.2f} | "
            f"{ndcg(scifact, queries, model_docs):.2f} | {ndcg(scifact, model_queries, docs):.2f} | "
            f"{np.median(cos):.4f} | {cos.min():.4f} | {seconds:.0f} |",
            flush=True,
        )
        fitted = static
    print(
        f"| model (onnx) | {sts(teacher, stsb):.2f} | {sts(teacher, sick):.2f} | "
        f"{ndcg(scifact, model_queries, model_docs):.2f} | | | | | |"
    )
    assert fitted is not None
    fitted.save(args.out)
    print("saved", args.out, report)


if __name__ == "__main__":
    main()
