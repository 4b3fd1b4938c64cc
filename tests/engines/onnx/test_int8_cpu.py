"""The int8 variant follows the CPU's int8 path (cpu.py): flag detection, forcing, cached graphs kept apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import minilm
from minilm.engines.onnx import cpu, engine, store
from minilm.errors import InputError

AVX2_ONLY = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse sse2 avx avx2 fma bmi2\n\n"


def cpuinfo(*extra: str) -> str:
    return AVX2_ONLY.replace("bmi2", " ".join(("bmi2", *extra)))


@pytest.mark.parametrize(
    ("text", "machine", "want"),
    [
        (AVX2_ONLY, "x86_64", cpu.NO_VNNI),
        (cpuinfo("avx512f", "avx512bw"), "x86_64", cpu.NO_VNNI),  # AVX-512 without VNNI still sums in int16
        (cpuinfo("avx512f", "avx512_vnni"), "x86_64", cpu.VNNI),
        (cpuinfo("avx_vnni"), "AMD64", cpu.VNNI),
        (cpuinfo("amx_tile", "amx_int8"), "x86_64", cpu.VNNI),
        (cpuinfo("avx512_vnnix"), "x86_64", cpu.NO_VNNI),  # whole flag names only
        ("", "x86_64", cpu.NO_VNNI),  # no flags line: the variant that is correct everywhere
        (AVX2_ONLY, "aarch64", cpu.VNNI),  # ARM64 kernels sum in 32 bits
        ("", "arm64", cpu.VNNI),
    ],
)
def test_int8_path_from_cpu_flags(text: str, machine: str, want: str) -> None:
    assert cpu.int8_path(text, machine) == want


def test_cpu_flags_reads_the_flags_line() -> None:
    assert cpu.cpu_flags(cpuinfo("avx_vnni")) == {"fpu", "sse", "sse2", "avx", "avx2", "fma", "bmi2", "avx_vnni"}
    assert cpu.cpu_flags("processor : 0\n") == frozenset()


def test_the_variant_is_forced_by_argument_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(engine.VARIANT_ENV, raising=False)
    assert engine.int8_variant() == cpu.int8_path()
    monkeypatch.setenv(engine.VARIANT_ENV, cpu.VNNI)
    assert engine.int8_variant() == cpu.VNNI
    assert engine.int8_variant(cpu.NO_VNNI) == cpu.NO_VNNI
    monkeypatch.setenv(engine.VARIANT_ENV, "avx9")
    with pytest.raises(InputError, match=r"MINILM_INT8_VARIANT 'avx9' is unknown; expected one of \('vnni', "):
        engine.int8_variant()
    with pytest.raises(InputError, match="variant 'u4' is unknown"):
        engine.int8_variant("u4")


def weight_peak(path: Path) -> int:
    """The largest |int8 weight| of a cached int8 graph."""
    model = onnx.load(str(path))
    int8 = [numpy_helper.to_array(t) for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert int8, "the int8 graph has no int8 weights"
    return max(int(np.abs(w.astype(np.int16)).max()) for w in int8)


def test_each_variant_has_its_own_cached_graph(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A graph built for one int8 path is never loaded for the other; 7-bit weights stay within +-64."""
    graphs = {}
    for variant in (cpu.VNNI, cpu.NO_VNNI):
        monkeypatch.setenv(engine.VARIANT_ENV, variant)
        model = minilm.load(tiny_dir, engine="onnx-int8")
        assert model.info()["dtype"] == f"int8 ({engine.RECIPE_NAMES[variant]})"
        assert model.encode(["a happy dog"]).shape == (1, 8)
        graphs[variant] = store.graph_path(model.sha256, f"int8-{engine.RECIPE_NAMES[variant]}")
        assert graphs[variant].is_file()
    assert graphs[cpu.VNNI] != graphs[cpu.NO_VNNI]
    assert weight_peak(graphs[cpu.NO_VNNI]) <= 64 < weight_peak(graphs[cpu.VNNI])


def test_the_flags_agree_with_onnxruntimes_kernel() -> None:
    """The flags' verdict is what ONNX Runtime's u8 x s8 kernel does here (exact sums, or int16 saturation)."""
    assert cpu.int8_path() == cpu.probe_int8_path()


def test_without_cpuinfo_the_kernel_is_probed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cpu, "CPUINFO", tmp_path / "missing")
    assert cpu.int8_path(machine="x86_64") == cpu.probe_int8_path()
