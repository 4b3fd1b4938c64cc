"""Which int8 kernels ONNX Runtime will run on this CPU, from the CPU's feature flags.

On x86, ONNX Runtime's u8 x s8 kernels use VPDPBUSD (32-bit sums) where the CPU has AVX-512 VNNI, AVX-VNNI or
AMX-INT8, and otherwise VPMADDUBSW, which adds pairs of u8 x s8 products into int16 with saturation: full-range
s8 weights times large u8 activations overflow it and the vectors silently get worse (docs/int8.md, "CPUs
without VNNI"). On ARM64 the int8 kernels (SDOT/UDOT, or widening multiplies) accumulate in 32 bits, so
full-range weights are safe there. ONNX Runtime does not report which kernel it picked, so the flags decide;
where they cannot be read, a tiny MatMulInteger run shows whether the kernel saturates (probe_int8_path).
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np

VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})  # /proc/cpuinfo names of the 32-bit-sum paths
VNNI = "vnni"  # int8 products summed in 32 bits: full-range s8 weights are safe
NO_VNNI = "no-vnni"  # VPMADDUBSW's int16 pair sums: weights must leave headroom
X86 = frozenset({"x86_64", "amd64", "i386", "i686", "x86"})
CPUINFO = Path("/proc/cpuinfo")


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The feature flags of /proc/cpuinfo text (the first processor's "flags" line; empty if none)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def int8_path(cpuinfo: str | None = None, machine: str | None = None) -> str:
    """VNNI or NO_VNNI for this CPU (or for the given /proc/cpuinfo text and platform.machine() value).

    Non-x86 machines (ARM64) count as VNNI; on an x86 machine without /proc/cpuinfo (Windows, macOS) the
    kernel is probed.
    """
    machine = (machine if machine is not None else platform.machine()).lower()
    if machine not in X86:
        return VNNI
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text()
        except OSError:
            return probe_int8_path()
    return VNNI if cpu_flags(cpuinfo) & VNNI_FLAGS else NO_VNNI


def probe_int8_path() -> str:
    """VNNI if ONNX Runtime's u8 x s8 kernel sums 255 * 127 + 255 * 127 exactly here, NO_VNNI if it saturates."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    k = 64  # (1, k) u8 @ (k, 1) s8: one dot product of k products, all 255 * 127
    weights = numpy_helper.from_array(np.full((k, 1), 127, np.int8), "b")
    node = helper.make_node("MatMulInteger", ["a", "b"], ["y"])
    a = helper.make_tensor_value_info("a", TensorProto.UINT8, [1, k])
    y = helper.make_tensor_value_info("y", TensorProto.INT32, [1, 1])
    model = helper.make_model(helper.make_graph([node], "probe", [a], [y], [weights]),
                              opset_imports=[helper.make_opsetid("", 13)])  # fmt: skip
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(["y"], {"a": np.full((1, k), 255, np.uint8)})[0]
    return VNNI if int(got[0, 0]) == k * 255 * 127 else NO_VNNI
