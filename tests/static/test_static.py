"""The static model: distilled from the tiny model, loaded by model2vec and minilm alike, fitted toward the model."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm.cli.main import main
from minilm.errors import CheckpointError, InputError, MinilmError
from minilm.eval.metrics import paired_cosine
from minilm.static import StaticModel, distill
from tests.conftest import TINY_WORDS


def sentences(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(TINY_WORDS, k=rng.randint(2, 9))) for _ in range(n)]


def test_folder_loads_in_model2vec_and_minilm_with_the_same_vectors(tiny, tmp_path: Path) -> None:
    from model2vec import StaticModel as Model2VecStatic

    static, _ = distill(tiny, sentences(200, 0))
    folder = static.save(tmp_path / "static")
    texts = [*sentences(30, 1), "zzzz unknown qqq", TINY_WORDS[0]]
    ours = minilm.load(folder)
    assert isinstance(ours, StaticModel)
    theirs = Model2VecStatic.from_pretrained(str(folder)).encode(texts)
    np.testing.assert_allclose(ours.encode(texts), theirs, atol=1e-6)
    assert ours.encode(texts).shape == (len(texts), tiny.dimension)
    assert ours.info()["kind"] == "static" and ours.info()["model"].startswith("static-")
    assert ours.tokenize(TINY_WORDS[0]) == [[tiny.tokenize(TINY_WORDS[0])[0][1]]]  # no [CLS]/[SEP]
    np.testing.assert_allclose(np.diag(ours.similarity(ours.encode(texts[:5]))), 1.0, atol=1e-5)


def test_fit_brings_static_vectors_closer_to_the_model_on_held_out_texts(tiny) -> None:
    train, held = sentences(400, 2), sentences(100, 3)
    target = tiny.encode(held)
    vocabulary, _ = distill(tiny, train, fit=False, weights=False)
    fitted, report = distill(tiny, train)
    before = paired_cosine(vocabulary.encode(held), target)
    after = paired_cosine(fitted.encode(held), target)
    assert report.tokens_seen > 0
    assert np.mean(1 - after) < 0.8 * np.mean(1 - before)


def test_vocabulary_pass_is_each_token_through_the_model(tiny) -> None:
    static, _ = distill(tiny, sentences(10, 4), fit=False, weights=False)
    word = TINY_WORDS[3]
    token = static.tokenize(word)[0]
    np.testing.assert_allclose(static.embeddings[token[0]], tiny.encode(word), atol=1e-5)


def test_bad_input_is_refused(tiny, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no training texts"):
        distill(tiny, [])
    with pytest.raises(InputError, match="no known token"):
        distill(tiny, ["", "   "])
    with pytest.raises(InputError, match="minilm BERT model"):
        distill(object(), ["a text"])
    (tmp_path / "notbert").mkdir()
    (tmp_path / "notbert" / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(MinilmError):
        distill(tmp_path / "notbert", ["a text"])
    folder = distill(tiny, sentences(20, 5))[0].save(tmp_path / "static")
    with pytest.raises(InputError, match="numpy alone"):
        minilm.load(folder, engine="onnx")
    (folder / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model.safetensors missing"):
        minilm.load(folder)


def test_cli_writes_a_loadable_folder(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "texts.txt"
    corpus.write_text("\n".join(sentences(50, 6)) + "\n")
    out = tmp_path / "out"
    assert main(["distill-static", str(out), "--model", str(tiny_dir), "--texts", str(corpus), "--engine",
                 "numpy"]) == 0  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert summary["texts"] == len(set(sentences(50, 6)))
    assert minilm.load(out).encode("x y").shape == (minilm.load(tiny_dir, engine="numpy").dimension,)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    assert main(["distill-static", str(tmp_path / "o2"), "--model", str(tiny_dir), "--texts", str(empty)]) == 1
    assert "no training texts" in capsys.readouterr().err


def test_prefilter_confirms_with_the_model_and_finds_its_pairs(tiny) -> None:
    from minilm.index.neighbors import pairs_above
    from minilm.static.prefilter import prefiltered_pairs

    texts = sentences(60, 7)
    texts += [t + " " + TINY_WORDS[0] for t in texts[:20]]  # near copies
    static, _ = distill(tiny, texts)
    i, j, _ = pairs_above(tiny.encode(texts), 0.9, "exact")
    model_only = set(zip(i.tolist(), j.tolist(), strict=True))
    wide, encoded = prefiltered_pairs(tiny, static, texts, 0.9, margin=0.9, method="exact")
    assert {(a, b) for a, b, _ in wide} == model_only and encoded <= len(texts)
    narrow, _ = prefiltered_pairs(tiny, static, texts, 0.9, margin=0.0, method="exact")
    assert {(a, b) for a, b, _ in narrow} <= model_only
    assert all(s >= 0.9 for _, _, s in narrow)
    with pytest.raises(InputError, match="margin"):
        prefiltered_pairs(tiny, static, texts, 0.9, margin=1.5)


def test_cli_encode_with_a_static_folder(tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = distill(tiny, sentences(40, 8))[0].save(tmp_path / "static")
    texts = sentences(3, 9)
    assert main(["encode", "--model", str(folder), *texts]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    np.testing.assert_allclose([r["embedding"] for r in rows], minilm.load(folder).encode(texts), atol=1e-6)


def test_cli_dedup_prefilter_static(tiny, tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts = sentences(40, 10)
    texts += [t + " " + TINY_WORDS[0] for t in texts[:10]]
    folder = distill(tiny, texts)[0].save(tmp_path / "static")
    corpus = tmp_path / "texts.txt"
    corpus.write_text("\n".join(texts) + "\n")
    base = ["dedup", "-i", str(corpus), "--model", str(tiny_dir), "--engine", "numpy", "--pairs", "-t", "0.9"]
    assert main(base) == 0
    model_only = capsys.readouterr().out
    assert main([*base, "--prefilter", "static", "--static", str(folder), "--margin", "0.9"]) == 0
    assert capsys.readouterr().out == model_only
    assert main([*base, "--prefilter", "static", "--static", str(folder), "--margin", "0.9", "--neighbors",
                 str(len(texts))]) == 0  # fmt: skip
    assert capsys.readouterr().out == model_only
    assert main([*base, "--prefilter", "static"]) == 1
    assert "--static FOLDER" in capsys.readouterr().err


def reference_encode(static: StaticModel, texts: list[str]) -> np.ndarray:
    """The batch-wide formulation (one gather of every kept token, np.add.reduceat per text): the oracle for the
    per-text sums StaticModel.encode does."""
    encodings = static.tokenizer.encode_batch_fast(texts, add_special_tokens=False)
    ids = [[t for t in e.ids if t != static.unk_id][: static.max_length] for e in encodings]
    lengths = np.array([len(row) for row in ids], dtype=np.int64)  # (N,)
    flat = np.concatenate([np.asarray(row, dtype=np.int64) for row in ids])  # (T,)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    kept = np.flatnonzero(lengths > 0)
    out = np.zeros((len(texts), static.dimension), dtype=np.float32)  # (N, D)
    out[kept] = np.add.reduceat(static.embeddings[flat], offsets[kept], axis=0) / lengths[kept, None]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.where(norms > 0, out / np.maximum(norms, 1e-32), out)


def test_encode_matches_the_batch_wide_reference_on_the_golden_texts(real_model, golden) -> None:
    from minilm.static.model import plain_tokenizer

    backend = plain_tokenizer(real_model.tokenizer.backend)
    table = np.random.default_rng(11).standard_normal((backend.get_vocab_size(), 384)).astype(np.float32)
    static = StaticModel("random", Path(""), table / np.linalg.norm(table, axis=1, keepdims=True), backend,
                         {"max_length": 512})  # fmt: skip
    texts = list(golden[0])
    ours = static.encode(texts)
    np.testing.assert_allclose(ours, reference_encode(static, texts), atol=1e-6)
    np.testing.assert_allclose(static.encode(texts, batch_size=7), ours, atol=1e-7)
    empty = np.array([not ids for ids in static.tokenize(texts)])
    assert empty[:3].all() and (ours.any(axis=1) == ~empty).all()  # no known token ('', ' ', ...): zero vector
    long = " ".join(["word"] * 300 + ["\u2603"] * 5 + ["token"] * 400)  # 705 tokens, 5 of them [UNK]
    extra = [long, "\u2603 \u2603", "one"]
    # 512-term float32 sums in another order: equal to rounding
    np.testing.assert_allclose(static.encode(extra), reference_encode(static, extra), atol=1e-5)
    ids = static.tokenize(long)[0]
    assert len(ids) == 512 and static.unk_id not in ids and ids[-1] == static.tokenize("token")[0][0]
    _, info = static.encode_with_info([*texts, *extra])
    assert info.token_counts[-3] == 512 and info.truncated[-3] and not info.truncated[-2:].any()


def test_prefilter_neighbours_rule_and_one_model_pass(tiny) -> None:
    from minilm.index.dedup import near_duplicates
    from minilm.static.prefilter import confirmed_pairs, prefiltered_duplicates, prefiltered_pairs

    texts = sentences(60, 12)
    texts += [t + " " + TINY_WORDS[1] for t in texts[:15]]  # near copies
    static, _ = distill(tiny, texts)
    everything, _ = prefiltered_pairs(tiny, static, texts, 0.9, margin=0.9, method="exact")
    assert prefiltered_pairs(tiny, static, texts, 0.9, 0.9, "exact", neighbors=len(texts))[0] == everything
    one, encoded_one = prefiltered_pairs(tiny, static, texts, 0.9, 0.9, "exact", neighbors=1)
    ids_one, ids_all = {p[:2] for p in one}, {p[:2] for p in everything}  # cosines equal to the batching's rounding
    assert ids_one <= ids_all and 0 < len(ids_one) < len(ids_all) and encoded_one <= len(texts)

    calls: list[int] = []

    class Counting:
        dimension = tiny.dimension

        def encode(self, items: list[str]) -> np.ndarray:
            calls.append(len(items))
            return tiny.encode(items)

    found, vectors = prefiltered_duplicates(Counting(), static, texts, 0.9, margin=0.9, method="exact")
    _, needed, _ = confirmed_pairs(tiny, static, texts, 0.9, 0.9, None, "exact")
    assert calls == [len(needed)]  # the model encodes each candidate text once
    model_only = near_duplicates(tiny.encode(texts), 0.9, "exact")
    assert found.groups == model_only.groups and [p[:2] for p in found.pairs] == [p[:2] for p in model_only.pairs]
    np.testing.assert_allclose(vectors[needed], tiny.encode([texts[k] for k in needed]), atol=1e-6)
    with pytest.raises(InputError, match="neighbors"):
        prefiltered_pairs(tiny, static, texts, 0.9, neighbors=0)
