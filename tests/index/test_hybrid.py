"""Lexical (FTS5 BM25) and hybrid (reciprocal rank fusion) search: what each side finds, filters and deletions on
both sides, the lexical table kept in step with the chunks through crashes, and indexes made without it."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minilm.errors import IndexStoreError, InputError
from minilm.index import Index
from minilm.index.fusion import reciprocal_rank
from minilm.index.lexical import REINDEX_COMMAND, match_expression
from tests.conftest import ROOT
from tests.index.conftest import sentence

# Support-desk notes: every one names an error code; the query is one code alone.
NOTES = [
    "Error E4711: the disk quota of the build cache was exceeded during the nightly job",
    "Error E1002: the connection to the database timed out after thirty seconds",
    "Error E2290: the login token expired before the request finished",
    "Error E3318: the upload was refused because the file is larger than the limit",
    "Error E5120: the scheduler could not find a free worker for the queued task",
    "Error E6044: the certificate of the mirror server does not match its host name",
    "Error E7281: the configuration file holds a key that no component reads",
    "Error E8810: the backup finished but two archives failed their checksum",
    "Error E9002: the payment gateway answered with an unknown status",
    "Error E1207: the search service ran out of memory while merging segments",
]


def lexical_rows(index: Index) -> set[int]:
    return {k for (k,) in index.store.db.execute("SELECT rowid FROM lexical")}


def chunk_keys(index: Index) -> set[int]:
    return {k for (k,) in index.store.db.execute("SELECT key FROM chunks")}


def test_an_error_code_is_found_by_lexical_and_hybrid_and_missed_by_dense(real_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with Index.create(tmp_path / "ix", real_model, cache=False) as index:
        index.add(NOTES, ids=[f"n{i}" for i in range(len(NOTES))])
        dense = [h.doc_id for h in index.search("E4711", k=2)]
        lexical = index.search("E4711", k=2, mode="lexical")
        hybrid = index.search("E4711", k=2, mode="hybrid")
    assert "n0" not in dense  # the codes' vectors are too alike: the note with it ranks below two others
    assert [h.doc_id for h in lexical] == ["n0"]  # no other note holds the code
    assert hybrid[0].doc_id == "n0"
    assert (lexical[0].start, lexical[0].end, lexical[0].text) == (0, len(NOTES[0]), NOTES[0])


def test_lexical_ranks_by_bm25_and_takes_the_best_window_of_a_long_document(tiny, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    long_text = (
        " ".join(sentence(n) for n in range(60))
        + " zebra crossing here "
        + " ".join(sentence(n) for n in range(60, 120))
    )
    with Index.create(tmp_path / "ix", tiny, cache=False) as index:
        index.add(
            [long_text, "zebra zebra zebra", "a zebra and a cat", "no match at all"], ids=["long", "z3", "z1", "x"]
        )
        assert index.chunk_counts()["long"] > 2
        hits = index.search("zebra", k=10, mode="lexical")
        assert [h.doc_id for h in hits[:2]] == ["z3", "z1"]  # term frequency and length count, as BM25's do
        assert {h.doc_id for h in hits} == {"z3", "z1", "long"}
        assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
        window = next(h for h in hits if h.doc_id == "long")
        assert "zebra" in window.text and window.text == long_text[window.start : window.end]
        assert (window.start, window.end) != (0, len(long_text))
        assert index.search("the of and", k=5, mode="lexical") == []  # stopwords only: nothing to match


def test_filters_apply_to_both_sides(tiny, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    texts = [f"report {n} about apples" if n % 2 else f"report {n} about pears" for n in range(20)]
    meta = [{"team": "red" if n % 3 else "blue"} for n in range(20)]
    with Index.create(tmp_path / "ix", tiny, cache=False) as index:
        index.add(texts, ids=[f"r{n}" for n in range(20)], metadata=meta)
        blue = {f"r{n}" for n in range(20) if n % 3 == 0}
        for mode in ("lexical", "hybrid"):
            hits = index.search("apples", k=20, mode=mode, where={"team": "blue"})
            assert hits and {h.doc_id for h in hits} <= blue
            assert all(h.metadata == {"team": "blue"} for h in hits)
        apples_blue = {f"r{n}" for n in range(20) if n % 3 == 0 and n % 2}
        assert {h.doc_id for h in index.search("apples", k=20, mode="lexical", where={"team": "blue"})} == apples_blue
        assert index.search("apples", k=5, mode="lexical", where={"team": "green"}) == []


def test_deletes_and_replacements_reach_the_lexical_side(tiny, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with Index.create(tmp_path / "ix", tiny, cache=False) as index:
        index.add(["first note on walruses", "second note on otters", "third note"], ids=["a", "b", "c"])
        assert [h.doc_id for h in index.search("walruses", mode="lexical")] == ["a"]
        index.delete(["a"])
        for mode in ("lexical", "hybrid"):
            assert "a" not in {h.doc_id for h in index.search("walruses", mode=mode)}
        index.update(["now about beavers"], ids=["b"])
        assert index.search("otters", mode="lexical") == []
        assert [h.doc_id for h in index.search("beavers", mode="lexical")] == ["b"]
        assert lexical_rows(index) == chunk_keys(index)
    with Index.open(tmp_path / "ix", model=tiny) as reader:  # and the change is on disk
        assert [h.doc_id for h in reader.search("beavers", mode="lexical")] == ["b"]


def test_hybrid_fuses_both_lists_and_keeps_each_sides_window(tiny, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    texts = [sentence(n) for n in range(30)] + ["quokka sightings near the river"]
    with Index.create(tmp_path / "ix", tiny, cache=False) as index:
        index.add(texts, ids=[f"d{n}" for n in range(31)])
        query = "quokka " + sentence(3)
        dense = [h.doc_id for h in index.search(query, k=100)]
        lexical = [h.doc_id for h in index.search(query, k=100, mode="lexical")]
        expected = [doc for doc, _, _ in reciprocal_rank([dense, lexical])][:5]
        hybrid = index.search(query, k=5, mode="hybrid")
        assert [h.doc_id for h in hybrid] == expected
        by_id = dict(zip([f"d{n}" for n in range(31)], texts, strict=True))
        assert all(h.text == by_id[h.doc_id][h.start : h.end] for h in hybrid)
        assert all(a.score >= b.score for a, b in itertools.pairwise(hybrid))


def test_reciprocal_rank_by_hand() -> None:
    fused = reciprocal_rank([["a", "b", "c"], ["c", "d"]], constant=60)
    assert [item for item, _, _ in fused] == ["c", "a", "b", "d"]
    assert fused[0][1] == pytest.approx(1 / 63 + 1 / 61) and fused[0][2] == 1
    assert fused[1] == ("a", pytest.approx(1 / 61), 0)
    assert reciprocal_rank([["x"], ["y"]])[0][0] == "x"  # a tie keeps the first list's item first


def test_match_expression_keeps_words_and_identifiers() -> None:
    assert match_expression("What is the E-4711 error?") == '"E-4711" OR "error?"'
    assert match_expression('say "hi" twice twice') == '"say" OR """hi""" OR "twice"'  # quotes doubled, repeats once
    assert match_expression("the of -- ...") is None


def test_bad_modes_and_vector_queries_are_refused(index: Index) -> None:
    index.add(["some text"], ids=["a"])
    with pytest.raises(InputError, match="mode 'fuzzy' is unknown"):
        index.search("text", mode="fuzzy")  # type: ignore[call-overload]
    vector = index.model.encode("some text")
    with pytest.raises(InputError, match="needs query text"):
        index.search(vector, mode="lexical")
    assert [h.doc_id for h in index.search(vector, mode="hybrid", text="some text")] == ["a"]
    assert [h.doc_id for h in index.search(vector, mode="lexical", text="some text")] == ["a"]
    with pytest.raises(InputError, match="text= goes with one query vector"):
        index.search(["some text"], mode="hybrid", text="some text")


def drop_lexical(path: Path) -> None:
    """Make an index look like one written before the lexical side existed."""
    db = sqlite3.connect(path / "index.sqlite")
    db.executescript("DROP TRIGGER lexical_insert; DROP TRIGGER lexical_delete; DROP TABLE lexical;")
    db.close()


def test_an_index_without_the_lexical_side_says_how_to_add_it(tiny, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ix"
    with Index.create(path, tiny, cache=False) as index:
        index.add(["old note about herons", "another note"], ids=["a", "b"])
    drop_lexical(path)
    with Index.open(path, model=tiny) as reader:
        assert [h.doc_id for h in reader.search("old note about herons", k=1)] == ["a"]  # dense still works
        for mode in ("lexical", "hybrid"):
            with pytest.raises(IndexStoreError, match=f"has no lexical index.*`{REINDEX_COMMAND} {path}`"):
                reader.search("herons", mode=mode)
    with Index.open(path, model=tiny, writable=True) as writer:  # a writable open builds it from the chunks
        assert [h.doc_id for h in writer.search("herons", mode="lexical")] == ["a"]
        writer.add(["new note about herons and cranes"], ids=["c"])
        assert lexical_rows(writer) == chunk_keys(writer)
        assert writer.reindex_lexical() == 3
        assert [h.doc_id for h in writer.search("cranes", mode="lexical")] == ["c"]


CHILD = """
import sys
import minilm
from minilm.index import Index
sys.path.insert(0, {root!r})
from tests.index.conftest import sentence
model = minilm.load({model!r}, engine="numpy")
index = Index.open({path!r}, writable=True, cache=False)
index.add([f"marker{{i}} " + sentence(i) for i in range(40)], ids=[f"d{{i}}" for i in range(40)], batch=40)
print("adding", flush=True)
index.add([f"marker{{i}} " + sentence(i) * 4 for i in range(40, 20040)], ids=[f"d{{i}}" for i in range(40, 20040)],
          batch=50)
print("finished", flush=True)
"""


def test_kill_during_an_add_leaves_lexical_and_dense_in_step(tiny, tiny_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ix"
    Index.create(path, tiny, cache=False).close()
    code = CHILD.format(root=str(ROOT), model=str(tiny_dir), path=str(path))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "adding"
    with Index.open(path, model=tiny) as reader:
        deadline = time.monotonic() + 120
        while len(reader) <= 40:  # until the big add has committed a transaction of its own
            assert time.monotonic() < deadline and child.poll() is None, "the big add committed nothing"
            time.sleep(0.01)
    time.sleep(0.3)  # most likely inside a later transaction now
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    with Index.open(path, model=tiny) as index:
        ids = set(index.ids())
        assert len(ids) > 40 and (len(ids) - 40) % 50 == 0  # whole transactions only
        assert lexical_rows(index) == chunk_keys(index)  # every committed window, and nothing else
        index.store.db.execute("INSERT INTO lexical(lexical) VALUES ('integrity-check')")  # raises when corrupt
        last = max(int(d[1:]) for d in ids)
        assert [h.doc_id for h in index.search(f"marker{last}", mode="lexical")] == [f"d{last}"]
        assert index.search(f"marker{last + 1}", mode="lexical") == []


def test_cli_mode_and_reindex_lexical(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from minilm.cli.main import main

    path = tmp_path / "ix"
    assert main(["index", "create", str(path), "-m", str(tiny_dir)]) == 0
    assert main(["index", "add", str(path), "error E4711 in the cache", "a note on otters", "more about otters"]) == 0
    capsys.readouterr()
    assert main(["search", str(path), "E4711", "--mode", "lexical", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["rank"], r["text"], r["start"], r["end"]) for r in rows] == [(1, "error E4711 in the cache", 0, 24)]
    assert main(["search", str(path), "otters", "--mode", "hybrid", "-k", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all("otters" in line for line in out)
    drop_lexical(path)
    assert main(["search", str(path), "otters", "--mode", "lexical"]) == 1
    err = capsys.readouterr().err
    assert f"{REINDEX_COMMAND} {path}" in err and "Traceback" not in err
    assert main(["index", "reindex-lexical", str(path)]) == 0
    assert capsys.readouterr().err == f"indexed 3 windows for lexical search in {path}\n"
    assert main(["index", "reindex-lexical", str(path)]) == 0  # again: rebuilt, same rows
    assert capsys.readouterr().err == f"indexed 3 windows for lexical search in {path}\n"
    assert main(["search", str(path), "otters", "--mode", "lexical", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
