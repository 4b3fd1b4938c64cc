"""The index commands end to end on the tiny model: exact stdout, stderr summaries and errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm.cli.main import main

TEXTS = ["the cat sat on the mat", "a happy dog", "hello world", "the cat sat on the mat"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def built(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"id": f"d{i}", "text": t, "lang": "en" if i % 2 else "fr"}) + "\n"
                            for i, t in enumerate(TEXTS)))  # fmt: skip
    ix = tmp_path / "ix"
    assert run(capsys, "index", "create", str(ix), "-m", str(tiny_dir))[0] == 0
    code, _, err = run(capsys, "index", "add", str(ix), "-i", str(docs))
    assert (code, err) == (0, "added 4, replaced 0, unchanged 0 documents (4 chunks embedded)\n")
    return ix


def test_search_prints_ranked_hits(built: Path, tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = minilm.load(tiny_dir, engine="numpy")
    scores = model.encode(TEXTS) @ model.encode("a happy dog")
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    code, out, _ = run(capsys, "search", str(built), "a happy dog", "-k", "2", "--where", "lang=en")
    kept = [i for i in order if i % 2][:2]
    assert code == 0
    assert out == "".join(f"{r}\t{scores[i]:.4f}\td{i}\t0:{len(TEXTS[i])}\t{TEXTS[i]}\n" for r, i in enumerate(kept, 1))
    code, out, _ = run(capsys, "search", str(built), "a happy dog", "-k", "1", "--json")
    hit = json.loads(out)
    assert (hit["rank"], hit["id"], hit["start"], hit["end"], hit["text"]) == (1, "d1", 0, 11, "a happy dog")
    assert hit["metadata"] == {"lang": "en"} and hit["score"] == pytest.approx(1.0, abs=1e-5)


def test_list_stats_delete_and_errors(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "index", "list", str(built), "--limit", "2")
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {"id": "d0", "chunks": 1, "text": TEXTS[0], "metadata": {"lang": "fr"}},
        {"id": "d1", "chunks": 1, "text": TEXTS[1], "metadata": {"lang": "en"}},
    ]
    stats = json.loads(run(capsys, "index", "stats", str(built))[1])
    assert (stats["documents"], stats["chunks"], stats["storage"], stats["search"]) == (4, 4, "float32", "exact")
    assert run(capsys, "index", "delete", str(built), "d0", "nope")[2] == "deleted 1 of 2 documents\n"
    code, _, err = run(capsys, "search", str(built.parent / "missing"), "x")
    assert code == 1 and err.startswith("minilm search: error: ") and "holds no index" in err


def test_dedup_writes_groups_with_representatives(built: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out_csv = tmp_path / "dupes.csv"
    code, _, err = run(capsys, "dedup", "--index", str(built), "-t", "0.99999", "-o", str(out_csv))
    assert (code, err) == (0, "1 groups, 1 duplicates of 4 texts\n")
    rows = list(csv.DictReader(out_csv.open()))
    assert [(r["group"], r["id"], r["representative"], r["is_representative"]) for r in rows] == [
        ("0", "d0", "d0", "True"), ("0", "d3", "d0", "False")]  # fmt: skip
    code, out, _ = run(capsys, "dedup", "--index", str(built), "-t", "0.99999", "--pairs")
    assert [json.loads(line)["id_a"] + json.loads(line)["id_b"] for line in out.splitlines()] == ["d0d3"]


def test_cluster_and_paraphrases_from_a_file(tiny_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    lines = tmp_path / "texts.txt"
    lines.write_text("\n".join(TEXTS) + "\n")
    code, out, err = run(capsys, "cluster", "-i", str(lines), "-m", str(tiny_dir), "-k", "2", "--central", "1")
    clusters = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and err == "2 clusters covering 4 of 4 texts\n"
    assert sum(c["size"] for c in clusters) == 4 and all(len(c["central_ids"]) == 1 for c in clusters)
    code, out, _ = run(capsys, "mine-paraphrases", "-i", str(lines), "-m", str(tiny_dir), "--top", "1")
    assert code == 0
    assert json.loads(out) == {"id_a": "0", "id_b": "3", "similarity": 1.0, "text_a": TEXTS[0], "text_b": TEXTS[3]}
