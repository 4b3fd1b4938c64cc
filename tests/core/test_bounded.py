"""Work and memory per text follow what the model reads, not the input: measured in subprocesses.

- One 5 MB text (truncated, the default) costs the real model's onnx engine a 2,048-character prefix: under 1 s
  of CPU and under 100 MB above the loaded model's own footprint (VmHWM, reset once the model has run).
- So does one 5-million-character "word" without spaces (ASCII or astral): WordPiece makes it one [UNK], and the
  tokenizer finds where it ends by scanning its characters rather than tokenizing it.
- Peak RSS of encoding 20,000 SciFact-length texts is within 15% of encoding 2,000. The real model would take
  ~10 minutes for 20,000 abstracts on two loaded cores, so this runs a tiny random model (hidden size 8) with the
  real vocabulary and the 256-token limit on the onnx engine (~1.5 minutes): the model's weights are negligible
  and the test measures the pipeline itself (reading texts, blocks of units, batches, ONNX Runtime's buffers,
  outputs). The texts are the same 2,000 abstracts repeated (the same str objects), so the input's own size
  does not grow with N either.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from minilm.config import BertConfig

from ..conftest import DATA, write_tiny_model

HWM = """
from pathlib import Path
def memory_mb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
def reset_peak():
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from the current RSS
"""

ONE_BIG_TEXT = (
    HWM
    + """
import json, time
import numpy as np
import minilm
model = minilm.load(engine="onnx", allow_download=False)
text = "word " * 1_000_000  # 5 MB, a million word pieces
first = model.encode(text[:10_000])  # 2,000 words: cut at 256 tokens like the 5 MB text
reset_peak()
footprint = memory_mb("VmRSS")
cpu = time.process_time()
vector = model.encode(text)
cpu = time.process_time() - cpu
peak = memory_mb("VmHWM")
_, info = model.encode_with_info([text])
print(json.dumps({"cpu": cpu, "footprint": footprint, "peak": peak, "diff": float(np.abs(vector - first).max()),
                  "count": int(info.token_counts[0]), "exact": bool(info.exact[0])}))
"""
)

LONG_WORD = (
    HWM
    + """
import json, sys, time
import minilm
model = minilm.load(engine="onnx", allow_download=False)
model.encode("warm up")
text = sys.argv[1] * int(sys.argv[2])
reset_peak()
footprint = memory_mb("VmRSS")
cpu = time.process_time()
_, info = model.encode_with_info(text)
cpu = time.process_time() - cpu
print(json.dumps({"cpu": cpu, "footprint": footprint, "peak": memory_mb("VmHWM"), "ids": model.tokenize(text),
                  "count": int(info.token_counts[0]), "exact": bool(info.exact[0])}))
"""
)

MANY_TEXTS = (
    HWM
    + """
import json, sys
import minilm
folder, corpus, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = minilm.load(folder, engine=sys.argv[4])
with open(corpus) as f:
    abstracts = [json.loads(line)["text"] for line, _ in zip(f, range(2000))]
texts = [abstracts[i % len(abstracts)] for i in range(n)]
reset_peak()
before = memory_mb("VmRSS")
vectors, info = model.encode_with_info(texts)
print(json.dumps({"before": before, "peak": memory_mb("VmHWM"), "shape": list(vectors.shape),
                  "truncated": int(info.truncated.sum())}))
"""
)


def run(script: str, *args: str) -> dict:  # type: ignore[type-arg]
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[type-arg]
    return result


@pytest.mark.integration
def test_a_5mb_text_costs_a_prefix_of_cpu_and_memory() -> None:
    got = run(ONE_BIG_TEXT)
    assert got["diff"] == 0.0  # the vector of the text's first 10,000 characters
    assert got["cpu"] < 1.0, got
    assert got["peak"] - got["footprint"] < 100, got
    assert not got["exact"] and 256 < got["count"] < 1_000  # a lower bound from the prefix read


@pytest.mark.integration
@pytest.mark.parametrize("char", ["x", "\U0001f600"])
def test_a_5_million_character_word_costs_a_scan(char: str) -> None:
    got = run(LONG_WORD, char, "5000000")
    assert got["ids"] == [[101, 100, 102]] and got["count"] == 3 and got["exact"]  # [CLS] [UNK] [SEP]
    assert got["cpu"] < 1.0, got
    assert got["peak"] - got["footprint"] < 100, got


@pytest.fixture(scope="module")
def vocab_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hidden size 8, two layers, the real vocabulary and 256-token limit."""
    from minilm.loading import load

    vocab = (load(engine="numpy", allow_download=False).folder.path / "vocab.txt").read_text()
    config = BertConfig(vocab_size=len(vocab.splitlines()), hidden_size=8, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=16, max_position_embeddings=512)  # fmt: skip
    folder = write_tiny_model(tmp_path_factory.mktemp("vocab") / "model", config, max_seq_length=256)
    (folder / "vocab.txt").write_text(vocab)
    return folder


def test_peak_memory_is_flat_in_the_number_of_texts(vocab_model: Path) -> None:
    corpus = str(DATA / "scifact" / "corpus.jsonl")
    small = run(MANY_TEXTS, str(vocab_model), corpus, "2000", "onnx")
    large = run(MANY_TEXTS, str(vocab_model), corpus, "20000", "onnx")
    assert large["shape"] == [20000, 8] and large["truncated"] > 1000  # SciFact abstracts, many over 256 tokens
    assert large["peak"] <= 1.15 * small["peak"], (small, large)
