"""Readers on small files written in each benchmark's format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minilm.errors import DatasetError
from minilm.eval.datasets import load_sts, read_ag_news, read_beir, read_qrels

from .tests_eval_helpers import beir_folder, write


def test_stsb_keeps_raw_quotes(tmp_path: Path) -> None:
    write(tmp_path / "sts-test.csv",
          'main-news\tf\t2012\t0001\t2.500\tHe said "yes .\tShe said no .\n'
          "main-captions\tf\t2012\t0002\t5.000\ta cat .\ta cat .\n")  # fmt: skip
    [task] = load_sts(tmp_path)
    assert (task.name, task.split) == ("STSBenchmark", "test")
    assert task.sentences1 == ['He said "yes .', "a cat ."]
    assert task.scores.tolist() == [2.5, 5.0]
    [same] = load_sts(tmp_path / "sts-test.csv")
    assert same.sentences2 == task.sentences2


def test_stsb_bad_line_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "sts-test.csv", "a\tb\tc\td\t1.0\tx\ty\nshort\tline\n")
    with pytest.raises(DatasetError, match=r"sts-test.csv line 2: 2 TAB-separated fields"):
        load_sts(path)


def test_sick_folder_pools_every_file(tmp_path: Path) -> None:
    header = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"
    write(tmp_path / "SICK_train.txt", header + "1\tA b\tC d\t4.5\tNEUTRAL\n")
    write(tmp_path / "SICK_test_annotated.txt", header + "6\tE f\tG h\t3.3\tNEUTRAL\n7\tI\tJ\t1\tX\n", "\r\n")
    [task] = load_sts(tmp_path)
    assert (task.name, task.split) == ("SICK-R", "test")
    assert task.sentences1 == ["E f", "I", "A b"]  # files in name order, CRLF stripped
    assert task.scores.tolist() == [3.3, 1.0, 4.5]
    [single] = load_sts(tmp_path / "SICK_train.txt")
    assert (single.split, len(single.scores)) == ("SICK_train", 1)


def test_sts_year_skips_blank_gold_and_pools_subsets(tmp_path: Path) -> None:
    year = tmp_path / "STS2014-gold"
    write(year / "STS.input.news.txt", "a b\tc d\ne f\tg h\ni\tj\n")
    write(year / "STS.gs.news.txt", "4.2\n\n1\n")
    write(year / "STS.input.forum.txt", "k\tl\n")
    write(year / "STS.gs.forum.txt", "0.5\n")
    [task] = load_sts(year)
    assert (task.name, len(task.scores)) == ("STS14", 3)
    assert task.sentences1 == ["k", "a b", "i"]
    assert task.scores.tolist() == [0.5, 4.2, 1.0]


def test_sts13_leaves_out_smt_like_mteb(tmp_path: Path) -> None:
    year = tmp_path / "STS2013-gold"
    for subset in ("SMT", "headlines"):
        write(year / f"STS.input.{subset}.txt", f"{subset} one\t{subset} two\n")
        write(year / f"STS.gs.{subset}.txt", "3\n")
    [task] = load_sts(year)
    assert task.name == "STS13"
    assert task.sentences1 == ["headlines one"]


def test_sts2016_tsv_and_folder_of_years(tmp_path: Path) -> None:
    write(tmp_path / "STS2016" / "headlines.test.tsv", "\tunscored\tpair\n3\tscored\tpair\n")
    write(tmp_path / "STS2012-train" / "STS.input.x.txt", "train\tpair\n")  # not an MTEB test set: skipped
    write(tmp_path / "STS2012-train" / "STS.gs.x.txt", "1\n")
    write(tmp_path / "STS2012-gold" / "STS.input.x.txt", "gold\tpair\n")
    write(tmp_path / "STS2012-gold" / "STS.gs.x.txt", "2\n")
    tasks = load_sts(tmp_path)
    assert [(t.name, t.sentences1) for t in tasks] == [("STS12", ["gold"]), ("STS16", ["scored"])]


def test_mismatched_gold_file_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "STS.input.x.txt", "a\tb\nc\td\n")
    write(tmp_path / "STS.gs.x.txt", "1\n")
    with pytest.raises(DatasetError, match=r"has 2 lines but .* has 1"):
        load_sts(tmp_path)


def test_unknown_layout_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="is not an STS dataset"):
        load_sts(tmp_path)
    with pytest.raises(DatasetError, match="does not exist"):
        load_sts(tmp_path / "nope")


def test_beir_reader(tmp_path: Path) -> None:
    data = read_beir(beir_folder(tmp_path / "scifact"))
    assert (data.name, data.split) == ("SciFact", "test")
    assert data.doc_texts == ["Title Body one.", "Body two.", "Only title"]  # (title + " " + text).strip()
    assert data.query_ids == ["q1", "q2"]  # only queries with qrels
    assert data.qrels == {"q1": {"d1": 2, "d3": 0}, "q2": {"d2": 1}}  # grades kept, zeros too


def test_beir_errors(tmp_path: Path) -> None:
    folder = beir_folder(tmp_path / "x")
    with pytest.raises(DatasetError, match="'dev' split"):
        read_beir(folder, "dev")
    write(folder / "qrels" / "test.tsv", "query-id\tcorpus-id\tscore\nq7\td1\t1\n")
    with pytest.raises(DatasetError, match=r"1 query ids have no text .* q7"):
        read_beir(folder)
    write(folder / "qrels" / "bad.tsv", "query-id\tcorpus-id\tscore\nq1\td1\thigh\n")
    with pytest.raises(DatasetError, match="line 2: score 'high'"):
        read_qrels(folder / "qrels" / "bad.tsv")


def test_ag_news(tmp_path: Path) -> None:
    write(tmp_path / "test.csv", '"3","Fears for pension","Unions\\say ""no"" today."\n"1","World","News"\n')
    data = read_ag_news(tmp_path)
    assert data.texts == ['Fears for pension Unions say "no" today.', "World News"]
    assert data.labels.dtype == np.int64 and data.labels.tolist() == [2, 0]
    assert read_ag_news(tmp_path / "test.csv", limit=1).texts == data.texts[:1]
    write(tmp_path / "bad.csv", '"x","t"\n')
    with pytest.raises(DatasetError, match=r"bad\.csv line 1"):
        read_ag_news(tmp_path / "bad.csv")
