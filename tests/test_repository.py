"""The repository tests itself: its own data, the checkout's code, and a session that leaves the user's home alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import minilm
from tests.conftest import GOLDEN, ROOT, SessionHome, digests_stamp

SIBLING_DATA = re.compile(r"""\.\./shared|/ ["']shared["']|["']shared["'] /""")


def test_a_session_scoped_real_model_load_leaves_the_real_user_cache_alone(
    real_model: Any, session_home: SessionHome
) -> None:
    """real_model is loaded before any per-test redirect: its digest memo lands in the session's home."""
    weights = str(Path(real_model.folder.path, "model.safetensors").resolve())
    session_memo = json.loads((session_home.root / ".cache" / "minilm" / "digests.json").read_text())
    assert session_memo[weights]["sha256"] == real_model.sha256
    assert not session_home.real_minilm_home.resolve().is_relative_to(session_home.root.resolve())
    assert digests_stamp(session_home.real_minilm_home) == session_home.real_digests


def test_a_fresh_session_writes_nothing_into_a_known_real_home(tmp_path: Path) -> None:
    """A whole pytest session, run with HOME pointing at an empty folder and no cache variables set: the
    session-scoped real-model load and the test leave that home as empty as they found it."""
    home = tmp_path / "real-home"
    home.mkdir()
    cleared = ("MINILM_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "HF_HOME", "HF_HUB_CACHE")
    env = {k: v for k, v in os.environ.items() if k not in cleared} | {
        "HOME": str(home),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    inner = f"{Path(__file__).relative_to(ROOT)}::test_the_golden_set_was_made_from_the_weights_the_tests_load"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", inner], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert list(home.iterdir()) == []


def test_child_processes_inherit_the_session_home(session_home: SessionHome, tmp_path: Path) -> None:
    """What a subprocess or a Ray worker started by a test resolves as its home and minilm cache."""
    env = {k: v for k, v in os.environ.items() if k != "MINILM_HOME"}
    code = "import pathlib, minilm.checkpoint.cache as c; print(pathlib.Path.home()); print(c.minilm_home())"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         check=True, timeout=60).stdout.split("\n")  # fmt: skip
    assert Path(out[0]) == session_home.root
    assert Path(out[1]) == session_home.root / ".cache" / "minilm"


def test_minilm_is_imported_from_this_checkout(tmp_path: Path) -> None:
    """One editable install: the tests and every python they start import src/, never an installed copy."""
    src = (ROOT / "src").resolve()
    assert Path(minilm.__file__).resolve().is_relative_to(src)
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep))
    out = subprocess.run([sys.executable, "-c", "import minilm; print(minilm.__file__)"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, check=True, timeout=60).stdout  # fmt: skip
    assert Path(out.strip()).resolve().is_relative_to(src)


def test_no_test_reads_data_beside_the_checkout() -> None:
    """Tests read tests/data; a clone alone has everything they need."""
    readers = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "tests").rglob("*.py"))
               if p.name != Path(__file__).name and SIBLING_DATA.search(p.read_text(encoding="utf-8"))]  # fmt: skip
    assert readers == []


def test_the_golden_set_was_made_from_the_weights_the_tests_load(real_model: Any, golden: Any) -> None:
    meta = json.loads((GOLDEN / "all-MiniLM-L6-v2.json").read_text(encoding="utf-8"))
    assert meta["weights_sha256"] == real_model.sha256
    assert meta["reference"].startswith("sentence-transformers ")
    texts, ids, vectors = golden
    assert vectors.shape == (len(texts), 384) and len(ids) == len(texts) == 297
