"""The ASCII fast path of the static model: the same ids and vectors as the tokenizer's path, on the golden texts
and on random texts of every kind (accents, CJK, emoji, control characters, added tokens, long, empty)."""

from __future__ import annotations

import random
import string
from pathlib import Path

import numpy as np
import pytest

from minilm.static import StaticModel
from minilm.static.model import plain_tokenizer
from minilm.static.words import WordPieces, bert_wordpiece

OTHER = ["\x00", "\x07", "\x0b", "\x0c", "\x1f", "\x7f", "\x85", "\xa0", "\u200b", "\ufffd", "\u0301", "é", "À", "ñ",
         "ß", "İ", "中", "文", "字", "\u3000", "😀", "👍🏽", "Ａ", "ｶ", "\u2028", "ﬁ"]  # fmt: skip
WORDS = ["the", "The", "QUICK", "brown", "fox's", "don't", "e-mail", "3.14", "x2y", "naïve", "unaffable",
         "[PAD]", "[cls]", "[MASK]x", "a" * 120, "zzqxj", "COVID-19", "https://example.org/a?b=c&d=e", "#tag",
         "@user"]  # fmt: skip


def fuzz_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    ascii_chars = string.printable.replace("\x0b", "").replace("\x0c", "")  # printable ASCII, \t\n\r, space
    texts = ["", " ", "\t\n\r", "!", "[PAD]", "[UNK] [SEP]", " ".join(["word"] * 600), ", ".join(WORDS) * 30]
    for _ in range(n):
        kind = rng.random()
        if kind < 0.4:  # plain ASCII: the fast path
            texts.append("".join(rng.choices(ascii_chars, k=rng.randint(0, 80))))
        elif kind < 0.7:  # words, some of them not plain
            texts.append(" ".join(rng.choices(WORDS, k=rng.randint(1, 12))))
        else:  # ASCII with a character of another kind somewhere
            chars = rng.choices(ascii_chars, k=rng.randint(0, 40))
            chars.insert(rng.randint(0, len(chars)), rng.choice(OTHER))
            texts.append("".join(chars))
    return texts


@pytest.fixture(scope="module")
def backend(real_model):
    return plain_tokenizer(real_model.tokenizer.backend)


def static_model(backend, fast: bool) -> StaticModel:
    table = np.random.default_rng(5).standard_normal((backend.get_vocab_size(), 384)).astype(np.float32)  # (V, D)
    static = StaticModel("random", Path(""), table, backend, {"max_length": 512})
    if not fast:
        static.word_pieces = None
    return static


def test_fast_ids_equal_the_tokenizers(backend, golden) -> None:
    texts = [*golden[0], *fuzz_texts(600, 0)]
    unk = backend.token_to_id("[UNK]")
    pieces = WordPieces(backend, unk)
    fast = pieces.ids(texts)
    reference = [[t for t in e.ids if t != unk] for e in backend.encode_batch_fast(texts, add_special_tokens=False)]
    taken = [i for i, row in enumerate(fast) if row is not None]
    assert [fast[i] for i in taken] == [reference[i] for i in taken]
    assert len(taken) > 0.5 * len(texts)  # most texts take the fast path, so the comparison above is not empty
    assert sum(1 for i in taken if i < len(golden[0])) > 100
    left = [t for t, row in zip(texts, fast, strict=True) if row is None]
    assert "[PAD]" in left and any("naïve" in t for t in left) and any("\x7f" in t for t in left)
    assert not [t for t in left if t.isascii() and t.isprintable() and "[" not in t]  # printable ASCII is taken
    assert pieces.ids(texts) == fast  # from the cache alone


def test_encode_tokenize_and_counts_equal_the_tokenizer_path(backend, golden) -> None:
    texts = [*golden[0], *fuzz_texts(400, 1)]
    fast, slow = static_model(backend, True), static_model(backend, False)
    assert fast.word_pieces is not None
    assert fast.tokenize(texts) == slow.tokenize(texts)
    vectors, info = fast.encode_with_info(texts, batch_size=97)
    reference, reference_info = slow.encode_with_info(texts)
    np.testing.assert_allclose(vectors, reference, atol=1e-6)
    assert (info.token_counts == reference_info.token_counts).all()
    assert (info.truncated == reference_info.truncated).all() and info.truncated.sum() >= 2  # the long texts
    np.testing.assert_allclose(fast.encode(texts[0]), reference[0], atol=1e-6)


def test_cache_starts_over_at_its_bound_with_the_same_ids(backend) -> None:
    texts = fuzz_texts(200, 2)
    unk = backend.token_to_id("[UNK]")
    unbounded = WordPieces(backend, unk).ids(texts)
    small = WordPieces(backend, unk, limit=50)
    assert [row for start in range(0, len(texts), 5) for row in small.ids(texts[start : start + 5])] == unbounded
    assert len(small.pieces) <= 50


def test_fast_path_only_for_a_plain_bert_tokenizer(backend) -> None:
    from tokenizers import Tokenizer as HFTokenizer

    assert bert_wordpiece(backend)
    truncating = HFTokenizer.from_str(backend.to_str())
    truncating.enable_truncation(16)
    assert not bert_wordpiece(truncating)
    assert StaticModel("t", Path(""), np.zeros((backend.get_vocab_size(), 2), np.float32), truncating,
                       {}).word_pieces is None  # fmt: skip
