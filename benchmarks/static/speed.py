"""How fast is the static model against the onnx and onnx-int8 engines (one run, alternating rounds): sentences/s
on 2,000 STS-B test sentences, docs/s on 300 SciFact abstracts, single-query p50 latency; model2vec's StaticModel
on the same folder and model2vec's own distill of the model (benchmarks/static/peers.py, 256 dimensions, float16)
beside them.

    .venv/bin/python -m benchmarks.static.speed --static results/static-model --rounds 3
    .venv/bin/python -m benchmarks.static.speed --random-table --before 1f6307c --m2v ''   # no distill needed

--random-table times a random table of the real shape with the packaged model's tokenizer (speed does not depend
on the values); --before REV adds the static inference of git revision REV (its model.py) on the same folder.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

import minilm
from benchmarks import harness, workloads
from benchmarks.static.peers import M2V_FOLDER, model2vec_distilled
from minilm.static.model import MAX_LENGTH, MODEL_TYPE, StaticModel, plain_tokenizer


def p50_ms(model: Any, queries: list[str]) -> float:
    times = []
    for q in queries:
        start = time.perf_counter()
        model.encode([q])
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def random_folder(out: Path) -> Path:
    """A static folder with a random (V, 384) table and the packaged model's tokenizer, as distill writes it."""
    backend = plain_tokenizer(minilm.load(engine="numpy", allow_download=False).tokenizer.backend)
    table = np.random.default_rng(0).standard_normal((backend.get_vocab_size(), 384)).astype(np.float32)  # (V, D)
    config = {"model_type": MODEL_TYPE, "architectures": ["StaticModel"], "hidden_dim": 384, "normalize": True,
              "max_length": MAX_LENGTH, "minilm_name": "static-random"}  # fmt: skip
    return StaticModel("static-random", Path(""), table, backend, config).save(out)


def static_at(rev: str, folder: str) -> Any:
    """The StaticModel of git revision `rev` (its src/minilm/static/model.py, run against today's package)."""
    source = subprocess.run(["git", "show", f"{rev}:src/minilm/static/model.py"], check=True, capture_output=True,
                            text=True).stdout  # fmt: skip
    module = types.ModuleType(f"static_model_{rev}")
    exec(compile(source, f"{rev}:src/minilm/static/model.py", "exec"), module.__dict__)
    return module.StaticModel.from_folder(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--static", default="results/static-model")
    parser.add_argument("--random-table", action="store_true", help="time a random table instead of --static")
    parser.add_argument("--before", metavar="REV", help="also the static inference of this git revision")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--m2v", default=M2V_FOLDER, help="model2vec's distill (made there when missing; '': none)")
    args = parser.parse_args()
    from model2vec import StaticModel as Model2VecStatic

    folder = str(random_folder(Path(tempfile.mkdtemp()) / "static")) if args.random_table else args.static
    short = workloads.sts_sentences("test")[:2000]
    long = workloads.scifact_abstracts()[:300]
    models: dict[str, Any] = {"static (minilm)": minilm.load(folder)}
    if args.before:
        models[f"static (minilm at {args.before})"] = static_at(args.before, folder)
    models["static (model2vec StaticModel)"] = Model2VecStatic.from_pretrained(folder)
    if args.m2v:
        models["model2vec distill (StaticModel)"] = Model2VecStatic.from_pretrained(str(model2vec_distilled(args.m2v)))
    models["onnx"] = minilm.load(engine="onnx", allow_download=False)
    models["onnx-int8"] = minilm.load(engine="onnx-int8", allow_download=False)
    for m in models.values():
        m.encode(short[:64])
    runs = {(name, work): (lambda m=m, t=texts: m.encode(t))
            for name, m in models.items() for work, texts in (("short", short), ("long", long))}  # fmt: skip
    seconds = harness.medians(harness.time_rounds(runs, args.rounds))
    print(harness.machine(), "(other jobs ran on the machine)", "random table" if args.random_table else folder)
    print("| model | STS-B sentences/s | SciFact docs/s | single query p50 ms | x onnx short | x onnx long |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, m in models.items():
        s, d = len(short) / seconds[(name, "short")], len(long) / seconds[(name, "long")]
        s0, d0 = len(short) / seconds[("onnx", "short")], len(long) / seconds[("onnx", "long")]
        print(f"| {name} | {s:,.0f} | {d:,.1f} | {p50_ms(m, short[:200]):.3f} | {s / s0:.1f} | {d / d0:.1f} |")


if __name__ == "__main__":
    main()
