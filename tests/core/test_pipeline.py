"""The encoder's public pipeline (prepare -> embed_units -> finish), its reads of long texts, and input checks."""

from __future__ import annotations

import random

import numpy as np
import pytest

import minilm
from minilm.encoder import Prepared
from minilm.pooling import l2_normalize

from ..conftest import DATA, write_tiny_model

TEXTS = ["the cat sat on the mat", "a dog", "", " ".join(["hello world , today is a sunny day"] * 4), "é ?"]


def test_prepare_embed_finish_is_encode(tiny) -> None:
    prepared = tiny.prepare(TEXTS)
    assert isinstance(prepared, Prepared) and prepared.owners.tolist() == [0, 1, 2, 3, 4]
    assert prepared.units == tiny.tokenize(TEXTS) and all(len(u) <= 16 for u in prepared.units)
    pooled = tiny.embed_units(prepared.units)
    np.testing.assert_array_equal(pooled, tiny.encode(TEXTS, normalize=False))
    np.testing.assert_array_equal(tiny.finish(prepared, pooled), tiny.encode(TEXTS))
    np.testing.assert_allclose(tiny.embed_units(prepared.units, batch_size=2), pooled, atol=1e-6, rtol=0)
    assert prepared.spans[0] == (0, len(TEXTS[0])) and prepared.spans[2] == (0, 0)
    cut = TEXTS[3][: prepared.spans[3][1]]
    assert tiny.tokenize(cut) == [prepared.units[3]]  # a cut text's span ends with its last kept piece
    assert prepared.info.truncated.tolist() == [False, False, False, True, False]
    with pytest.raises(minilm.InputError, match=r"pooled has shape \(2, 8\), expected \(5, 8\)"):
        tiny.finish(prepared, pooled[:2])


def test_prepare_chunk_and_finish_is_encode_chunk(tiny) -> None:
    prepared = tiny.prepare(TEXTS, on_long="chunk", chunk_overlap=3)
    assert prepared.info.chunks.tolist() == [1, 1, 1, 3, 1] and prepared.owners.tolist() == [0, 1, 2, 3, 3, 3, 4]
    pooled = tiny.embed_units(prepared.units)
    expected = tiny.encode(TEXTS, on_long="chunk", chunk_overlap=3, precision="uint8")
    np.testing.assert_array_equal(tiny.finish(prepared, pooled, precision="uint8"), expected)


def test_batch_limits_are_settings_not_attributes_to_patch(tiny_dir) -> None:
    model = minilm.load(tiny_dir, engine="numpy")
    calls = []
    forward = model.engine.forward
    model.engine.forward = lambda ids, lengths: calls.append(ids.shape) or forward(ids, lengths)  # type: ignore[method-assign, func-returns-value]
    units = model.tokenize(TEXTS)
    default = model.embed_units(units)
    assert max(rows * width for rows, width in calls) > 16
    calls.clear()
    narrow = model.embed_units(units, batch_size=32, max_tokens=16)
    np.testing.assert_allclose(narrow, default, atol=1e-6, rtol=0)
    assert all(rows * width <= 16 for rows, width in calls), calls
    with pytest.raises(minilm.InputError, match="max_tokens must be a positive int"):
        type(model)(model.name, model.folder, model.tokenizer, model.engine, model.sha256, model.source, max_tokens=0)


def reference_windows(model, text: str, overlap: int) -> tuple[list[list[int]], list[tuple[int, int]]]:  # type: ignore[no-untyped-def]
    """Windows the straightforward way: tokenize the whole text, then slice."""
    whole = model.tokenizer.encode([text])[0]
    body, offsets = whole.ids[1:-1], whole.offsets[1:-1]
    size, cls, sep = model.max_seq_length - 2, model.tokenizer.cls_id, model.tokenizer.sep_id
    if not body:
        return [[cls, sep]], [(0, 0)]
    units, spans, start = [], [], 0
    while True:
        stop = min(start + size, len(body))
        units.append([cls, *body[start:stop], sep])
        spans.append((offsets[start][0], offsets[stop - 1][1]))
        if stop == len(body):
            return units, spans
        start = stop - overlap


def medium_texts() -> list[str]:
    with (DATA / "scifact" / "corpus.jsonl").open() as f:
        abstracts = [line.split('"text": ')[1] for line, _ in zip(f, range(40), strict=False)]
    return [" ".join(abstracts), abstracts[0], "", "  ", "word " * 300]


@pytest.mark.parametrize("piece_chars", [None, 37])
def test_streamed_windows_equal_whole_tokenization_windows(real_model, monkeypatch, piece_chars) -> None:
    if piece_chars is not None:  # reads cut everywhere: inside words, punctuation, runs of spaces
        monkeypatch.setattr(real_model.tokenizer, "piece_chars", piece_chars)
    texts = medium_texts()
    prepared = real_model.prepare(texts, on_long="chunk", chunk_overlap=32)
    for i, text in enumerate(texts):
        rows = np.flatnonzero(prepared.owners == i)
        units, spans = reference_windows(real_model, text, 32)
        assert [prepared.units[r] for r in rows] == units
        assert [prepared.spans[r] for r in rows] == spans
        assert prepared.info.token_counts[i] == len(real_model.tokenizer.encode([text])[0])
    assert prepared.info.exact.all() and prepared.info.chunks[0] > 20


def test_chunk_vectors_equal_the_weighted_mean_of_reference_windows(tiny) -> None:
    text = " ".join(["the cat sat on the mat , a happy person today"] * 40)
    units, _ = reference_windows(tiny, text, 5)
    pooled = tiny.embed_units(units)
    weights = np.array([len(u) for u in units], dtype=np.float32)[:, None]
    expected = l2_normalize((pooled * weights).sum(0, keepdims=True) / weights.sum())[0]
    np.testing.assert_allclose(tiny.encode(text, on_long="chunk", chunk_overlap=5), expected, atol=1e-6, rtol=0)


ALPHABET = [*"abcdefgh ijkl  mnop,.;!?'\"-", "é", "É", "e\u0301", "你", "好", "\u3000", "\t", "\n", "\x00", "ß", "İ",
            "Σ", "😀", "\u200b", "ﬁ", "hello", "tokenization", "a" * 105, " " * 40]  # fmt: skip


def test_prefix_reads_give_the_whole_tokenizations_first_tokens(real_model, monkeypatch) -> None:
    """The model's 256 tokens, read from a prefix, equal the whole text's first 256, whatever the cut."""
    rng = random.Random(0)
    tokenizer = real_model.tokenizer
    for _ in range(300):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 500)))
        monkeypatch.setattr(tokenizer, "piece_chars", rng.randint(1, 80))
        whole = tokenizer.encode([text])[0]
        for n in (3, 40, 254):
            (head,) = tokenizer.heads([text], n)
            assert head.ids == whole.ids[1:-1][:n], (text, tokenizer.piece_chars)
            assert head.found == len(whole) - 2 if head.complete else n < head.found <= len(whole) - 2
    monkeypatch.undo()
    texts = ["word " * 2000, "x" * 100_000, "你好" * 3000, "ab" * 60 + " cd" * 400, "a,b" * 500]
    assert real_model.tokenize(texts) == [tokenizer.truncate(t.ids) for t in tokenizer.encode(texts)]


# runs of one kind of character: word characters (ASCII, astral, accented, decomposed, Hangul decomposing to two),
# characters the normalizer removes (controls, combining marks), boundaries (CJK, space, punctuation, [SEP])
RUNS = ["x", "😀", "é", "e\u0301", "İ", "가", "ab", "\x00", "\u0301", "\u200b", "你", " ", ",", "\t", "[SEP]"]


def test_long_words_read_in_pieces_give_the_whole_tokenization(real_model, monkeypatch) -> None:
    """Words over WordPiece's 100-character limit, cut anywhere: the ids and spans of the whole text's."""
    rng = random.Random(1)
    tokenizer = real_model.tokenizer
    assert tokenizer.word_ends is not None
    for _ in range(60):
        runs = [rng.choice(RUNS) * rng.choice([1, 2, 99, 101, 150, 2500, 5000]) for _ in range(rng.randint(1, 6))]
        text = "".join(runs)
        monkeypatch.setattr(tokenizer, "piece_chars", rng.choice([5, 64, 2048]))
        whole = tokenizer.encode([text])[0]
        read = [run for round_ in tokenizer.scan([text], lambda i: False) for _, run in round_]
        assert [i for run in read for i in run.ids] == whole.ids[1:-1], (runs, tokenizer.piece_chars)
        assert [o for run in read for o in run.offsets] == whole.offsets[1:-1], (runs, tokenizer.piece_chars)
        (head,) = tokenizer.heads([text], 254)
        assert head.ids == whole.ids[1:-1][:254]


class CountingBackend:
    """The tokenizer's backend, counting the characters it is asked to tokenize."""

    def __init__(self, inner):  # type: ignore[no-untyped-def]
        self.inner, self.chars = inner, 0

    def encode_batch(self, texts, **options):  # type: ignore[no-untyped-def]
        self.chars += sum(len(t) for t in texts)
        return self.inner.encode_batch(texts, **options)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("x" * 1_000_000 + " the end", [101, 100, 1996, 2203, 102]),  # [CLS] [UNK] the end [SEP]
        ("😀" * 1_000_000 + " the end", [101, 100, 1996, 2203, 102]),
        ("th" + "\x00" * 1_000_000 + "e" + "\u0301" * 5000 + " end", [101, 1996, 2203, 102]),  # "the end"
    ],
)
def test_a_word_without_end_is_scanned_not_tokenized(real_model, monkeypatch, text, ids) -> None:
    counting = CountingBackend(real_model.tokenizer.backend)
    monkeypatch.setattr(real_model.tokenizer, "backend", counting)
    got, info = real_model.tokenize([text]), real_model.encode_with_info(text, on_long="chunk")[1]
    assert got == [ids]  # as the whole tokenization
    assert info.token_counts.tolist() == [len(ids)] and info.exact.all()
    assert counting.chars < 20_000  # a few pieces, not the million-character word


@pytest.mark.parametrize(
    ("call", "error", "says"),
    [
        (lambda m: m.encode({"a": 1}), minilm.InputTypeError, "texts is a dict"),
        (lambda m: m.encode({"b", "a"}), minilm.InputTypeError, "texts is a set"),
        (lambda m: m.encode(["a"], normalize="no"), minilm.InputTypeError, "normalize is 'no'"),
        (lambda m: m.encode("a dog", precision="int8"), minilm.InputError, "needs a value range per dimension"),
        (lambda m: m.encode(["a dog"], precision="uint8"), minilm.InputError, "needs a value range per dimension"),
        (
            lambda m: m.encode(["a", "b"], precision="int8", ranges=np.ones(8)),
            minilm.InputError,
            r"ranges has shape \(8,\), expected \(2, 8\)",
        ),
        (lambda m: m.encode(["a", "b"], precision="int8", ranges="wide"), minilm.InputTypeError, "ranges is str"),
        (lambda m: m.similarity("a", "b"), minilm.InputTypeError, "a is a str, expected vectors"),
        (lambda m: m.similarity(np.ones(8), [["x"]]), minilm.InputTypeError, "b is list"),
        (lambda m: m.similarity(np.ones((2, 2, 8))), minilm.InputError, r"a has shape \(2, 2, 8\)"),
        (lambda m: m.encode(["a"], batch_size=True), minilm.InputError, "batch_size must be a positive int"),
        (lambda m: m.prepare(["a"], on_long="chunk", chunk_overlap=-1), minilm.InputError, "chunk overlap"),
    ],
)
def test_bad_arguments_name_the_item(tiny, call, error, says) -> None:
    with pytest.raises(error, match=says):
        call(tiny)


def test_int8_on_one_text_with_ranges_and_a_generator_of_texts_work(tiny) -> None:
    ranges = np.stack([-np.ones(8, np.float32), np.ones(8, np.float32)])
    assert tiny.encode("a dog", precision="int8", ranges=ranges).dtype == np.int8
    assert np.array_equal(tiny.encode(t for t in ["a", "b"]), tiny.encode(["a", "b"]))
    assert tiny.encode(["a"], normalize=np.bool_(False)).shape == (1, 8)


def test_finish_follows_the_models_normalize_module(tmp_path) -> None:
    raw = minilm.load(write_tiny_model(tmp_path / "raw", normalize=False), engine="numpy")
    prepared = raw.prepare(TEXTS)
    pooled = raw.embed_units(prepared.units)
    np.testing.assert_array_equal(raw.finish(prepared, pooled), pooled)
    np.testing.assert_allclose(np.linalg.norm(raw.finish(prepared, pooled, normalize=True), axis=1), 1, atol=1e-6)
