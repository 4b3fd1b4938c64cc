"""Readers for the benchmark files (where each is expected: minilm.eval.locations): STS, BEIR, AG News.

Each reader returns plain data (texts, scores, ids) and fails with a DatasetError that names the file, the line
and what was expected. Text is passed to the model as it is in the files (no lowercasing, no unescaping), except
where a step is named below because the MTEB task does it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minilm.errors import DatasetError
from minilm.io.readers import json_lines


@dataclass(frozen=True)
class StsPairs:
    """Sentence pairs with gold similarity scores: one STS task (MTEB pools all of a year's subsets)."""

    name: str  # the MTEB task name where the data is that task
    split: str
    sentences1: list[str]
    sentences2: list[str]
    scores: np.ndarray  # (N,) float64, gold similarity (0..5 or 1..5)
    sources: tuple[str, ...]  # the files read


@dataclass(frozen=True)
class BeirDataset:
    """A BEIR retrieval split: corpus (ids and texts), the queries that have qrels, and the graded qrels."""

    name: str
    split: str
    doc_ids: list[str]
    doc_texts: list[str]  # title + " " + text, stripped (MTEB's DRESModel.encode_corpus)
    query_ids: list[str]
    query_texts: list[str]
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: relevance grade}


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with integer class labels (clustering ground truth)."""

    name: str
    split: str
    texts: list[str]
    labels: np.ndarray  # (N,) int64


def _lines(path: Path) -> list[str]:
    """Lines of a UTF-8 text file without line endings (LF or CRLF); a leading BOM is dropped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DatasetError(f"{path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not UTF-8 ({exc})") from None
    return text.splitlines()


def _score(text: str, path: Path, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise DatasetError(f"{path} line {line}: score {text!r} is not a number") from None


# -- STS ---------------------------------------------------------------------------------------------------------
def read_stsb(path: Path) -> StsPairs:
    """STS Benchmark csv: no header, TAB-separated `genre file year id score sentence1 sentence2`.

    Sentences hold raw `"` characters, so lines are split on TAB without CSV quoting.
    """
    s1, s2, scores = [], [], []
    for n, line in enumerate(_lines(path), 1):
        fields = line.split("\t")
        if len(fields) < 7:
            raise DatasetError(f"{path} line {n}: {len(fields)} TAB-separated fields, expected 7 (STS-B format)")
        scores.append(_score(fields[4], path, n))
        s1.append(fields[5])
        s2.append(fields[6])
    split = path.stem.removeprefix("sts-")
    return StsPairs("STSBenchmark", split, s1, s2, np.array(scores), (str(path),))


def read_sick(paths: list[Path], name: str = "SICK-R", split: str = "test") -> StsPairs:
    """SICK files (header `pair_ID sentence_A sentence_B relatedness_score entailment_judgment`), concatenated.

    MTEB's SICK-R test split is all 9,927 pairs: SICK_train + SICK_trial + SICK_test_annotated.
    """
    s1, s2, scores = [], [], []
    for path in paths:
        lines = _lines(path)
        header = lines[0].split("\t") if lines else []
        if header[:4] != ["pair_ID", "sentence_A", "sentence_B", "relatedness_score"]:
            raise DatasetError(f"{path}: header {header[:4]} is not SICK's (pair_ID, sentence_A, sentence_B, ...)")
        for n, line in enumerate(lines[1:], 2):
            fields = line.split("\t")
            if len(fields) < 4:
                raise DatasetError(f"{path} line {n}: {len(fields)} TAB-separated fields, expected 5 (SICK format)")
            s1.append(fields[1])
            s2.append(fields[2])
            scores.append(_score(fields[3], path, n))
    return StsPairs(name, split, s1, s2, np.array(scores), tuple(str(p) for p in paths))


def read_sts_input_gs(input_path: Path) -> tuple[list[str], list[str], list[float]]:
    """One SemEval subset: STS.input.X.txt (`sentence1 TAB sentence2`) and the matching STS.gs.X.txt.

    Pairs whose gold line is blank were not scored by the organizers and are left out.
    """
    gs_path = input_path.with_name(input_path.name.replace("STS.input.", "STS.gs.", 1))
    inputs, golds = _lines(input_path), _lines(gs_path)
    if len(inputs) != len(golds):
        raise DatasetError(f"{input_path} has {len(inputs)} lines but {gs_path} has {len(golds)}; expected equal")
    s1, s2, scores = [], [], []
    for n, (pair, gold) in enumerate(zip(inputs, golds, strict=True), 1):
        if not gold.strip():
            continue
        fields = pair.split("\t")
        if len(fields) < 2:
            raise DatasetError(f"{input_path} line {n}: no TAB between the two sentences")
        s1.append(fields[0])
        s2.append(fields[1])
        scores.append(_score(gold.strip(), gs_path, n))
    return s1, s2, scores


def read_sts2016_tsv(path: Path) -> tuple[list[str], list[str], list[float]]:
    """One STS2016 file as pasted by brmson/dataset-sts: `score TAB sentence1 TAB sentence2`; blank score: unscored."""
    s1, s2, scores = [], [], []
    for n, line in enumerate(_lines(path), 1):
        fields = line.split("\t")
        if len(fields) < 3:
            raise DatasetError(f"{path} line {n}: {len(fields)} TAB-separated fields, expected 3 (score, s1, s2)")
        if not fields[0].strip():
            continue
        scores.append(_score(fields[0].strip(), path, n))
        s1.append(fields[1])
        s2.append(fields[2])
    return s1, s2, scores


# MTEB STS13 leaves out the SMT subset (distributed under LDC terms), as SentEval does.
STS_EXCLUDED = {"STS13": ("SMT",)}


def read_sts_year(folder: Path, name: str) -> StsPairs:
    """All scored pairs of one SemEval year, pooled (MTEB reports one correlation over the pooled pairs)."""
    s1: list[str] = []
    s2: list[str] = []
    scores: list[float] = []
    sources = []
    tsvs = sorted(folder.glob("*.test.tsv"))
    inputs = sorted(folder.glob("STS.input.*.txt"))
    excluded = STS_EXCLUDED.get(name, ())
    for path in tsvs or inputs:
        subset = path.name.removeprefix("STS.input.").removesuffix(".txt")
        if subset in excluded:
            continue
        a, b, g = read_sts2016_tsv(path) if tsvs else read_sts_input_gs(path)
        s1 += a
        s2 += b
        scores += g
        sources.append(str(path))
    if not sources:
        raise DatasetError(f"{folder} holds no STS.input.*.txt or *.test.tsv files")
    return StsPairs(name, "test", s1, s2, np.array(scores), tuple(sources))


def _year_name(folder: Path) -> str:
    """STS2012-gold -> STS12; STS2016 -> STS16."""
    digits = folder.name[3:7]
    return f"STS{digits[2:]}" if digits.isdigit() else folder.name


def load_sts(path: Path, split: str = "test") -> list[StsPairs]:
    """Every STS task found at `path`, by layout.

    - an STS-B csv file, or a folder holding sts-{split}.csv: STSBenchmark;
    - a SICK_*.txt file, or a folder of them: SICK-R (all files pooled, as MTEB does);
    - a SemEval year folder (STS.input.*.txt / *.test.tsv): that year pooled (STS12 ... STS16);
    - a folder of year folders (sts12-16/): each *-gold year and STS2016, in order.
    """
    path = Path(path)
    if path.is_file():
        if path.name.startswith("SICK"):
            return [read_sick([path], name="SICK-R", split=path.stem)]
        return [read_stsb(path)]
    if not path.is_dir():
        raise DatasetError(f"{path} does not exist")
    if (path / f"sts-{split}.csv").is_file():
        return [read_stsb(path / f"sts-{split}.csv")]
    sick = sorted(path.glob("SICK_*.txt"))
    if sick:
        return [read_sick(sick)]
    if any(path.glob("STS.input.*.txt")) or any(path.glob("*.test.tsv")):
        return [read_sts_year(path, _year_name(path))]
    years = sorted(p for p in path.iterdir() if p.is_dir() and (p.name.endswith("-gold") or p.name == "STS2016"))
    if years:
        return [read_sts_year(p, _year_name(p)) for p in years]
    raise DatasetError(
        f"{path} is not an STS dataset: expected sts-{split}.csv, SICK_*.txt, STS.input.*.txt, *.test.tsv "
        "or STS20xx-gold folders"
    )


# -- BEIR ----------------------------------------------------------------------------------------------------
def _beir_rows(path: Path) -> Iterator[dict]:
    for where, row in json_lines(path, error=DatasetError):
        if "_id" not in row:
            raise DatasetError(f"{where}: expected an object with an '_id' field")
        yield row


# BEIR folder name -> MTEB task name
BEIR_NAMES = {"scifact": "SciFact", "nfcorpus": "NFCorpus", "arguana": "ArguAna", "fiqa": "FiQA2018",
              "scidocs": "SCIDOCS", "trec-covid": "TRECCOVID", "quora": "QuoraRetrieval"}  # fmt: skip


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """BEIR qrels tsv: header `query-id corpus-id score`, then one graded judgment a line (grades kept, 0 too)."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL)
        next(rows, None)
        for n, row in enumerate(rows, 2):
            if len(row) < 3:
                raise DatasetError(f"{path} line {n}: {len(row)} fields, expected query-id, corpus-id, score")
            try:
                grade = int(row[2])
            except ValueError:
                raise DatasetError(f"{path} line {n}: score {row[2]!r} is not an integer") from None
            qrels.setdefault(row[0], {})[row[1]] = grade
    return qrels


def read_beir(folder: Path, split: str = "test") -> BeirDataset:
    """A BEIR folder: corpus.jsonl, queries.jsonl, qrels/{split}.tsv.

    Documents become `(title + " " + text).strip()`, as MTEB's DRESModel.encode_corpus builds them; only the
    queries with qrels in the split are kept (BEIR's GenericDataLoader does the same).
    """
    folder = Path(folder)
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise DatasetError(f"{qrels_path} does not exist; is {folder} a BEIR folder with a {split!r} split?")
    qrels = read_qrels(qrels_path)
    doc_ids, doc_texts = [], []
    for row in _beir_rows(folder / "corpus.jsonl"):
        doc_ids.append(str(row["_id"]))
        doc_texts.append((str(row.get("title") or "") + " " + str(row.get("text") or "")).strip())
    queries = {str(row["_id"]): str(row.get("text", "")) for row in _beir_rows(folder / "queries.jsonl")}
    missing = [q for q in qrels if q not in queries]
    if missing:
        raise DatasetError(f"{qrels_path}: {len(missing)} query ids have no text in queries.jsonl (first {missing[0]})")
    query_ids = [q for q in queries if q in qrels]
    return BeirDataset(
        name=BEIR_NAMES.get(folder.name.lower(), folder.name),
        split=split,
        doc_ids=doc_ids,
        doc_texts=doc_texts,
        query_ids=query_ids,
        query_texts=[queries[q] for q in query_ids],
        qrels=qrels,
    )


# -- AG News -------------------------------------------------------------------------------------------------
def read_ag_news(path: Path, limit: int | None = None) -> LabelledTexts:
    """AG News csv (no header): `class(1-4), title, description`, double-quoted.

    Text is `title + " " + description`; a backslash in the release stands for a line break and becomes a space.
    Labels are 0..3 (the file's 1..4 minus one). `limit` keeps the first rows only.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "test.csv"
    texts: list[str] = []
    labels: list[int] = []
    try:
        with open(path, encoding="utf-8", newline="") as f:
            for n, row in enumerate(csv.reader(f), 1):
                if limit is not None and len(texts) >= limit:
                    break
                if len(row) != 3 or not row[0].isdigit():
                    raise DatasetError(f"{path} line {n}: expected class(1-4), title, description")
                labels.append(int(row[0]) - 1)
                texts.append(f"{row[1]} {row[2]}".replace("\\", " ").strip())
    except FileNotFoundError:
        raise DatasetError(f"{path} does not exist") from None
    return LabelledTexts("AGNews", path.stem, texts, np.array(labels, dtype=np.int64))
