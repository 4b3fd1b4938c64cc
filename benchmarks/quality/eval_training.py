"""Figures for the training demonstrations: STS-B test Spearman, SciFact test nDCG@10, encoding speed.

    python -m benchmarks.quality.eval_training MODEL [MODEL ...] [--scifact] [--speed]

MODEL is a folder (or omitted name: all-MiniLM-L6-v2). Vectors come from the torch model at the folder's own
inference length (256), which tests hold within 1e-5 of minilm's numpy engine. STS-B: Spearman x 100 of cosine
on the 1,379 test pairs. SciFact: nDCG@10 x 100 on the 300 test queries, with minilm.eval's reader and metric
(docs as title + " " + text; graded gains, log2 discount, as MTEB/pytrec_eval). --speed: sentences/s of
minilm.load(MODEL) (numpy engine) on 2,000 STS-B sentences, the models measured alternately, 3 rounds each,
median reported.
"""

from __future__ import annotations

import argparse
import json

import minilm
from benchmarks import harness, workloads
from minilm.checkpoint import resolve
from minilm.eval.datasets import read_beir
from minilm.eval.metrics import retrieval_scores
from minilm.eval.retrieval import top_k
from minilm.train.model import SentenceModel
from minilm.train.sts import read_sts_benchmark

DATA = workloads.DATA


def scifact(model: SentenceModel) -> float:
    """nDCG@10 x 100 of the model on SciFact's test split, by minilm.eval's reader, exact top-k and metric."""
    data = read_beir(DATA / "scifact")
    doc_vectors = model.encode(data.doc_texts, batch_size=32)
    query_vectors = model.encode(data.query_texts)
    idx, val = top_k(query_vectors, doc_vectors, 10)
    run = {qid: {data.doc_ids[j]: float(v) for j, v in zip(idx[r], val[r], strict=True)}
           for r, qid in enumerate(data.query_ids)}  # fmt: skip
    return 100 * retrieval_scores(data.qrels, run, [10])[0]["ndcg_at_10"]


def speed(paths: list[str]) -> dict[str, float]:
    sts = read_sts_benchmark(DATA / "stsbenchmark/sts-test.csv")
    texts = list(dict.fromkeys(sts.first + sts.second))[:2000]
    encoders = {p: minilm.load(resolve(p).path, engine="numpy") for p in paths}
    runs = {p: (lambda e=encoder: e.encode(texts, batch_size=32)) for p, encoder in encoders.items()}
    return {p: len(texts) / t for p, t in harness.medians(harness.time_rounds(runs, 3)).items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*", default=[None])
    parser.add_argument("--scifact", action="store_true")
    parser.add_argument("--speed", action="store_true")
    args = parser.parse_args()
    sts = read_sts_benchmark(DATA / "stsbenchmark/sts-test.csv")
    names = [m or None for m in args.models]  # "" stands for the default model
    for name in names:
        model = SentenceModel.from_folder(resolve(name).path, max_seq_length=None)
        figures = {"model": name or "all-MiniLM-L6-v2", "layers": model.bert.config.num_hidden_layers,
                   "stsb_test_spearman": round(sts.spearman(model.encode), 2)}  # fmt: skip
        if args.scifact:
            figures["scifact_test_ndcg10"] = round(scifact(model), 2)
        print(json.dumps(figures), flush=True)
    if args.speed:
        print(json.dumps({"machine": harness.machine()}), flush=True)
        rates = speed([m or "sentence-transformers/all-MiniLM-L6-v2" for m in names])
        print(json.dumps({"sentences_per_s_numpy_engine": {k: round(v, 1) for k, v in rates.items()}}), flush=True)


if __name__ == "__main__":
    main()
