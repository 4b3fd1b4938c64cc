"""Batch cuts: batching.plan by cost (cut where padding costs more than another engine call) vs fewest calls.

"fewest calls" is plan with a prohibitive run cost (1,000,000 padded tokens per call): the sorted texts cut into
as few batches as batch_size and the token budget allow, whatever the lengths (what fixed runs of batch_size
rows did before). Both are Encoder settings (run_cost) on the same engine, run through Encoder.encode on the
same texts, alternating round by round: 1,024 STS-B test sentences, 128 SciFact abstracts, and 50 requests of
20 sentences drawn at random (the server's situation: few texts of mixed lengths per call). Prints the median
texts/s of each and their ratio.

    .venv/bin/python -m benchmarks.speed.batch_cuts [--engine onnx] [--rounds 4]
"""

from __future__ import annotations

import argparse

import numpy as np

import minilm
from benchmarks import harness, workloads
from minilm.batching import RUN_COST_TOKENS
from minilm.encoder import Encoder

FEWEST_CALLS = 1_000_000  # a run cost no padding outweighs


def with_run_cost(model: Encoder, run_cost: int) -> Encoder:
    """The same loaded model (engine, tokenizer) with another run cost for batching.plan."""
    return Encoder(model.name, model.folder, model.tokenizer, model.engine, model.sha256, model.source,
                   max_tokens=model.max_tokens, run_cost=run_cost)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="onnx")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    loaded = minilm.load(engine=args.engine, allow_download=False)
    models = {"fewest calls": with_run_cost(loaded, FEWEST_CALLS), "by cost": with_run_cost(loaded, RUN_COST_TOKENS)}
    sentences, abstracts = workloads.sts_sentences("test")[:1024], workloads.scifact_abstracts()[:128]
    rng = np.random.default_rng(0)
    requests = [[sentences[i] for i in rng.choice(len(sentences), 20, replace=False)] for _ in range(50)]
    loaded.encode(sentences[:64])  # warm-up

    def rate(model: Encoder, texts_per_call: list[list[str]]) -> float:
        seconds = harness.timed(lambda: [model.encode(texts) for texts in texts_per_call])
        return sum(len(t) for t in texts_per_call) / seconds

    workloads_ = {"STS-B sentences/s": [sentences], "SciFact docs/s": [abstracts],
                  "20-sentence requests, sentences/s": requests}  # fmt: skip
    runs = {(w, c): (lambda m=models[c], t=t: rate(m, t)) for c in models for w, t in workloads_.items()}
    rates = harness.medians(harness.alternate(runs, args.rounds))
    print(harness.machine())
    print(f"engine {args.engine}, {args.rounds} alternating rounds, median")
    for work in workloads_:
        fewest, cost = (rates[(work, c)] for c in models)
        print(f"  {work}: fewest calls {fewest:.1f}, by cost {cost:.1f} ({cost / fewest:.2f}x)")


if __name__ == "__main__":
    main()
