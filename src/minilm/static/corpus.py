"""The local texts a static model is fitted on, from the data root (../shared/data): training splits only.

STS-B train sentences, MSRP train sentences, SciFact corpus titles and abstracts (the corpus, never its queries
or qrels). SICK is left out: MTEB's SICK-R test is all of SICK, train included. AG News is left out: only its test
split is here.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from minilm.errors import DatasetError
from minilm.eval.datasets import read_stsb
from minilm.eval.locations import data_root


def training_texts(root: str | os.PathLike[str] | None = None) -> dict[str, list[str]]:
    """Distinct texts per source, in file order."""
    base = data_root(root)
    wanted = {"stsb": base / "stsbenchmark" / "sts-train.csv", "msrp": base / "msrp" / "msr-para-train.tsv",
              "scifact": base / "scifact" / "corpus.jsonl"}  # fmt: skip
    missing = [str(p) for p in wanted.values() if not p.is_file()]
    if missing:
        raise DatasetError(f"training texts not found: {', '.join(missing)} (data root {base}; pass --data DIR)")
    stsb = read_stsb(wanted["stsb"])
    with wanted["msrp"].open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    msrp = [text for row in rows if len(row) == 5 for text in row[3:5]]
    titles, abstracts = [], []
    for line in Path(wanted["scifact"]).read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            titles.append(doc.get("title", "").strip())
            abstracts.append((doc.get("title", "") + " " + doc.get("text", "")).strip())
    sources = {"STS-B train": stsb.sentences1 + stsb.sentences2, "MSRP train": msrp,
               "SciFact corpus titles": titles, "SciFact corpus abstracts": abstracts}  # fmt: skip
    return {name: list(dict.fromkeys(t for t in texts if t)) for name, texts in sources.items()}
