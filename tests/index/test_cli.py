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


def _jsonl(path: Path, rows: list[dict[str, object]]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def _listed(capsys: pytest.CaptureFixture[str], ix: Path) -> dict[str, str]:
    code, out, _ = run(capsys, "index", "list", str(ix))
    assert code == 0
    return {row["id"]: row["text"] for row in map(json.loads, out.splitlines())}


def test_files_without_ids_never_replace_each_other(tiny_dir: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from minilm.index.index import document_id

    ix = tmp_path / "ix"
    run(capsys, "index", "create", str(ix), "-m", str(tiny_dir))
    first = _jsonl(tmp_path / "a.jsonl", [{"text": "the cat sat"}, {"text": "a happy dog"}])
    second = _jsonl(tmp_path / "b.jsonl", [{"text": "hello world"}])
    nulls = _jsonl(tmp_path / "c.jsonl", [{"id": None, "text": "today is sunny"}, {"id": "1", "text": "a mat"},
                                          {"id": "", "text": "the cat sat"}])  # fmt: skip
    note = "documents had no id: each got the first 16 hex digits of its text's sha256 (see `minilm index list`)\n"
    assert run(capsys, "index", "add", str(ix), "-i", first)[2] == (
        f"2 {note}added 2, replaced 0, unchanged 0 documents (2 chunks embedded)\n")  # fmt: skip
    assert run(capsys, "index", "add", str(ix), "-i", second)[2] == (
        f"1 {note}added 1, replaced 0, unchanged 0 documents (1 chunks embedded)\n")  # fmt: skip
    assert run(capsys, "index", "add", str(ix), "-i", nulls)[2] == (
        f"2 {note}added 2, replaced 0, unchanged 1 documents (2 chunks embedded)\n")  # fmt: skip
    lines = tmp_path / "lines.txt"
    lines.write_text("a happy dog\nthe end\n")
    err = run(capsys, "index", "add", str(ix), "-i", str(lines))[2]
    assert err.endswith("added 1, replaced 0, unchanged 1 documents (1 chunks embedded)\n")
    assert run(capsys, "index", "add", str(ix), "one more")[0] == 0
    texts = ["the cat sat", "a happy dog", "hello world", "today is sunny", "the end", "one more"]
    assert _listed(capsys, ix) == {"1": "a mat", **{document_id(t): t for t in texts}}


def test_add_replaces_a_named_document_only_with_replace(built: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    changed = _jsonl(tmp_path / "new.jsonl", [{"id": "d9", "text": "new"}, {"id": "d1", "text": "other text"}])
    code, _, err = run(capsys, "index", "add", str(built), "-i", changed)
    assert (code, err) == (1, "minilm index: error: 1 of these documents are stored under the same id with another "
                              "text or other metadata (first: 'd1'); nothing was added. Pass replace=True (CLI: "
                              "--replace) to replace them, or give new ids\n")  # fmt: skip
    assert "d9" not in _listed(capsys, built)
    code, _, err = run(capsys, "index", "add", str(built), "-i", changed, "--replace")
    assert (code, err) == (0, "added 1, replaced 1, unchanged 0 documents (2 chunks embedded)\n")
    assert _listed(capsys, built)["d1"] == "other text"
    code, _, err = run(
        capsys, "index", "add", str(built), "-i", _jsonl(tmp_path / "x.jsonl", [{"id": [1], "text": "t"}])
    )
    assert (code, err) == (1, "minilm index: error: record 0: id is list [1], expected a str or int\n")


def test_numbers_and_search_kinds_are_checked(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, message in [
        (["dedup", "--index", str(built), "-t", "2"], "argument -t/--threshold: 2.0 is not a cosine similarity"),
        (["index", "list", str(built), "--limit", "-1"], "argument --limit: -1 is below 0"),
        (["search", str(built), "x", "-k", "0"], "argument -k/--top-k: 0 is below 1"),
        (["cluster", "--index", str(built), "-k", "x"], "argument -k: 'x' is not an integer"),
    ]:
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2 and message in capsys.readouterr().err
    code, _, err = run(capsys, "search", str(built), "a dog", "--search", "hnsw")
    assert (code, err.count("\n")) == (1, 1) and "search='hnsw' needs an HNSW graph" in err and "corrupt" not in err
    code, out, _ = run(capsys, "search", str(built), "a happy dog", "-k", "1", "--search", "exact")
    assert code == 0 and out.split("\t")[2] == "d1"


def test_search_escapes_control_characters_in_ids_and_texts(tiny_dir: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    forged_id = "x\n1\t0.9999\tadmin\t0:5\tforged row"
    hostile_text = "cat \x1b]0;t\x07\x1b[2J\u202e\x9b\\n"
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": forged_id, "text": hostile_text}) + "\n")
    ix = str(tmp_path / "ix")
    assert run(capsys, "index", "create", ix, "-m", str(tiny_dir))[0] == 0
    assert run(capsys, "index", "add", ix, "-i", str(docs))[0] == 0
    code, out, _ = run(capsys, "search", ix, "cat", "-k", "5")
    assert code == 0 and out.count("\n") == 1  # one hit, one row: the id's newline cannot forge another
    fields = out.rstrip("\n").split("\t")
    assert len(fields) == 5 and fields[2] == "x\\n1\\t0.9999\\tadmin\\t0:5\\tforged row"
    assert not any(c in out for c in "\x1b\x07\x9b\u202e")
    assert fields[3] == f"0:{len(hostile_text)}" and fields[4] == "cat \\x1b]0;t\\x07\\x1b[2J\\u202e\\x9b\\\\n"
    code, out, _ = run(capsys, "search", ix, "cat", "--json")
    hit = json.loads(out)
    assert (hit["id"], hit["text"]) == (forged_id, hostile_text)  # --json stays exact
