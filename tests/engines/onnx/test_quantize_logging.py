"""Building the onnx-int8 graph: ONNX Runtime's pre-processing advice is silenced, every other warning still shows."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import onnxruntime.quantization
import pytest

import minilm
from minilm.engines.onnx import quantize

ADVICE = "pre-processing before quantization"


def _also_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the quantizer log two warnings of its own besides the advice (one on the root logger, one named)."""
    real = onnxruntime.quantization.quantize_dynamic

    def quantize_dynamic(*args: Any, **kwargs: Any) -> None:
        logging.warning("another root warning")
        logging.getLogger("onnxruntime.quantization").warning("a named warning")
        real(*args, **kwargs)

    monkeypatch.setattr(onnxruntime.quantization, "quantize_dynamic", quantize_dynamic)


def test_the_advice_is_gone_and_other_warnings_show(tiny_dir: Path, caplog: pytest.LogCaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    _also_warning(monkeypatch)
    with caplog.at_level(logging.WARNING):
        minilm.load(tiny_dir, engine="onnx-int8")
    messages = [r.getMessage() for r in caplog.records]
    assert "another root warning" in messages and "a named warning" in messages
    assert not [m for m in messages if ADVICE in m]
    assert not [f for f in logging.getLogger().filters if isinstance(f, quantize._PreprocessAdvice)]  # removed


def test_without_the_filter_onnx_runtime_gives_the_advice(tiny_dir: Path, caplog: pytest.LogCaptureFixture,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(quantize, "_without_preprocess_advice", contextlib.nullcontext)
    with caplog.at_level(logging.WARNING):
        minilm.load(tiny_dir, engine="onnx-int8")
    assert [r for r in caplog.records if ADVICE in r.getMessage()]


def test_a_fresh_process_prints_no_advice_and_keeps_its_logging(tiny_dir: Path) -> None:
    """What a user sees on the first onnx-int8 load: no advice on stderr, the quantizer's other warnings still
    printed, and no root handler left behind by the quantizer's logging.warning()."""
    script = textwrap.dedent(f"""
        import logging
        import onnxruntime.quantization as q
        import minilm

        real = q.quantize_dynamic
        def quantize_dynamic(*args, **kwargs):
            logging.warning("another root warning")
            real(*args, **kwargs)
        q.quantize_dynamic = quantize_dynamic
        minilm.load({str(tiny_dir)!r}, engine="onnx-int8")
        print("root handlers:", len(logging.getLogger().handlers))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert ADVICE not in done.stderr
    assert "another root warning" in done.stderr
    assert done.stdout.strip() == "root handlers: 0"
