"""The onnx engines behind minilm.load: registration, cache, threads, several encoders at once (tiny model)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm.checkpoint.cache import minilm_home
from minilm.engines.onnx import engine, store
from minilm.engines.onnx.session import default_threads, session_options
from minilm.errors import InputError

TEXTS = ["the cat sat on the mat", "a happy dog", "hello world !", "today is a sunny day , is that so ?", ""]


def test_auto_picks_onnx_and_matches_numpy(tiny_dir: Path) -> None:
    fast = minilm.load(tiny_dir)
    assert fast.info()["engine"] == "onnx"
    reference = minilm.load(tiny_dir, engine="numpy")
    np.testing.assert_allclose(fast.encode(TEXTS), reference.encode(TEXTS), atol=1e-5, rtol=0)
    for got, want in zip(fast.encode(TEXTS, output="token"), reference.encode(TEXTS, output="token"), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_threads_are_explicit_and_reported(tiny_dir: Path) -> None:
    assert minilm.load(tiny_dir, engine="onnx", threads=1).info()["threads"] == 1
    assert minilm.load(tiny_dir, engine="onnx").info()["threads"] >= 1
    with pytest.raises(InputError, match="threads"):
        minilm.load(tiny_dir, engine="onnx", threads=0)


def test_session_options_are_the_engines() -> None:
    """What benchmarks start from (session_options) is what the engines run: explicit threads, no spinning."""
    options = session_options(3)
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (3, 1)
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_graph_is_cached_by_digest_and_reused(tiny_dir: Path) -> None:
    first = minilm.load(tiny_dir, engine="onnx")
    path = store.graph_path(first.sha256, "fused")
    assert path.is_file() and path.parent == minilm_home() / "onnx"
    stamp = path.stat().st_mtime_ns
    minilm.load(tiny_dir, engine="onnx")
    assert path.stat().st_mtime_ns == stamp  # reused, not rewritten
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temporary left over


def test_a_stale_cache_entry_is_not_used_for_other_weights(tmp_path: Path) -> None:
    from tests.conftest import write_tiny_model

    a = minilm.load(write_tiny_model(tmp_path / "a", seed=1), engine="onnx")
    b = minilm.load(write_tiny_model(tmp_path / "b", seed=2), engine="onnx")
    assert a.sha256 != b.sha256
    assert not np.allclose(a.encode(TEXTS[:2]), b.encode(TEXTS[:2]), atol=1e-3)


def test_unwritable_cache_still_builds(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MINILM_HOME", str(blocker / "home"))  # mkdir under a file fails
    model = minilm.load(tiny_dir, engine="onnx")
    assert model.encode("hello world").shape == (8,)


def test_int8_engine_runs_close_to_fp32(tiny_dir: Path) -> None:
    int8, fp32 = minilm.load(tiny_dir, engine="onnx-int8"), minilm.load(tiny_dir, engine="onnx")
    assert int8.info()["engine"] == "onnx-int8"
    cosine = np.sum(int8.encode(TEXTS) * fp32.encode(TEXTS), axis=1)
    assert cosine.min() > 0.9  # random tiny weights: a loose bound; the real model's bar is in test_onnx_real


def test_several_encoders_in_threads_agree_with_serial(tiny_dir: Path) -> None:
    models = [minilm.load(tiny_dir, engine="onnx"), minilm.load(tiny_dir, engine="onnx", threads=1)]
    want = models[0].encode(TEXTS * 20)
    got: list[np.ndarray] = []

    def work(model: minilm.Encoder) -> None:
        got.append(model.encode(TEXTS * 20, batch_size=4))

    workers = [threading.Thread(target=work, args=(m,)) for m in models * 2]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(got) == 4
    for vectors in got:
        np.testing.assert_allclose(vectors, want, atol=1e-6, rtol=0)


def test_int8_cache_names_follow_the_recipes() -> None:
    from minilm.engines.onnx import quantize

    assert {path: recipe.name for path, recipe in quantize.VARIANTS.items()} == engine.RECIPE_NAMES
    assert len(set(engine.RECIPE_NAMES.values())) == len(engine.RECIPE_NAMES)


def test_runs_of_different_engines_never_overlap(tiny_dir: Path) -> None:
    """The core budget: an engine on all cores runs alone; runs of the same engine may share its pool."""
    models = [minilm.load(tiny_dir, engine="onnx"), minilm.load(tiny_dir, engine="onnx-int8")]
    active: dict[int, int] = {}
    peak, guard = [0], threading.Lock()

    class Counting:
        def __init__(self, session, key: int):  # type: ignore[no-untyped-def]
            self.session, self.key = session, key

        def run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            with guard:
                active[self.key] = active.get(self.key, 0) + 1
                peak[0] = max(peak[0], sum(1 for n in active.values() if n))  # engines running at once
            try:
                return self.session.run(*args, **kwargs)
            finally:
                with guard:
                    active[self.key] -= 1

    for k, m in enumerate(models):
        assert m.engine.threads == default_threads()  # all cores: another engine's run must wait
        m.engine.session = Counting(m.engine.session, k)  # type: ignore[attr-defined]
    workers = [threading.Thread(target=m.encode, args=(TEXTS * 30,), kwargs={"batch_size": 2}) for m in models * 2]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert peak[0] == 1
