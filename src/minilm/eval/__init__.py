"""Evaluation on the benchmarks MTEB publishes for all-MiniLM-L6-v2: STS, BEIR retrieval, clustering.

import minilm
from minilm.eval import evaluate_sts, load_sts
model = minilm.load(engine="numpy")
[result] = [evaluate_sts(model, task) for task in load_sts("../shared/data/stsbenchmark")]
result.main_score  # 0.8203 (cosine Spearman)

Readers are in datasets, scores in metrics (their definitions cited there), one module per task type, and
report writes Markdown + JSON with the comparison to the published figures (references).
"""

from minilm.eval.clustering import evaluate_clustering
from minilm.eval.datasets import BeirDataset, LabelledTexts, StsPairs, load_sts, read_ag_news, read_beir
from minilm.eval.result import TaskResult
from minilm.eval.retrieval import evaluate_retrieval
from minilm.eval.sts import evaluate_sts
from minilm.eval.suite import default_data_dir, run_suite

__all__ = [
    "BeirDataset",
    "LabelledTexts",
    "StsPairs",
    "TaskResult",
    "default_data_dir",
    "evaluate_clustering",
    "evaluate_retrieval",
    "evaluate_sts",
    "load_sts",
    "read_ag_news",
    "read_beir",
    "run_suite",
]
