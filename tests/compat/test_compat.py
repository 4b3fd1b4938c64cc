"""The sentence-transformers drop-in against the reference's documented behaviour, re-implemented here.

sentence-transformers itself is not installed (it pulls CUDA builds of torch); each reference formula below is
written from its documentation: quantize_embeddings (floor of the step count, clipped to [0, 255], int8 = that
minus 128), prompts (prompt + text), truncate_dim (the pipeline's vector sliced, then normalize_embeddings),
max_seq_length (truncation as a folder with that sentence_bert_config.json), and util.similarity's functions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import minilm
from minilm import SentenceTransformer
from minilm.pooling import l2_normalize
from minilm.precision import quantize

from ..conftest import write_tiny_model

TEXTS = ["the cat", "a happy person", "hello world !", "the dog sat on the mat", "sunny day today", "that is ."]
LONG = " ".join(["the cat sat on the mat"] * 6)  # 36 word pieces: over the tiny model's 16-token limit


def reference_quantize(embeddings: np.ndarray, precision: str, ranges: np.ndarray | None = None) -> np.ndarray:
    """sentence_transformers.quantize_embeddings for int8 / uint8, as its documentation states it."""
    if ranges is None:
        ranges = np.vstack((np.min(embeddings, axis=0), np.max(embeddings, axis=0)))
    starts = ranges[0, :]
    steps = (ranges[1, :] - ranges[0, :]) / 255
    steps = np.where(steps == 0, 1, steps)
    levels = np.clip(np.floor((embeddings - starts) / steps), 0, 255)
    return levels.astype(np.uint8) if precision == "uint8" else (levels - 128).astype(np.int8)


@pytest.fixture
def model(tiny_dir: Path) -> SentenceTransformer:
    return SentenceTransformer(str(tiny_dir), engine="numpy")


def test_drop_in_matches_the_encoder(model: SentenceTransformer, tiny) -> None:
    texts = ["the cat", "a happy person"]
    assert np.array_equal(model.encode(texts), tiny.encode(texts))
    assert model.encode("the cat").shape == (8,)
    assert model.get_sentence_embedding_dimension() == 8 and model.max_seq_length == 16
    assert model.get_max_seq_length() == 16
    tokens = model.encode(texts, output_value="token_embeddings")
    assert [t.shape for t in tokens] == [(4, 8), (5, 8)]
    batch = model.tokenize(texts)
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]


def test_normalize_follows_the_pipeline(tmp_path: Path) -> None:
    model = SentenceTransformer(str(write_tiny_model(tmp_path / "raw", normalize=False)), engine="numpy")
    assert not np.isclose(np.linalg.norm(model.encode("the cat")), 1.0)
    assert np.isclose(np.linalg.norm(model.encode("the cat", normalize_embeddings=True)), 1.0)


# -- precision ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("precision", ["int8", "uint8"])
def test_int8_equals_the_reference_element_for_element(model: SentenceTransformer, precision: str) -> None:
    floats = model.encode(TEXTS)
    expected = reference_quantize(floats, precision)
    assert np.array_equal(model.encode(TEXTS, precision=precision), expected)
    assert np.array_equal(minilm.load(model.encoder.folder.path, engine="numpy").encode(TEXTS, precision=precision),
                          expected)  # fmt: skip
    rng = np.random.default_rng(0)
    many = rng.standard_normal((500, 64)).astype(np.float32)
    assert np.array_equal(quantize(many, precision), reference_quantize(many, precision))
    # values outside fixed ranges: below the start floors to a negative level, clipped to the lowest
    ranges = np.stack([np.full(64, -1, np.float32), np.full(64, 1, np.float32)])
    assert np.array_equal(quantize(many, precision, ranges=ranges), reference_quantize(many, precision, ranges))
    calibration = rng.standard_normal((50, 64)).astype(np.float32)
    assert np.array_equal(
        quantize(many, precision, calibration=calibration),
        reference_quantize(many, precision, np.vstack((calibration.min(0), calibration.max(0)))),
    )


def test_int8_of_one_text_without_ranges_raises(model: SentenceTransformer, tiny) -> None:
    with pytest.raises(minilm.InputError, match="precision='int8' needs a value range"):
        model.encode("the cat", precision="int8")
    with pytest.raises(minilm.InputError, match="precision='uint8' needs a value range"):
        tiny.encode(["the cat"], precision="uint8")
    ranges = np.stack([-np.ones(8, np.float32), np.ones(8, np.float32)])
    one = tiny.encode(["the cat"], precision="int8", ranges=ranges)
    assert np.array_equal(one, reference_quantize(tiny.encode(["the cat"]), "int8", ranges))
    assert model.encode([], precision="int8").shape == (0, 8)


def test_token_embeddings_share_one_range(model: SentenceTransformer) -> None:
    states = model.encode(TEXTS, output_value="token_embeddings")
    ranges = np.vstack((np.concatenate(states).min(0), np.concatenate(states).max(0)))
    quantized = model.encode(TEXTS, output_value="token_embeddings", precision="int8")
    for got, floats in zip(quantized, states, strict=True):
        assert np.array_equal(got, reference_quantize(floats, "int8", ranges))


# -- prompts -----------------------------------------------------------------------------------------------------
def test_prompt_is_prepended_to_each_text(tiny_dir: Path) -> None:
    model = SentenceTransformer(str(tiny_dir), engine="numpy", prompts={"greet": "hello world "})
    plain = model.encode(["hello world the cat", "hello world a dog"])
    assert np.array_equal(model.encode(["the cat", "a dog"], prompt="hello world "), plain)
    assert np.array_equal(model.encode(["the cat", "a dog"], prompt_name="greet"), plain)
    assert not np.allclose(model.encode(["the cat", "a dog"]), plain)
    with pytest.raises(minilm.InputError, match="prompt_name 'nope'"):
        model.encode("the cat", prompt_name="nope")
    assert model.prompts == {"query": "", "document": "", "greet": "hello world "}
    defaulted = SentenceTransformer(str(tiny_dir), engine="numpy", prompts={"greet": "hello world "},
                                    default_prompt_name="greet")  # fmt: skip
    assert np.array_equal(defaulted.encode(["the cat", "a dog"]), plain)
    assert np.array_equal(defaulted.encode(["the cat"], prompt=""), model.encode(["the cat"]))


def test_saved_prompts_and_query_document_defaults(tiny_dir: Path) -> None:
    (tiny_dir / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "hello ", "passage": "world "}, "similarity_fn_name": "dot"})
    )
    model = SentenceTransformer(str(tiny_dir), engine="numpy")
    assert np.array_equal(model.encode_query(["the cat"]), model.encode(["hello the cat"]))
    # "document" is in the prompts (empty), so it is taken before "passage", as the reference does
    assert np.array_equal(model.encode_document(["the cat"]), model.encode(["the cat"]))
    assert np.array_equal(model.encode_document(["the cat"], prompt_name="passage"), model.encode(["world the cat"]))
    assert model.similarity_fn_name == "dot"


def test_prompt_with_pooling_that_excludes_it_is_refused(tiny_dir: Path) -> None:
    config = json.loads((tiny_dir / "1_Pooling" / "config.json").read_text()) | {"include_prompt": False}
    (tiny_dir / "1_Pooling" / "config.json").write_text(json.dumps(config))
    model = SentenceTransformer(str(tiny_dir), engine="numpy")
    assert model.encode("the cat").shape == (8,)
    with pytest.raises(NotImplementedError, match="include_prompt"):
        model.encode("the cat", prompt="hello ")


# -- truncate_dim ------------------------------------------------------------------------------------------------
def test_truncate_dim_slices_after_the_pipeline(model: SentenceTransformer, tiny_dir: Path) -> None:
    full = model.encode(TEXTS)  # the pipeline's vectors (its Normalize module included)
    cut = model.encode(TEXTS, truncate_dim=3)
    assert cut.shape == (6, 3) and np.array_equal(cut, full[:, :3])
    renormalized = model.encode(TEXTS, truncate_dim=3, normalize_embeddings=True)
    assert np.allclose(renormalized, l2_normalize(full[:, :3]), atol=1e-7)
    assert np.array_equal(model.encode(TEXTS, truncate_dim=3, precision="int8"),
                          reference_quantize(full[:, :3], "int8"))  # fmt: skip
    short = SentenceTransformer(str(tiny_dir), engine="numpy", truncate_dim=5)
    assert short.encode("the cat").shape == (5,) and short.get_sentence_embedding_dimension() == 5
    assert short.encode("the cat", truncate_dim=2).shape == (2,)
    with pytest.raises(minilm.InputError, match="truncate_dim"):
        model.encode("the cat", truncate_dim=0)


# -- max_seq_length ----------------------------------------------------------------------------------------------
def test_max_seq_length_setter_truncates_as_a_folder_with_that_limit(model: SentenceTransformer,
                                                                     tmp_path: Path) -> None:  # fmt: skip
    eight = SentenceTransformer(str(write_tiny_model(tmp_path / "eight", max_seq_length=8)), engine="numpy")
    assert not np.allclose(model.encode(LONG), eight.encode(LONG))
    model.max_seq_length = 8
    assert model.max_seq_length == 8 and model[0].max_seq_length == 8 and model.tokenizer.model_max_length == 8
    assert np.array_equal(model.encode([LONG, "the cat"]), eight.encode([LONG, "the cat"]))
    assert model.tokenize([LONG])["input_ids"].shape == (1, 8)
    model[0].max_seq_length = 16
    assert model.encode(LONG, output_value="token_embeddings").shape == (16, 8)
    for bad in (1, 33, "8"):
        with pytest.raises(minilm.InputError, match="max_seq_length must be an int from 2 to 32"):
            model.max_seq_length = bad  # type: ignore[assignment]


# -- the rest of the surface -------------------------------------------------------------------------------------
def test_tokenizer_stand_in(model: SentenceTransformer) -> None:
    tok = model.tokenizer
    assert tok("the cat")["input_ids"] == model.encoder.tokenize("the cat")[0]
    assert tok.encode("the cat") == tok("the cat")["input_ids"]
    assert tok.tokenize("the cats") == ["the", "cat", "##s"]
    assert tok.decode(tok.encode("the cat"), skip_special_tokens=True) == "the cat"
    assert tok.convert_ids_to_tokens(tok.encode("the cat")) == ["[CLS]", "the", "cat", "[SEP]"]
    assert tok.convert_tokens_to_ids(["the", "nope"]) == [tok.get_vocab()["the"], tok.get_vocab()["[UNK]"]]
    padded = tok(["the cat", "a happy person"], padding=True, return_tensors="np")
    assert padded["attention_mask"].tolist() == [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]
    assert isinstance(tok(["the cat"], return_tensors="pt")["input_ids"], torch.Tensor)
    cut = tok(LONG, truncation=True)["input_ids"]
    assert cut == model.encoder.tokenize(LONG)[0] and len(cut) == 16
    assert len(tok.encode(LONG, max_length=2**32, truncation="do_not_truncate")) == 38  # LangChain's call
    with pytest.raises(minilm.InputError, match="padding=True"):
        tok(["the cat", "a happy person"], return_tensors="np")
    with pytest.raises(NotImplementedError, match="text_pair="):
        tok("the cat", "a dog")
    with pytest.raises(NotImplementedError, match="stride="):
        tok("the cat", stride=2)
    assert model[0].tokenizer is tok and model[0].get_word_embedding_dimension() == 8


def reference_similarity(name: str, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """util.cos_sim / dot_score / euclidean_sim / manhattan_sim."""
    if name == "cosine":
        return torch.nn.functional.normalize(a, dim=1) @ torch.nn.functional.normalize(b, dim=1).T
    if name == "dot":
        return a @ b.T
    return -torch.cdist(a, b, p=2.0 if name == "euclidean" else 1.0)


@pytest.mark.parametrize("name", ["cosine", "dot", "euclidean", "manhattan"])
def test_similarity_functions(tiny_dir: Path, name: str) -> None:
    model = SentenceTransformer(str(tiny_dir), engine="numpy", similarity_fn_name=name)
    a = model.encode(TEXTS, convert_to_tensor=True, normalize_embeddings=False)
    b = torch.randn(4, 8)
    scores = model.similarity(a, b)
    assert isinstance(scores, torch.Tensor) and scores.shape == (6, 4)
    assert torch.allclose(scores, reference_similarity(name, a, b), atol=1e-5)
    assert torch.topk(scores, k=2, dim=1).indices.shape == (6, 2)
    pairs = model.similarity_pairwise(a[:4], b)
    assert torch.allclose(pairs, torch.diagonal(reference_similarity(name, a[:4], b)), atol=1e-5)
    as_numpy = model.similarity(a.numpy(), b.numpy())
    assert isinstance(as_numpy, np.ndarray) and np.allclose(as_numpy, scores.numpy())


def test_similarity_fn_name_defaults_to_cosine_and_is_checked(model: SentenceTransformer, tiny_dir: Path) -> None:
    assert model.similarity_fn_name == "cosine"
    (tiny_dir / "config_sentence_transformers.json").write_text(json.dumps({"similarity_fn_name": "maxsim"}))
    assert SentenceTransformer(str(tiny_dir), engine="numpy").similarity_fn_name == "cosine"
    same = model.encode(["the cat", "the cat"], normalize_embeddings=False)
    model.similarity_fn_name = "euclidean"
    assert np.abs(model.similarity(same, same)).max() < 1e-6  # no float32 cancellation noise
    with pytest.raises(minilm.InputError, match="similarity_fn_name 'maxsim'"):
        model.similarity_fn_name = "maxsim"


def test_output_forms(model: SentenceTransformer) -> None:
    texts = ["the cat", "a happy person"]
    vectors = model.encode(texts)
    tensor = model.encode(texts, convert_to_tensor=True)
    assert isinstance(tensor, torch.Tensor) and np.array_equal(tensor.numpy(), vectors)
    rows = model.encode(texts, convert_to_numpy=False)
    assert [type(r) for r in rows] == [torch.Tensor, torch.Tensor] and np.array_equal(rows[1].numpy(), vectors[1])
    ragged = model.encode(texts, output_value="token_embeddings", convert_to_tensor=True)
    assert [tuple(t.shape) for t in ragged] == [(4, 8), (5, 8)] and isinstance(ragged[0], torch.Tensor)
    features = model.encode(texts, output_value=None)
    assert [sorted(f) for f in features] == [
        ["attention_mask", "input_ids", "modality", "sentence_embedding", "token_embeddings", "token_type_ids"]
    ] * 2
    assert features[0]["modality"] == "text"  # sentence-transformers 6's tag for text inputs
    assert features[1]["input_ids"].tolist() == model.encoder.tokenize("a happy person")[0]
    assert np.array_equal(features[1]["sentence_embedding"], vectors[1])
    assert np.array_equal(features[1]["token_embeddings"], model.encode(texts, output_value="token_embeddings")[1])
    one = model.encode("the cat", output_value=None, prompt="hello ", truncate_dim=4)
    assert one["prompt_length"] == 2 and one["sentence_embedding"].shape == (4,)
    assert np.array_equal(one["sentence_embedding"], model.encode("hello the cat")[:4])


@pytest.mark.usefixtures("no_gpu")
def test_device_and_module_surface(model: SentenceTransformer) -> None:
    assert model.to("cpu") is model and model.eval() is model and model.to(torch.device("cpu")) is model
    assert model.device == torch.device("cpu")
    engine = model.encoder.engine
    with pytest.raises(minilm.InputError, match="device 'cuda'"):  # no GPU: refused, the model unchanged
        model.to("cuda")
    assert model.encoder.engine is engine
    with pytest.raises(NotImplementedError, match=r"model\[1\]"):
        model[1]


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda m: m.encode("x", pool={}), None),  # an empty pool is no pool
        (lambda m: m.encode("x", pool={"processes": []}), "pool="),
        (lambda m: m.encode("x", chunk_size=8), "chunk_size="),
        (lambda m: m.encode("x", device=["cpu", "cpu"]), "device="),
        (lambda m: m.encode("x", task="query"), "task="),
        (lambda m: m.encode("x", output_value=None, precision="int8"), "output_value=None"),
    ],
)
def test_encode_refuses_what_it_does_not_implement(model: SentenceTransformer, call, named: str | None) -> None:
    if named is None:
        call(model)
        return
    with pytest.raises(NotImplementedError, match=named):
        call(model)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"cache_folder": "/tmp/x"}, "cache_folder="),
        ({"revision": "main"}, "revision="),
        ({"token": "hf_x"}, "token="),
        ({"model_kwargs": {"attn_implementation": "sdpa"}}, r"model_kwargs=\{'attn_implementation'"),
        ({"modules": []}, "modules="),
        ({"backend": "jax"}, "backend='jax'"),
    ],
)
def test_constructor_refuses_what_it_does_not_implement(tiny_dir: Path, kwargs: dict, named: str) -> None:
    with pytest.raises(NotImplementedError, match=named):
        SentenceTransformer(str(tiny_dir), **kwargs)


@pytest.mark.usefixtures("no_gpu")
def test_bad_values_are_named(tiny_dir: Path, model: SentenceTransformer) -> None:
    with pytest.raises(minilm.InputError, match="device 'cuda': torch .* sees no CUDA device"):
        SentenceTransformer(str(tiny_dir), device="cuda")
    with pytest.raises(minilm.InputError, match="engine 'numpy' does not take device='cuda'"):
        SentenceTransformer(str(tiny_dir), device="cuda", engine="numpy")
    with pytest.raises(minilm.InputError, match="dtype 'float64' is unknown"):
        SentenceTransformer(str(tiny_dir), model_kwargs={"torch_dtype": torch.float64})
    with pytest.raises(minilm.InputError, match="output_value 'foo'"):
        model.encode("x", output_value="foo")
    with pytest.raises(minilm.InputError, match="precision 'int4'"):
        model.encode(["x", "y"], precision="int4")
    with pytest.raises(minilm.InputError, match="default_prompt_name 'q'"):
        SentenceTransformer(str(tiny_dir), default_prompt_name="q")


# -- the real model ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real() -> SentenceTransformer:
    return SentenceTransformer("all-MiniLM-L6-v2", engine="numpy", local_files_only=True)


@pytest.mark.integration
def test_default_name_loads_the_reference_model(real: SentenceTransformer, golden) -> None:
    texts, _, reference = golden
    vectors = real.encode(texts[:16])
    assert np.abs(vectors - reference[:16]).max() < 1e-5
    assert np.array_equal(real.encode(texts[:16], precision="int8"), reference_quantize(vectors, "int8"))
    assert np.array_equal(real.encode(texts[:16], truncate_dim=128), vectors[:, :128])


@pytest.mark.integration
def test_max_seq_length_128_equals_a_128_token_folder(real: SentenceTransformer, tmp_path: Path) -> None:
    source = real.encoder.folder.path
    folder = tmp_path / "minilm-128"
    folder.mkdir()
    for item in source.iterdir():  # the real files, linked; only sentence_bert_config.json differs
        (folder / item.name).symlink_to(item)
    (folder / "sentence_bert_config.json").unlink()
    config = json.loads((source / "sentence_bert_config.json").read_text()) | {"max_seq_length": 128}
    (folder / "sentence_bert_config.json").write_text(json.dumps(config))
    limited = SentenceTransformer(str(folder), engine="numpy")
    long_texts = [" ".join(["the quick brown fox jumps over the lazy dog"] * 25), "a short one"]
    assert limited.max_seq_length == 128 and real.max_seq_length == 256
    before = real.encode(long_texts)
    real.max_seq_length = 128
    try:
        assert np.array_equal(real.encode(long_texts), limited.encode(long_texts))
        assert not np.allclose(before[0], limited.encode(long_texts)[0], atol=1e-3)
    finally:
        real.max_seq_length = 256


def test_device_cpu_means_the_fastest_cpu_engine(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from minilm.engines.torch_engine import devices

    monkeypatch.setattr(devices, "gpu_present", lambda: True)  # where "auto" would pick the torch engine on a GPU
    assert SentenceTransformer(str(tiny_dir), device="cpu").encoder.engine.name == "onnx"
    assert SentenceTransformer(str(tiny_dir), device=torch.device("cpu"), engine="numpy").encoder.engine.name == "numpy"
    on_torch = SentenceTransformer(str(tiny_dir), device="cpu", engine="torch")
    assert (on_torch.encoder.engine.name, on_torch.device) == ("torch", torch.device("cpu"))


@pytest.mark.usefixtures("no_gpu")
def test_half_precision_from_model_kwargs_runs_the_torch_engine(tiny_dir: Path) -> None:
    model = SentenceTransformer(str(tiny_dir), model_kwargs={"torch_dtype": torch.bfloat16})
    assert (model.encoder.engine.name, model.encoder.info()["dtype"]) == ("torch", "bfloat16")
    reference = SentenceTransformer(str(tiny_dir), engine="numpy").encode(["the cat sat", "a dog"])
    assert np.abs(model.encode(["the cat sat", "a dog"]) - reference).max() < 0.05  # bf16 keeps 8 bits
    for kwargs in ({"torch_dtype": "float32"}, {"dtype": "auto"}):  # every engine's own precision: no torch needed
        assert SentenceTransformer(str(tiny_dir), model_kwargs=kwargs).encoder.engine.name == "onnx"


def test_to_another_device_builds_the_engine_there_and_keeps_the_tokenizer(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minilm.engines.torch_engine import engine as torch_engine

    moved_to: list[str] = []

    def resolve(name: str) -> torch.device:  # a stand-in GPU: records the device asked for, runs on the CPU
        moved_to.append(name)
        return torch.device("cpu")

    monkeypatch.setattr(torch_engine, "resolve_device", resolve)
    model = SentenceTransformer(str(tiny_dir), engine="numpy")
    model.max_seq_length = 6
    before = model.encode(["the cat sat on the mat with a hat"])
    assert model.to("cuda:1") is model and moved_to == ["cuda:1"]
    assert model.encoder.engine.name == "torch" and model.max_seq_length == 6
    assert np.abs(model.encode(["the cat sat on the mat with a hat"]) - before).max() < 1e-5
    model.encode("x", device="cuda:0")  # the reference moves the model to encode's device
    assert moved_to == ["cuda:1", "cuda:0"]


def test_backend_openvino_runs_the_openvino_engine(tiny_dir: Path) -> None:  # openvino: in the test extra
    model = SentenceTransformer(str(tiny_dir), backend="openvino")
    assert model.encoder.engine.name == "openvino"
    reference = SentenceTransformer(str(tiny_dir), engine="numpy").encode(["the cat sat", "a dog"])
    assert np.abs(model.encode(["the cat sat", "a dog"]) - reference).max() < 1e-5


class CountingEngine:
    """The model's engine, counting the texts it runs."""

    def __init__(self, inner):  # type: ignore[no-untyped-def]
        self.inner, self.rows = inner, 0

    def forward(self, ids, lengths):  # type: ignore[no-untyped-def]
        self.rows += len(ids)
        return self.inner.forward(ids, lengths)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        if name == "pooled":
            raise AttributeError(name)  # every run goes through forward, where it is counted
        return getattr(self.inner, name)


def test_output_value_none_runs_the_model_once(model: SentenceTransformer) -> None:
    texts = ["the cat sat", "a happy person", "hello world today"]
    expected = model.encode(texts)
    model.encoder.engine = counting = CountingEngine(model.encoder.engine)
    features = model.encode(texts, output_value=None)
    assert counting.rows == len(texts)  # one forward pass per text, as the reference's
    for row, feature in zip(expected, features, strict=True):
        np.testing.assert_allclose(feature["sentence_embedding"], row, atol=1e-6, rtol=0)


def test_tensor_outputs_without_torch_name_the_install_line(model: SentenceTransformer, monkeypatch) -> None:
    from minilm.extras import install_line

    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # import torch fails
    with pytest.raises(minilm.MissingExtraError, match="tensor outputs") as caught:
        model.encode("the cat", convert_to_tensor=True)
    assert install_line("train") in str(caught.value) and "pip install torch)" not in str(caught.value)


def test_the_module_view_does_not_import_the_model() -> None:
    import ast

    import minilm.compat.modules as modules

    tree = ast.parse(Path(modules.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "minilm.compat.model" not in imported  # no circle compat.model <-> compat.modules
