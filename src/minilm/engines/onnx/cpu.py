"""Which int8 kernels ONNX Runtime will run on this CPU, from the CPU's feature flags.

On x86, ONNX Runtime's u8 x s8 kernels use VPDPBUSD (32-bit sums) where the CPU has AVX-512 VNNI, AVX-VNNI or
AMX-INT8, and otherwise VPMADDUBSW, which adds pairs of u8 x s8 products into int16 with saturation: full-range
s8 weights times large u8 activations overflow it and the vectors silently get worse (docs/int8.md, "CPUs
without VNNI"). On ARM64 the int8 kernels (SDOT/UDOT, or widening multiplies) accumulate in 32 bits, so
full-range weights are safe there. ONNX Runtime does not report which kernel it picked, so the flags decide.
"""

from __future__ import annotations

import platform
from pathlib import Path

VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})  # /proc/cpuinfo names of the 32-bit-sum paths
VNNI = "vnni"  # int8 products summed in 32 bits: full-range s8 weights are safe
NO_VNNI = "no-vnni"  # VPMADDUBSW's int16 pair sums: weights must leave headroom
X86 = frozenset({"x86_64", "amd64", "i386", "i686", "x86"})


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The feature flags of /proc/cpuinfo text (the first processor's "flags" line; empty if none)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def int8_path(cpuinfo: str | None = None, machine: str | None = None) -> str:
    """VNNI or NO_VNNI for this CPU (or for the given /proc/cpuinfo text and platform.machine() value).

    Non-x86 machines (ARM64) count as VNNI; an x86 machine whose flags cannot be read counts as NO_VNNI, whose
    7-bit weights are correct on every CPU.
    """
    machine = (machine if machine is not None else platform.machine()).lower()
    if machine not in X86:
        return VNNI
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return NO_VNNI
    return VNNI if cpu_flags(cpuinfo) & VNNI_FLAGS else NO_VNNI
