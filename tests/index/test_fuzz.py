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


# -- metadata filters with hostile keys ------------------------------------------------------------------------
HOSTILE = ['"', "\\", "a.b", "$", "\x00", "\ud800", "é", 'a"b', "[0]", "*", "'", "\n", "\x7f", "😀", "a\\u00e9"]
filter_keys = st.text(st.characters(blacklist_categories=()), max_size=6) | st.sampled_from(HOSTILE)
filter_values = st.integers(-3, 3) | st.booleans() | st.sampled_from(["x", "y", "1", '{"a": 1}']) | st.floats(-2, 2)
STORED_KEYS = [k for k in HOSTILE if k not in ("\x00", "\ud800")] + ["plain"]


@pytest.fixture(scope="module")
def filter_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Index, list[dict[str, Any]]]]:
    """Documents whose metadata use every hostile key, with values a filter can and cannot match."""
    root = tmp_path_factory.mktemp("filters")
    model = minilm.load(write_tiny_model(root / "tiny"), engine="numpy")
    rng = np.random.default_rng(0)
    choices: list[Any] = [0, 1, True, False, "x", "y", "1", 1.5, {"a": 1}, [1], None]
    metas = [{k: choices[int(rng.integers(len(choices)))] for k in STORED_KEYS if rng.random() < 0.7}
             for _ in range(40)]  # fmt: skip
    index = Index.create(root / "ix", model, search="exact", cache=False)
    index.add([f"doc {n}" for n in range(40)], ids=[f"d{n}" for n in range(40)], metadata=metas,
              vectors=rng.standard_normal((40, DIM)))  # fmt: skip
    yield index, metas
    index.close()


def _matches(meta: dict[str, Any], where: dict[str, Any]) -> bool:
    """The filter's meaning: each field holds a scalar equal to the value (a str only equals a str)."""
    for key, value in where.items():
        held = meta.get(key)
        if held is None or isinstance(held, list | dict) or isinstance(held, str) != isinstance(value, str):
            return False
        if held != value:
            return False
    return True


@FUZZ
@given(where=st.dictionaries(filter_keys, filter_values, max_size=4))
def test_filters_with_hostile_keys_match_exactly_or_are_refused(filter_index: Any, where: dict[str, Any]) -> None:
    index, metas = filter_index
    try:
        hits = index.search(np.ones(DIM), k=40, where=where, search="exact")
    except minilm.InputError as exc:
        assert any("\x00" in k or any(0xD800 <= ord(c) < 0xE000 for c in k) or not k for k in where), exc
        return
    expected = {f"d{n}" for n, meta in enumerate(metas) if _matches(meta, where)}
    assert {h.doc_id for h in hits} == expected, where


@FUZZ
@given(n=st.integers(0, 700), key=filter_keys)
def test_filters_of_any_size_give_an_answer_or_an_input_error(filter_index: Any, n: int, key: str) -> None:
    index, _ = filter_index
    where = {f"{key}{i}": i for i in range(n)}
    try:
        index.search(np.ones(DIM), k=3, where=where)
    except minilm.InputError as exc:
        assert n > 64 or "\x00" in key or any(0xD800 <= ord(c) < 0xE000 for c in key), exc
