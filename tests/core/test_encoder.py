"""The Encoder's public behaviour on the tiny random model: shapes, inputs, precisions, long-text policies."""

from __future__ import annotations

import numpy as np
import pytest

import minilm
from minilm.pooling import l2_normalize

from ..conftest import write_tiny_model


def test_shapes_for_list_single_and_empty(tiny) -> None:
    assert tiny.encode(["the cat", "a dog"]).shape == (2, 8)
    assert tiny.encode("the cat").shape == (8,)
    empty = tiny.encode([])
    assert empty.shape == (0, 8)
    assert empty.dtype == np.float32


def test_vectors_are_unit_length_and_in_input_order(tiny) -> None:
    texts = ["the cat sat on the mat", "hello", "a happy person today", ""]
    vectors = tiny.encode(texts, batch_size=2)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-6)
    for text, vector in zip(texts, vectors, strict=True):
        assert np.abs(tiny.encode(text) - vector).max() < 1e-6


def test_empty_and_blank_texts_embed_as_cls_sep(tiny) -> None:
    assert tiny.tokenize(["", "   ", "\t\n"]) == [[2, 3], [2, 3], [2, 3]]
    vectors = tiny.encode(["", "   "])
    assert np.abs(vectors[0] - vectors[1]).max() == 0


def test_normalize_false_gives_the_mean_of_token_states(tiny) -> None:
    raw = tiny.encode("the cat sat", normalize=False)
    tokens = tiny.encode("the cat sat", output="token")
    assert tokens.shape == (5, 8)
    assert np.allclose(raw, tokens.mean(axis=0), atol=1e-6)
    assert np.allclose(tiny.encode("the cat sat"), raw / np.linalg.norm(raw), atol=1e-6)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (["ok", None], "input 1 is None, expected str"),
        (["ok", "fine", 3], "input 2 is int, expected str"),
        ([["nested"]], "input 0 is list, expected str"),
        ([b"\xff\xfe"], "input 0 is bytes that are not valid UTF-8"),
        (["ok", "bad \ud800 surrogate"], "input 1 is not valid Unicode"),
        (None, "texts is None"),
        (42, "texts is int"),
    ],
)
def test_bad_inputs_name_the_index_and_type(tiny, bad, message) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        tiny.encode(bad)


def test_utf8_bytes_are_accepted(tiny) -> None:
    assert np.array_equal(tiny.encode(["é".encode()]), tiny.encode(["é"]))


def test_bad_options_are_named(tiny) -> None:
    with pytest.raises(minilm.InputError, match="precision 'float16'"):
        tiny.encode("x", precision="float16")
    with pytest.raises(minilm.InputError, match="on_long 'drop'"):
        tiny.encode("x", on_long="drop")
    with pytest.raises(minilm.InputError, match="batch_size"):
        tiny.encode("x", batch_size=0)


def test_precisions(tiny) -> None:
    texts = ["the cat", "a dog", "hello world", "a happy person", "sunny day"]
    floats = tiny.encode(texts)
    int8 = tiny.encode(texts, precision="int8")
    uint8 = tiny.encode(texts, precision="uint8")
    assert int8.dtype == np.int8 and uint8.dtype == np.uint8 and int8.shape == (5, 8)
    # the same 256 levels, shifted by 128
    assert np.array_equal(uint8.astype(int) - 128, int8.astype(int))
    # each dimension's minimum maps to the lowest level, its maximum to the highest (or, as the reference's
    # floor of a float32 step count may land just under it, the one below)
    assert (uint8.min(axis=0) == 0).all() and (uint8.max(axis=0) >= 254).all()
    binary = tiny.encode(texts, precision="ubinary")
    assert binary.dtype == np.uint8 and binary.shape == (5, 1)
    assert np.array_equal(np.unpackbits(binary, axis=1), (floats > 0).astype(np.uint8))
    signed = tiny.encode(texts, precision="binary")
    assert np.array_equal(signed.astype(int), binary.astype(int) - 128)


def test_int8_with_fixed_ranges(tiny) -> None:
    ranges = np.stack([-np.ones(8, np.float32), np.ones(8, np.float32)])
    vector = tiny.encode(["the cat"], precision="uint8", ranges=ranges)
    expected = ((tiny.encode(["the cat"]) + 1) / (2 / 255)).astype(np.uint8)
    assert np.array_equal(vector, expected)


LONG = " ".join(["the cat sat on the mat"] * 6)  # 36 word pieces: over the tiny model's 16-token limit


def test_long_texts_are_truncated_but_reported(tiny) -> None:
    vectors, info = tiny.encode_with_info([LONG, "hello"])
    # LONG (137 characters) is read up to the last word before 8 x 16 characters: 35 tokens, a lower bound
    assert info.token_counts.tolist() == [35, 3]
    assert info.exact.tolist() == [False, True]
    assert info.truncated.tolist() == [True, False]
    cut = " ".join(LONG.split()[:14])
    assert np.abs(vectors[0] - tiny.encode(cut)).max() < 1e-6
    _, chunked = tiny.encode_with_info([LONG], on_long="chunk", chunk_overlap=4)  # chunking reads the whole text
    assert chunked.token_counts.tolist() == [38] and chunked.exact.tolist() == [True]


def test_on_long_warn_and_error(tiny) -> None:
    with pytest.warns(UserWarning, match="1 texts over 16 tokens were truncated"):
        tiny.encode(["hello", LONG], on_long="warn")
    with pytest.raises(minilm.TooLongError, match="input 1 has at least 35 tokens, over the model's limit of 16"):
        tiny.encode(["hello", LONG], on_long="error")
    tiny.encode(["hello"], on_long="error")  # short texts pass


def test_on_long_chunk_is_the_token_weighted_mean_of_windows(tiny) -> None:
    vectors, info = tiny.encode_with_info([LONG, "hello"], on_long="chunk", chunk_overlap=4)
    assert info.chunks.tolist() == [4, 1]
    chunks = tiny.encode_chunks(LONG, overlap=4, normalize=False)[0]
    weights = np.array(chunks.token_counts, dtype=np.float32)[:, None]
    expected = l2_normalize((chunks.vectors * weights).sum(0, keepdims=True) / weights.sum())[0]
    assert np.abs(vectors[0] - expected).max() < 1e-6
    assert np.abs(vectors[1] - tiny.encode("hello")).max() < 1e-6


def test_chunk_spans_map_back_to_the_text(tiny) -> None:
    text = "hello world! " * 10
    (chunks,) = tiny.encode_chunks(text, overlap=2)
    assert chunks.vectors.shape == (len(chunks.spans), 8)
    assert all(n <= 16 for n in chunks.token_counts)
    start, end = chunks.spans[0]
    assert start == 0 and text[start:end].startswith("hello")
    assert chunks.spans[-1][1] == len(text.rstrip())
    starts = [s for s, _ in chunks.spans]
    assert starts == sorted(starts)
    # each window's vector is what encoding its own span gives
    for (s, e), vector in zip(chunks.spans, chunks.vectors, strict=True):
        assert np.abs(tiny.encode(text[s:e]) - vector).max() < 1e-5


def test_chunk_overlap_must_fit(tiny) -> None:
    with pytest.raises(minilm.InputError, match=r"chunk overlap must be an int in \[0, 13\], got 14"):
        tiny.encode_chunks(LONG, overlap=14)


@pytest.mark.parametrize("pooling", ["cls", "max", "mean_sqrt_len"])
def test_pooling_modes_follow_the_folder(tmp_path, pooling) -> None:
    model = minilm.load(write_tiny_model(tmp_path / pooling, pooling=pooling, normalize=False), engine="numpy")
    tokens = model.encode("the cat sat", output="token")
    vector = model.encode("the cat sat", normalize=False)
    expected = {
        "cls": tokens[0],
        "max": tokens.max(axis=0),
        "mean_sqrt_len": tokens.sum(axis=0) / np.sqrt(len(tokens)),
    }[pooling]
    assert np.allclose(vector, expected, atol=1e-6)
    assert model.info()["pooling"] == pooling and model.info()["normalize"] is False


def test_similarity_is_cosine(tiny) -> None:
    a = tiny.encode(["the cat", "a dog"])
    sims = tiny.similarity(a, a)
    assert sims.shape == (2, 2) and np.allclose(np.diag(sims), 1, atol=1e-6)
    assert np.allclose(tiny.similarity(a[0] * 3, a[1]), sims[0, 1], atol=1e-6)
    with pytest.raises(minilm.InputError, match="dimension 8 and 4"):
        tiny.similarity(a, np.ones((1, 4)))


def test_token_output_with_a_non_float_precision_is_refused(tiny) -> None:
    with pytest.raises(minilm.InputError, match="output='token'"):
        tiny.encode("x", output="token", precision="int8")


def test_normalize_defaults_to_the_models_pipeline(tmp_path) -> None:
    raw_model = minilm.load(write_tiny_model(tmp_path / "raw", normalize=False), engine="numpy")
    default = raw_model.encode("the cat")
    assert not np.isclose(np.linalg.norm(default), 1.0)
    assert np.array_equal(default, raw_model.encode("the cat", normalize=False))
    assert np.isclose(np.linalg.norm(raw_model.encode("the cat", normalize=True)), 1.0)


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"precision": "fp16"}, r"precision 'fp16' is unknown; expected one of \('float32', 'int8'"),
        ({"on_long": "clip"}, r"on_long 'clip' is unknown; expected one of \('truncate', 'warn', 'error', 'chunk'\)"),
        ({"output": "tokens"}, r"output 'tokens' is unknown; expected one of \('sentence', 'token'\)"),
        ({"batch_size": 0}, "batch_size must be a positive int, got 0"),
        ({"normalize": "no"}, "normalize is 'no'"),
        ({"on_long": "chunk", "chunk_overlap": -1}, "chunk overlap must be a non-negative int, got -1"),
        ({"output": "token", "on_long": "chunk"}, "cannot return token states"),
    ],
)
def test_encode_options_are_checked_where_they_are_made(settings, says) -> None:
    with pytest.raises((minilm.InputError, minilm.InputTypeError), match=says):
        minilm.EncodeOptions(**settings)


def test_one_options_value_or_the_keywords_encode_alike(tiny) -> None:
    texts = [LONG, "hello", "the cat"]
    options = minilm.EncodeOptions(batch_size=2, on_long="chunk", chunk_overlap=4, precision="int8")
    expected = tiny.encode(texts, batch_size=2, on_long="chunk", chunk_overlap=4, precision="int8")
    assert np.array_equal(tiny.encode(texts, options=options), expected)
    assert np.array_equal(tiny.encode(texts, 2, None, None, "sentence", "int8", "chunk", 4), expected)  # by position
    assert np.array_equal(
        tiny.encode(texts, options=options, precision="float32"),
        tiny.encode(texts, 2, on_long="chunk", chunk_overlap=4),
    )
    assert options == minilm.EncodeOptions(batch_size=2, on_long="chunk", chunk_overlap=4, precision="int8")
    with pytest.raises(minilm.InputTypeError, match="option 'batch_size' twice"):
        tiny.encode(texts, 2, batch_size=3)
    with pytest.raises(minilm.InputTypeError, match=r"unknown options \['on_lng'\]"):
        tiny.encode(texts, on_lng="chunk")
