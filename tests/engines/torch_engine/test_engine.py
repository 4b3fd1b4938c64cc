"""The torch engine on a tiny random model: agreement with numpy on every path, device/dtype options, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm import engines
from minilm.batching import pad
from minilm.encoder import Encoder, pooled_batches
from minilm.engines.base import BatchHints
from minilm.engines.torch_engine import devices
from minilm.errors import InputError
from minilm.pooling import pool
from tests.conftest import write_tiny_model

TEXTS = ["the cat sat on the mat", "hello world", "a", "the happy dog is running today !", "that cat", "é ?"]


@pytest.fixture
def tiny_torch(tiny_dir: Path):  # type: ignore[no-untyped-def]
    return minilm.load(tiny_dir, engine="torch", device="cpu")


@pytest.mark.parametrize("pooling", ["mean", "cls", "max", "mean_sqrt_len"])
def test_pooling_modes_match_numpy(tmp_path: Path, pooling: str) -> None:
    folder = write_tiny_model(tmp_path / pooling, pooling=pooling, normalize=False)
    ours = minilm.load(folder, engine="torch", device="cpu").encode(TEXTS)
    reference = minilm.load(folder, engine="numpy").encode(TEXTS)
    assert np.abs(ours - reference).max() < 1e-5


def test_forward_and_pooled_paths_agree(tiny_torch) -> None:
    ids, lens = pad(tiny_torch.tokenize(TEXTS), tiny_torch.tokenizer.pad_id)
    engine = tiny_torch.engine
    assert callable(engine.pooled)  # pooled_batches takes the engine's own, on-device path
    (on_device,) = pooled_batches(engine, [(ids, lens)], "mean")
    states = engine.forward(ids, lens)  # (B, T, H)
    assert states.shape == (*ids.shape, 8) and states.dtype == np.float32
    assert np.abs(on_device - pool(states, lens, "mean")).max() < 1e-6


def test_pooled_keeps_batch_order_across_the_pipeline(tiny_torch) -> None:
    units = tiny_torch.tokenize(TEXTS)
    batches = [pad(units[i : i + 2], tiny_torch.tokenizer.pad_id) for i in range(0, 6, 2)]
    pipelined = list(tiny_torch.engine.pooled(batches, "mean"))
    one_by_one = [next(iter(tiny_torch.engine.pooled([b], "mean"))) for b in batches]
    assert [p.shape for p in pipelined] == [(2, 8)] * 3
    assert np.abs(np.concatenate(pipelined) - np.concatenate(one_by_one)).max() == 0


def test_accelerator_hints_cut_blocks_and_batches_without_changing_vectors(tiny_dir: Path, tiny) -> None:
    model = minilm.load(tiny_dir, engine="torch", device="cpu")
    model.engine.batch_hints = BatchHints(max_tokens=24, min_rows=4, block=5)  # as on a GPU, scaled down
    hinted = Encoder(model.name, model.folder, model.tokenizer, model.engine, model.sha256, "path")
    assert (hinted.max_tokens, hinted.min_rows, hinted.block) == (24, 4, 5)
    texts = TEXTS * 3  # 18 texts: four blocks of up to 5, batches of up to 24 padded tokens
    assert np.abs(hinted.encode(texts, batch_size=1) - tiny.encode(texts)).max() < 1e-5


def test_info_reports_device_and_dtype(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)  # the pool is per process: leave it to others
    info = minilm.load(tiny_dir, engine="torch", device="cpu", dtype="bfloat16", threads=1).info()
    assert (info["engine"], info["device"], info["dtype"], info["threads"]) == ("torch", "cpu", "bfloat16", 1)
    assert "device" not in minilm.load(tiny_dir, engine="numpy").info()


@pytest.mark.usefixtures("no_gpu")
def test_auto_keeps_the_cpu_default_without_cuda(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert engines.auto_order() == engines.AUTO_ORDER
    assert minilm.load(tiny_dir).engine.name != "torch"
    monkeypatch.setattr(devices, "gpu_present", lambda: True)
    assert engines.auto_order() == ["torch", *engines.AUTO_ORDER]


def test_auto_with_device_or_dtype_means_torch(tiny_dir: Path) -> None:
    model = minilm.load(tiny_dir, device="cpu", dtype="float16")
    assert (model.engine.name, model.info()["dtype"]) == ("torch", "float16")
    assert model.encode("hello world").shape == (8,)


@pytest.mark.usefixtures("no_gpu")
def test_cuda_without_a_cuda_device_is_a_clear_error(tiny_dir: Path) -> None:
    with pytest.raises(InputError, match=r"device 'cuda': torch .* sees no CUDA device; install the CUDA build"):
        minilm.load(tiny_dir, engine="torch", device="cuda")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"dtype": "float64"}, r"dtype 'float64' is unknown; expected one of \('float32', 'float16', 'bfloat16'\)"),
        ({"dtype": "fp16"}, r"dtype 'fp16' is unknown"),
        ({"device": "gpu"}, r"device 'gpu' is unknown"),
        ({"device": "cuda:x"}, r"device 'cuda:x' is unknown"),
        ({"threads": 0}, r"threads must be a positive int"),
    ],
)
def test_bad_options_name_themselves(tiny_dir: Path, option: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        minilm.load(tiny_dir, engine="torch", **option)  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ["numpy", "onnx"])
@pytest.mark.parametrize("option", [{"device": "cuda"}, {"dtype": "float16"}, {"device": "cpu"}])
def test_device_or_dtype_with_another_engine_is_refused(tiny_dir: Path, engine: str, option: dict[str, str]) -> None:
    key, value = next(iter(option.items()))
    with pytest.raises(InputError, match=rf"engine '{engine}' does not take {key}='{value}'; only these engines do"):
        minilm.load(tiny_dir, engine=engine, **option)  # type: ignore[arg-type]


def test_unknown_option_with_auto_is_refused(tiny_dir: Path) -> None:
    from minilm.engines.base import Checkpoint

    with pytest.raises(InputError, match=r"no engine takes all of \['precision'\]"):
        engines.create("auto", Checkpoint(None, ""), precision="half")  # type: ignore[arg-type]


def test_fill_cuts_sorted_rows_within_the_budget() -> None:
    from minilm.batching import fill

    lengths = [3, 40, 7, 7, 12, 1, 50, 9]
    cuts = list(fill(lengths, batch_size=3, max_tokens=40))
    assert sorted(int(i) for rows in cuts for i in rows) == list(range(len(lengths)))
    assert [[lengths[i] for i in rows] for rows in cuts] == [[50], [40], [12, 9, 7], [7, 3, 1]]
    assert all(len(rows) * max(lengths[i] for i in rows) <= 40 or len(rows) == 1 for rows in cuts)
