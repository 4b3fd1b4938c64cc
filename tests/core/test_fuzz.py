"""Fuzzing the encoder's public functions and the encode / info commands: whatever the arguments, only minilm's
own errors (MinilmError) escape, and the CLI answers with an exit status. A call that succeeds must return what
its contract says (shapes, dtypes, finite values), so a silent garbage answer fails too."""

from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minilm
from minilm.cli.main import main
from minilm.errors import MinilmError
from tests.conftest import write_tiny_model

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIM = 8  # the tiny model's

scalars = (st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=30)
           | st.binary(max_size=4) | st.sets(st.text(max_size=3), max_size=2))  # fmt: skip
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                      max_size=2) | st.tuples(inner), max_leaves=5)  # fmt: skip
texts = st.text(max_size=60) | st.lists(st.text(max_size=40), max_size=4) | values
options = st.fixed_dictionaries(
    {},
    optional={
        "batch_size": st.integers(-2, 5) | values,
        "normalize": st.sampled_from([None, True, False]) | values,
        "output": st.sampled_from(["sentence", "token"]) | values,
        "precision": st.sampled_from(["float32", "int8", "uint8", "binary", "ubinary"]) | values,
        "on_long": st.sampled_from(["truncate", "warn", "error", "chunk"]) | values,
        "chunk_overlap": st.integers(-3, 20) | values,
        "ranges": st.builds(np.full, st.sampled_from([(2, DIM), (DIM,), (2, 3)]), st.floats()) | values,
    },
)


@pytest.fixture(scope="module")
def fuzz_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[minilm.Encoder]:
    yield minilm.load(write_tiny_model(tmp_path_factory.mktemp("fuzz") / "tiny"), engine="numpy")


def _check_vectors(out: Any, single: bool, n: int) -> None:
    """A sentence output: (D,) or (n, D[/8]) of a known dtype, finite where it is float."""
    arrays = [out] if single else list(out) if isinstance(out, list) else [out]
    for a in arrays:
        assert isinstance(a, np.ndarray) and a.dtype in (np.float32, np.int8, np.uint8), a
        if a.dtype == np.float32:
            assert np.isfinite(a).all()
    if isinstance(out, np.ndarray) and not single:
        assert out.shape[0] == n


@FUZZ
@given(texts=texts, kwargs=options)
def test_encode_raises_only_minilm_errors(fuzz_model: minilm.Encoder, texts: Any, kwargs: dict[str, Any]) -> None:
    with contextlib.suppress(MinilmError), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # on_long="warn" warns about long texts: expected, not an escape
        out, info = fuzz_model.encode_with_info(texts, **kwargs)
        single = isinstance(texts, str | bytes)  # bytes are one UTF-8 text, as a str
        _check_vectors(out, single, 1 if single else len(info.token_counts))


@FUZZ
@given(a=values | st.builds(np.full, st.sampled_from([(DIM,), (2, DIM), (3,), (0, DIM)]), st.floats()), b=values)
def test_similarity_and_tokenize_raise_only_minilm_errors(fuzz_model: minilm.Encoder, a: Any, b: Any) -> None:
    with contextlib.suppress(MinilmError):
        scores = fuzz_model.similarity(a, b)
        assert isinstance(scores, np.ndarray) and scores.ndim == 2 and np.isfinite(scores).all()
    with contextlib.suppress(MinilmError):
        ids = fuzz_model.tokenize(a)
        assert all(u[0] == fuzz_model.tokenizer.cls_id and u[-1] == fuzz_model.tokenizer.sep_id for u in ids)


@FUZZ
@given(texts=texts, on_long=st.sampled_from(["truncate", "chunk", "error"]) | values)
def test_prepare_raises_only_minilm_errors(fuzz_model: minilm.Encoder, texts: Any, on_long: Any) -> None:
    with contextlib.suppress(MinilmError):
        prepared = fuzz_model.prepare(texts, on_long)
        vectors = fuzz_model.finish(prepared, fuzz_model.embed_units(prepared.units))
        assert vectors.shape == (len(prepared.info.token_counts), DIM)


WORDS = ["-i", "-o", "--precision", "--on-long", "--batch-size", "--format", "--field", "int8", "chunk", "0", "-5",
         "x.npy", "text", "jsonl", "a b", ""]  # fmt: skip
args = st.lists(st.sampled_from(WORDS), max_size=5)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra=args)
def test_encode_command_answers_with_a_status(fuzz_model: minilm.Encoder, extra: list[str]) -> None:
    argv = ["encode", "-m", str(fuzz_model.folder.path), "--engine", "numpy", "the cat", *extra]
    with (
        tempfile.TemporaryDirectory() as where,
        contextlib.chdir(where),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            status = exc.code
    assert isinstance(status, int)
