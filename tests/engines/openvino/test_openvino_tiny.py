"""The OpenVINO engines behind minilm.load on the tiny model: fp32 against numpy, the int8 model's cache, the
"int8" alias, threads, and the error when the extra is missing."""

from __future__ import annotations

import builtins
import threading
from pathlib import Path

import numpy as np
import pytest

import minilm
from minilm.checkpoint.cache import minilm_home
from minilm.engines import int8 as int8_alias
from minilm.engines.openvino import engine, quantize, store
from minilm.errors import InputError, MissingExtraError
from tests.conftest import write_tiny_model

TEXTS = ["the cat sat on the mat", "a happy dog", "hello world !", "today is a sunny day , is that so ?", ""]


@pytest.fixture(scope="module")
def int8_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(tiny model folder, minilm home) with the tiny model's int8 model built there once for the module."""
    folder = write_tiny_model(tmp_path_factory.mktemp("tiny-int8"))
    home = tmp_path_factory.mktemp("home-int8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINILM_HOME", str(home))
        minilm.load(folder, engine="openvino-int8")
    return folder, home


def test_fp32_matches_numpy(tiny_dir: Path) -> None:
    model = minilm.load(tiny_dir, engine="openvino")
    assert model.info()["engine"] == "openvino"
    reference = minilm.load(tiny_dir, engine="numpy")
    np.testing.assert_allclose(model.encode(TEXTS), reference.encode(TEXTS), atol=1e-5, rtol=0)
    for got, want in zip(model.encode(TEXTS, output="token"), reference.encode(TEXTS, output="token"), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_threads_are_explicit_and_checked(tiny_dir: Path) -> None:
    assert minilm.load(tiny_dir, engine="openvino", threads=1).info()["threads"] == 1
    with pytest.raises(InputError, match="threads"):
        minilm.load(tiny_dir, engine="openvino", threads=0)


def _no_rebuild(*args: object) -> None:
    raise AssertionError("the cached int8 model should have been used")


def test_int8_is_built_once_and_cached(int8_home: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    folder, home = int8_home
    monkeypatch.setenv("MINILM_HOME", str(home))
    monkeypatch.setattr(quantize, "build", _no_rebuild)
    model = minilm.load(folder, engine="openvino-int8")
    path = store.model_path(model.sha256, engine.RECIPE_NAME)
    assert path.is_file() and path.with_suffix(".bin").is_file() and path.parent == minilm_home() / "openvino"
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temporary left over
    reference = minilm.load(folder, engine="numpy").encode(TEXTS[:4])
    assert np.sum(model.encode(TEXTS[:4]) * reference, axis=1).min() > 0.9  # int8 of these weights, not noise


def test_recipe_name_is_the_recipe(tiny_dir: Path) -> None:
    assert quantize.RECIPE.name == engine.RECIPE_NAME


def test_runs_from_several_threads_agree(tiny_dir: Path) -> None:
    model = minilm.load(tiny_dir, engine="openvino")
    want = model.encode(TEXTS)
    got: list[np.ndarray] = []
    workers = [threading.Thread(target=lambda: got.append(model.encode(TEXTS))) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(got) == 4 and all(np.array_equal(g, want) for g in got)


def _without(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """Make `import module` fail as if the extra were not installed."""
    real = builtins.__import__

    def fake(name: str, *args: object, **kwargs: object) -> object:
        if name == module or name.startswith(module + "."):
            raise ImportError(f"No module named {module!r}")
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", fake)
    monkeypatch.delitem(__import__("sys").modules, module, raising=False)


@pytest.mark.parametrize("kind", ["openvino", "openvino-int8"])
def test_missing_extra_names_the_install(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    _without(monkeypatch, "openvino")
    with pytest.raises(MissingExtraError, match=r"pip install '\.\[openvino\]'"):
        minilm.load(tiny_dir, engine=kind)


def test_building_int8_without_nncf_names_the_install(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _without(monkeypatch, "nncf")
    with pytest.raises(MissingExtraError, match=r"\(nncf\) needs the openvino extra: pip install '\.\[openvino\]'"):
        minilm.load(tiny_dir, engine="openvino-int8")


def test_int8_alias_picks_the_fastest_int8_engine(int8_home: tuple[Path, Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    folder, home = int8_home
    monkeypatch.setenv("MINILM_HOME", str(home))
    monkeypatch.setattr(quantize, "build", _no_rebuild)
    # onnx-int8 was measured faster than openvino-int8 (docs/int8.md): the alias picks it with openvino installed
    assert minilm.load(folder, engine="int8").info()["engine"] == "onnx-int8"
    monkeypatch.setattr(int8_alias, "ORDER", ("openvino-int8", "onnx-int8"))
    assert minilm.load(folder, engine="int8").info()["engine"] == "openvino-int8"


def test_int8_alias_skips_an_engine_whose_extra_is_missing(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _without(monkeypatch, "openvino")
    monkeypatch.setattr(int8_alias, "ORDER", ("openvino-int8", "onnx-int8"))
    assert minilm.load(tiny_dir, engine="int8").info()["engine"] == "onnx-int8"


def test_unwritable_cache_still_builds(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MINILM_HOME", str(blocker / "home"))  # mkdir under a file fails
    reference = minilm.load(tiny_dir, engine="numpy").encode(TEXTS)
    np.testing.assert_allclose(minilm.load(tiny_dir, engine="openvino").encode(TEXTS), reference, atol=1e-5, rtol=0)


@pytest.mark.parametrize(("path", "warned"), [("no-vnni", True), ("vnni", False)])
def test_int8_on_a_cpu_without_vnni_says_it_is_no_faster(
    int8_home: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, path: str,
    warned: bool,
) -> None:  # fmt: skip
    from minilm.engines.onnx import cpu

    folder, home = int8_home
    monkeypatch.setenv("MINILM_HOME", str(home))
    monkeypatch.setattr(cpu, "int8_path", lambda: path)
    with caplog.at_level("WARNING", logger="minilm.engines.openvino.engine"):
        minilm.load(folder, engine="openvino-int8")
    assert (engine.NO_VNNI_NOTE in caplog.text) is warned
