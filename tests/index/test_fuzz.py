"""Fuzzing Index's public methods and the index commands: whatever the arguments, only minilm's own errors
(MinilmError) escape, and the CLI answers with an exit status (argparse's usage errors: SystemExit 2)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minilm
from minilm.cli.main import main
from minilm.errors import MinilmError
from minilm.index import Index
from tests.conftest import write_tiny_model

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIM = 8  # the tiny model's

scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12)
           | st.binary(max_size=4) | st.sets(st.integers(0, 3), max_size=2) | st.dates())  # fmt: skip
keys = st.text(max_size=4) | st.integers(0, 3)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner)
                      | st.dictionaries(keys, inner, max_size=3), max_leaves=6)  # fmt: skip


def _array(shape: tuple[int, ...], fill: float, dtype: str) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):  # float16 overflows on purpose
        return np.full(shape, fill).astype(dtype)


arrays = st.builds(
    _array,
    st.sampled_from([(DIM,), (2, DIM), (3,), (1, 2, DIM), (0, DIM), ()]),
    st.floats() | st.integers(-5, 5),
    st.sampled_from(["float32", "float64", "int64", "bool", "float16"]),
)
queries = st.text(max_size=40) | st.lists(st.text(max_size=20), max_size=3) | arrays | values
searches = st.sampled_from(["exact", "hnsw", "auto", None]) | values


@pytest.fixture(scope="module")
def fuzz_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    root = tmp_path_factory.mktemp("fuzz")
    model = minilm.load(write_tiny_model(root / "tiny"), engine="numpy")
    index = Index.create(root / "ix", model, search="hnsw", cache=False)
    index.add(["the cat sat", "a happy dog", "hello world"], ids=["a", "b", "c"], metadata=[{"n": 1}, {}, {}])
    yield index
    index.close()


def _only_minilm_errors(call: Any, *args: Any, **kwargs: Any) -> None:
    with contextlib.suppress(MinilmError):
        call(*args, **kwargs)


@FUZZ
@given(query=queries, k=st.integers(-2, 20) | values, where=values, search=searches, ef=st.none() | values)
def test_search(fuzz_index: Index, query: Any, k: Any, where: Any, search: Any, ef: Any) -> None:
    _only_minilm_errors(fuzz_index.search, query, k=k, where=where, search=search, ef=ef)


@FUZZ
@given(texts=st.lists(st.text(max_size=30), max_size=3) | values, ids=st.none() | values,
       metadata=st.none() | st.lists(values, max_size=3) | values, replace=st.booleans(),
       vectors=st.none() | arrays)  # fmt: skip
def test_add(fuzz_index: Index, texts: Any, ids: Any, metadata: Any, replace: Any, vectors: Any) -> None:
    _only_minilm_errors(fuzz_index.add, texts, ids=ids, metadata=metadata, vectors=vectors, replace=replace)


@FUZZ
@given(ids=values | st.lists(st.text(max_size=4), max_size=3), limit=values, offset=values)
def test_delete_get_documents(fuzz_index: Index, ids: Any, limit: Any, offset: Any) -> None:
    _only_minilm_errors(fuzz_index.delete, ids)
    _only_minilm_errors(fuzz_index.get, ids)
    _only_minilm_errors(fuzz_index.documents, limit, offset)
    fuzz_index.add(["the cat sat"], ids=["a"], metadata=[{"n": 1}], replace=True)  # keep something to search


words = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12)
options = st.sampled_from(["-k", "--limit", "--where", "--search", "-t", "--replace", "--id-field", "--field",
                           "--format", "-i", "--json", "--pairs", "--method"])  # fmt: skip
numbers = st.integers(-3, 5).map(str) | st.floats().map(str)


COMMANDS = [["index", "add"], ["index", "update"], ["index", "delete"], ["index", "list"], ["index", "stats"],
            ["search"], ["dedup", "--index"]]  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command=st.sampled_from(COMMANDS), rest=st.lists(options | words | numbers, max_size=5))
def test_cli(fuzz_index: Index, command: list[str], rest: list[str]) -> None:
    argv = [*command, str(fuzz_index.path), *rest]
    if command[0] == "search":
        argv.insert(2, "cat")
    fuzz_index.close()  # the CLI opens the index itself
    try:
        with (
            mock.patch("sys.stdin", io.StringIO("a line from stdin\n")),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()) as err,
        ):
            code = main(argv)
        assert code in (0, 1, 2), argv
        assert "Traceback" not in err.getvalue()
    except SystemExit as exit_:  # argparse's usage errors
        assert exit_.code == 2, argv
    finally:
        _reopen(fuzz_index)


def _reopen(index: Index) -> None:
    again = Index.open(index.path, writable=True, cache=False)
    index.__dict__.update(again.__dict__)
