"""model2vec's own distill of all-MiniLM-L6-v2, made here with its default settings (PCA to 256 dimensions, SIF
weights 1e-4, float16), so the benchmarks can set it beside minilm's static model. potion-base-8M ships in no PyPI
package, and nothing here reaches the hub. Needs torch (the CPU wheel), transformers and skeletoken.

    .venv/bin/python -m benchmarks.static.peers --out results/m2v-minilm
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import minilm

M2V_FOLDER = "results/m2v-minilm"


def model2vec_distilled(out: str | Path = M2V_FOLDER) -> Path:
    """The folder of model2vec's distill of the packaged all-MiniLM-L6-v2, distilled on first use."""
    folder = Path(out)
    if not (folder / "model.safetensors").is_file():
        from model2vec.distill import distill

        start = time.perf_counter()
        teacher = minilm.load(engine="numpy", allow_download=False).info()["path"]  # the packaged model's folder
        distill(str(teacher), device="cpu").save_pretrained(str(folder))
        print(f"model2vec distill: {time.perf_counter() - start:.0f}s -> {folder}", flush=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=M2V_FOLDER)
    print(model2vec_distilled(parser.parse_args().out))


if __name__ == "__main__":
    main()
