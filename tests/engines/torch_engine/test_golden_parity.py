"""The torch engine on the real weights against the golden set (tests/data/golden) and the numpy engine (CPU)."""

from __future__ import annotations

import numpy as np
import pytest

import minilm

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def torch_fp32():  # type: ignore[no-untyped-def]
    return minilm.load(engine="torch", device="cpu", dtype="float32", allow_download=False)


@pytest.fixture(scope="module")
def fp32_golden(torch_fp32, golden) -> np.ndarray:  # type: ignore[no-untyped-def]
    return torch_fp32.encode(golden[0])


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_fp32_matches_golden_and_numpy_on_every_element(torch_fp32, fp32_golden, real_model, golden) -> None:
    texts, reference_ids, reference = golden
    assert torch_fp32.tokenize(texts) == reference_ids
    ours = fp32_golden
    assert ours.shape == reference.shape == (297, 384) and ours.dtype == np.float32
    assert np.abs(ours - reference).max() < 1e-5
    assert np.abs(ours - real_model.encode(texts)).max() < 1e-5


def test_fp32_token_states_match_numpy(torch_fp32, real_model, golden) -> None:
    sample = golden[0][:6] + golden[0][-2:]  # short edge cases and abstracts at the 256-token limit
    ours = torch_fp32.encode(sample, output="token")
    reference = real_model.encode(sample, output="token")
    assert [s.shape for s in ours] == [s.shape for s in reference]
    assert max(float(np.abs(a - b).max()) for a, b in zip(ours, reference, strict=True)) < 1e-4


def test_bf16_on_cpu_stays_close_to_fp32(fp32_golden, golden) -> None:
    texts, _, _ = golden
    bf16 = minilm.load(engine="torch", device="cpu", dtype="bfloat16", allow_download=False)
    assert bf16.info()["dtype"] == "bfloat16"
    low = bf16.encode(texts)
    assert low.dtype == np.float32
    found = cosines(low, fp32_golden)
    assert found.min() >= 0.999
    assert found.min() < 0.999999  # bf16 really ran: its vectors differ from fp32's


def test_vector_does_not_depend_on_its_batch(torch_fp32, golden) -> None:
    texts, _, _ = golden
    sample = texts[:6] + texts[-2:]  # mixed lengths: short texts padded to 256-token abstracts in one batch
    together = torch_fp32.encode(sample, batch_size=8)
    alone = np.stack([torch_fp32.encode(t) for t in sample])
    assert np.abs(together - alone).max() < 1e-6
    assert np.abs(together - torch_fp32.encode(sample[::-1], batch_size=3)[::-1]).max() < 1e-6
