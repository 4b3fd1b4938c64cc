"""What shortened vectors cost: STS-B test Spearman of the first N components, re-normalized, for each N.

This is what the server returns for OpenAI's `dimensions=N` (and TEI's `dimensions`): all-MiniLM-L6-v2 was not
trained with a Matryoshka loss, so the prefix of a vector is not an embedding by design; this measures how much
it loses. The sentences are embedded once (the full 384 components) and each N is scored by minilm.eval's STS
task on the cut, re-normalized vectors.

    .venv/bin/python -m benchmarks.quality.shortened --data ../shared/data/stsbenchmark --dims 384,256,128,64
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import minilm
from benchmarks import harness
from minilm.eval import evaluate_sts, load_sts
from minilm.pooling import unit_rows


class Shortened:
    """An encoder whose vectors are the first `dims` components of the full ones, scaled to unit length."""

    def __init__(self, vectors: dict[str, np.ndarray], dims: int, sha256: str):
        self.vectors, self.dims, self.sha256 = vectors, dims, sha256

    def encode(self, texts: list[str], batch_size: int = 32, show_progress: bool | None = None) -> np.ndarray:
        full = np.stack([self.vectors[t] for t in texts])  # (N, 384)
        return unit_rows(full[:, : self.dims]).astype(np.float32)  # (N, dims)

    def info(self) -> dict[str, object]:
        return {"dims": self.dims}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/stsbenchmark"))
    parser.add_argument("--dims", default="384,256,128,64")
    parser.add_argument("--engine", default="auto")
    args = parser.parse_args()

    model = minilm.load(engine=args.engine)
    (pairs,) = load_sts(args.data, "test")
    unique = list(dict.fromkeys(pairs.sentences1 + pairs.sentences2))
    vectors = dict(zip(unique, model.encode(unique), strict=True))
    print(harness.machine())
    print(f"{pairs.name} {pairs.split}: {len(pairs.scores)} pairs, {len(unique)} sentences, engine {model.engine.name}")
    full = None
    print(f"{'dims':>5} {'spearman':>9} {'pearson':>8} {'vs 384':>8}")
    for dims in (int(d) for d in args.dims.split(",")):
        scores = evaluate_sts(Shortened(vectors, dims, model.sha256), pairs).scores
        full = scores["cosine_spearman"] if full is None else full
        print(f"{dims:>5} {scores['cosine_spearman']:>9.4f} {scores['cosine_pearson']:>8.4f} "
              f"{scores['cosine_spearman'] - full:>+8.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
