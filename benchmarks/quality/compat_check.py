"""minilm.SentenceTransformer against the real sentence-transformers, call for call, on the same model folder.

The test suite checks the drop-in against the reference's formulas without installing it (it pulls
torch and transformers); this script runs both side by side where they are installed (benchmarks/.venv) and
prints one line per call: OK when shapes, dtypes and values agree (floats within 1e-5, integers exactly), else
DIFF with the largest difference. Quantized levels can differ by one where float rounding of ~1e-7 meets a
step boundary; the script counts those elements.

    bash benchmarks/setup.sh && benchmarks/.venv/bin/python -m benchmarks.quality.compat_check
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import workloads
from benchmarks.speed import stacks

TEXTS = ["A man is playing a guitar.", "", "Ünïcödé façade naïve", "x " * 400, "The cat sat on the mat. " * 3,
         "你好世界"]  # fmt: skip


def as_array(value: Any) -> np.ndarray:
    return np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value)


def agree(a: Any, b: Any, tol: float) -> tuple[bool, str]:
    """Whether two results agree, and what was compared."""
    if isinstance(a, list) and a and not isinstance(a[0], dict):
        pairs = [agree(x, y, tol) for x, y in zip(a, b, strict=False)]
        return len(a) == len(b) and all(ok for ok, _ in pairs), f"{len(a)} items"
    x, y = as_array(a), as_array(b)
    if x.shape != y.shape or x.dtype.kind != y.dtype.kind:
        return False, f"{x.shape} {x.dtype} vs {y.shape} {y.dtype}"
    diff = float(np.abs(x.astype(np.float64) - y.astype(np.float64)).max()) if x.size else 0.0
    return diff <= tol, f"{x.shape} {x.dtype}, max difference {diff:.3g}"


def main() -> None:
    logging.disable(logging.WARNING)  # the reference's notes on small int8 calibration sets
    from sentence_transformers import SentenceTransformer as Reference

    from minilm import SentenceTransformer as DropIn

    folder = str(stacks.model_folder())
    ref, ours = Reference(folder, device="cpu"), DropIn(folder)
    sentences = workloads.sts_sentences("test")[:500]
    calls: list[tuple[str, Callable[[Any], Any], float]] = [
        ("encode", lambda m: m.encode(TEXTS), 1e-5),
        ("encode one string", lambda m: m.encode(TEXTS[0]), 1e-5),
        ("normalize_embeddings", lambda m: m.encode(TEXTS, normalize_embeddings=True), 1e-5),
        ("truncate_dim=64", lambda m: m.encode(TEXTS, truncate_dim=64), 1e-5),
        ("prompt", lambda m: m.encode(TEXTS, prompt="query: "), 1e-5),
        ("encode_query / encode_document", lambda m: [m.encode_query(TEXTS), m.encode_document(TEXTS)], 1e-5),
        ("convert_to_tensor", lambda m: m.encode(TEXTS, convert_to_tensor=True), 1e-5),
        ("token_embeddings", lambda m: m.encode(TEXTS[:3], output_value="token_embeddings"), 1e-5),
        ("batch_size=1", lambda m: m.encode(TEXTS, batch_size=1), 1e-5),
        ("binary", lambda m: m.encode(TEXTS, precision="binary"), 0),
        ("ubinary", lambda m: m.encode(TEXTS, precision="ubinary"), 0),
        ("int8 (500 STS-B sentences)", lambda m: m.encode(sentences, precision="int8"), 1),
        ("uint8 (500 STS-B sentences)", lambda m: m.encode(sentences, precision="uint8"), 1),
        ("similarity", lambda m: m.similarity(m.encode(TEXTS), m.encode(TEXTS)), 1e-5),
        ("tokenize input_ids", lambda m: m.tokenize(TEXTS[:3])["input_ids"], 0),
        ("tokenize attention_mask", lambda m: m.tokenize(TEXTS[:3])["attention_mask"], 0),
    ]
    for name, call, tol in calls:
        ok, what = agree(call(ref), call(ours), tol)
        print(f"{'OK  ' if ok else 'DIFF'} {name}: {what}")
    for precision in ("int8", "uint8"):
        moved = as_array(ref.encode(sentences, precision=precision)).astype(int)
        moved -= as_array(ours.encode(sentences, precision=precision)).astype(int)
        print(f"     {precision}: {int((moved != 0).sum())} of {moved.size} levels one step apart")
    keys = [sorted(m.encode(TEXTS[:1], output_value=None)[0]) for m in (ref, ours)]
    print(f"{'OK  ' if keys[0] == keys[1] else 'DIFF'} output_value=None keys: {keys[0]} / {keys[1]}")
    for model in (ref, ours):
        model.max_seq_length = 16
    ok, what = agree(ref.encode(TEXTS), ours.encode(TEXTS), 1e-5)
    print(f"{'OK  ' if ok else 'DIFF'} max_seq_length=16: {what}")


if __name__ == "__main__":
    main()
