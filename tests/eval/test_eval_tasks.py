"""STS, retrieval and clustering runs, the embedding cache, reports and the CLI, on the tiny random model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from minilm.cli.main import main
from minilm.eval import evaluate_clustering, evaluate_retrieval, evaluate_sts, load_sts, read_beir
from minilm.eval.datasets import LabelledTexts, StsPairs
from minilm.eval.embed import embed
from minilm.eval.references import parse_references
from minilm.eval.report import comparison, to_markdown
from minilm.eval.result import TaskResult

from .tests_eval_helpers import beir_folder, write

WORDS = ["the cat sat", "a dog", "happy person", "sunny day", "hello world", "today is a sunny day", "the mat",
         "cat on the mat", "a happy dog", "that person is happy"]  # fmt: skip


class Counting:
    """Wraps an encoder and counts the texts it embeds."""

    def __init__(self, model: Any) -> None:
        self.model, self.sha256, self.texts = model, model.sha256, 0

    def encode(self, texts: list[str], **kwargs: Any) -> np.ndarray:
        self.texts += len(texts)
        return self.model.encode(texts, **kwargs)

    def info(self) -> dict[str, object]:
        return self.model.info()


def test_sts_correlates_cosine_with_gold(tiny: Any) -> None:
    s1, s2 = WORDS[:5], WORDS[5:]
    vectors = tiny.encode(WORDS)
    cosine = np.sum(vectors[:5] * vectors[5:], axis=1)
    pairs = StsPairs("T", "test", s1, s2, cosine * 5, ("mem",))  # gold = cosine itself: perfect correlation
    result = evaluate_sts(tiny, pairs)
    assert result.main_score == pytest.approx(1.0)
    assert result.scores["cosine_pearson"] == pytest.approx(1.0)
    reversed_gold = StsPairs("T", "test", s1, s2, -cosine, ("mem",))
    assert evaluate_sts(tiny, reversed_gold).main_score == pytest.approx(-1.0)


def test_embedding_cache_is_reused_only_for_the_same_texts(tiny: Any, tmp_path: Path) -> None:
    model = Counting(tiny)
    first = embed(model, WORDS[:4], tmp_path)
    again = embed(model, WORDS[:4], tmp_path)
    assert model.texts == 4 and np.array_equal(first, again)
    embed(model, WORDS[:3], tmp_path)
    assert model.texts == 7
    assert np.allclose(first, tiny.encode(WORDS[:4]))


def test_retrieval_finds_the_document_equal_to_the_query(tiny: Any, tmp_path: Path) -> None:
    folder = tmp_path / "beir"
    docs = [{"_id": f"d{i}", "title": "", "text": t} for i, t in enumerate(WORDS)]
    queries = [{"_id": "q1", "text": WORDS[3]}, {"_id": "q2", "text": WORDS[7]}]
    write(folder / "corpus.jsonl", "\n".join(json.dumps(d) for d in docs) + "\n")
    write(folder / "queries.jsonl", "\n".join(json.dumps(q) for q in queries) + "\n")
    write(folder / "qrels" / "test.tsv", "query-id\tcorpus-id\tscore\nq1\td3\t1\nq2\td7\t2\nq2\td0\t1\n")
    result = evaluate_retrieval(tiny, read_beir(folder), k_values=(1, 10))
    assert result.main == "ndcg_at_10"
    assert result.scores["mrr_at_1"] == 1.0  # each query's own text is its top hit
    assert result.scores["recall_at_10"] == 1.0  # 10 documents: everything is retrieved
    assert result.size == 2 and result.details["documents"] == 10


def test_clustering_separates_obvious_groups(tiny: Any) -> None:
    texts = ["the cat sat on the mat"] * 6 + ["hello world !"] * 6
    data = LabelledTexts("toy", "test", texts, np.array([0] * 6 + [1] * 6))
    result = evaluate_clustering(tiny, data, seeds=3)
    assert result.main_score == pytest.approx(1.0)
    assert result.details["v_measure_per_seed"] == pytest.approx([1.0, 1.0, 1.0])


REFS = """# x
## 1. MTEB
| MTEB task | split | cosine_spearman (main) | cosine_pearson | note |
| --- | --- | --- | --- | --- |
| STSBenchmark | test | 0.820325 | 0.827406 | 1,379 |

| MTEB task | split | nDCG@10 (main) | MAP@10 | Recall@100 |
| --- | --- | --- | --- | --- |
| SciFact | test | 0.64508 | - | 0.92500 |
## 2. paper
| STSBenchmark | test | 0.1 |
"""


def test_references_and_comparison() -> None:
    refs = parse_references(REFS)
    assert refs == {("STSBenchmark", "test"): {"cosine_spearman": 0.820325, "cosine_pearson": 0.827406},
                    ("SciFact", "test"): {"ndcg_at_10": 0.64508, "recall_at_100": 0.925}}  # fmt: skip
    results = [
        TaskResult("STSBenchmark", "test", "sts", "cosine_spearman",
                   {"cosine_spearman": 0.8203, "cosine_pearson": 0.8}, 3, 1.0),
        TaskResult("AGNews", "test", "clustering", "v_measure", {"v_measure": 0.5}, 4, 1.0),
    ]  # fmt: skip
    rows = comparison(results, refs)
    assert [(r["metric"], round(100 * r["delta"], 4)) for r in rows] == [("cosine_spearman", -0.0025),
                                                                         ("cosine_pearson", -2.7406)]  # fmt: skip
    md = to_markdown("t", {"engine": "numpy"}, results, rows)
    assert "| STSBenchmark | test | **cosine_spearman** | 82.03 | 82.03 | -0.00 |" in md
    assert "| STSBenchmark | test | cosine_pearson | 82.74 | 80.00 | -2.74 |" in md
    assert "No published figure for: AGNews." in md


def test_cli_eval_sts_prints_and_saves(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path / "sts-test.csv", "".join(f"g\tf\ty\t{i}\t{i % 5}\t{WORDS[i]}\t{WORDS[-1 - i]}\n"
                                                     for i in range(8)))  # fmt: skip
    out = tmp_path / "out"
    code = main(["eval", "sts", str(data), "--model", str(tiny_dir), "--engine", "numpy", "-o", str(out),
                 "--references", str(write(tmp_path / "refs.md", REFS))])  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    expected = evaluate_sts(__import__("minilm").load(tiny_dir, engine="numpy"), load_sts(data)[0]).main_score
    saved = json.loads((out / "sts-sts-test-numpy.json").read_text())
    assert saved["results"][0]["scores"]["cosine_spearman"] == pytest.approx(expected)
    assert saved["comparison"][0]["published"] == 0.820325
    assert f"| STSBenchmark | test | 8 | cosine_spearman | {100 * expected:.2f} |" in captured.out
    assert (out / "sts-sts-test-numpy.md").read_text() == captured.out
    assert "wrote" in captured.err


def test_cli_eval_reports_bad_data_without_traceback(tiny_dir: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    code = main(["eval", "retrieval", str(tmp_path), "--model", str(tiny_dir), "--engine", "numpy"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("minilm eval: error: ") and "qrels/test.tsv does not exist" in err


def test_cli_eval_cluster_and_retrieval(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    news = write(tmp_path / "news" / "test.csv", "".join(f'"{1 + i % 2}","{w}","{w}"\n' for i, w in enumerate(WORDS)))
    args = ["--model", str(tiny_dir), "--engine", "numpy", "-o", str(tmp_path / "out")]
    assert main(["eval", "cluster", str(news), "--seeds", "2", *args]) == 0
    assert main(["eval", "retrieval", str(beir_folder(tmp_path / "scifact")), *args]) == 0
    out = capsys.readouterr().out
    assert "| AGNews | test | 10 | v_measure |" in out
    assert "| SciFact | test | 2 | ndcg_at_10 |" in out
    assert (tmp_path / "out" / "cluster-test-numpy.json").is_file()
