"""scripts/check_readme.py: it runs a README's blocks in order, fails on the first that fails, shows its output,
runs and stops a `minilm serve` line, and finds broken links; each on a tiny repository made here (seconds)."""

from __future__ import annotations

import importlib.util
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT


def load_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_readme", ROOT / "scripts" / "check_readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_readme"] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


check = load_check()


def repo_with(tmp_path: Path, readme: str, docs: dict[str, str] | None = None) -> Path:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "README.md").write_text(readme)
    for name, text in (docs or {}).items():
        (repo / "docs" / name).write_text(text)
    return repo


def fake_minilm(repo: Path) -> None:
    """A `minilm` first on the blocks' PATH whose `serve` answers /health and says its URL on stderr."""
    server = (
        "import http.server, sys\n"
        "port = int(sys.argv[sys.argv.index('--port') + 1])\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200); self.end_headers(); self.wfile.write(b'up')\n"
        "s = http.server.HTTPServer(('127.0.0.1', port), H)\n"
        "print(f'minilm serve: ready at http://127.0.0.1:{port}', file=sys.stderr, flush=True)\n"
        "s.serve_forever()\n"
    )
    (repo / "serve.py").write_text(server)
    script = repo / ".venv" / "bin" / "minilm"
    script.parent.mkdir(parents=True)
    script.write_text(f'#!/bin/sh\nshift\nexec "{sys.executable}" "{repo / "serve.py"}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_blocks_run_in_order_and_python_blocks_see_what_shell_blocks_wrote(tmp_path: Path) -> None:
    readme = "# t\n```bash\necho one > made.txt\n```\ntext\n```python\nprint(open('made.txt').read())\n```\n"
    repo = repo_with(tmp_path, readme)
    servers = check.run_blocks(repo / "README.md", repo, tmp_path, timeout=60)
    assert servers == []
    assert (repo / "made.txt").read_text() == "one\n"


def test_a_failing_block_stops_the_check_and_its_output_is_shown(tmp_path: Path) -> None:
    readme = "```bash\necho before\n```\n\n```bash\necho the-cause >&2\nexit 3\n```\n```bash\ntouch never\n```\n"
    repo = repo_with(tmp_path, readme)
    with pytest.raises(check.CheckError) as caught:
        check.run_blocks(repo / "README.md", repo, tmp_path, timeout=60)
    message = str(caught.value)
    assert "README.md:5 (bash)" in message and "status 3" in message and "the-cause" in message
    assert not (repo / "never").exists()


def test_a_python_error_and_a_timeout_fail(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "```python\nundefined_name\n```\n")
    with pytest.raises(check.CheckError, match="NameError"):
        check.run_blocks(repo / "README.md", repo, tmp_path, timeout=60)
    repo = repo_with(tmp_path / "slow", "```bash\nsleep 30\n```\n")
    with pytest.raises(check.CheckError, match="ran past 1 s"):
        check.run_blocks(repo / "README.md", repo, tmp_path, timeout=1)


def test_a_block_of_another_kind_or_unclosed_is_refused() -> None:
    with pytest.raises(check.CheckError, match="README.md:3: a ```text block"):
        check.blocks("a\n\n```text\nnot run\n```\n")
    with pytest.raises(check.CheckError, match="never closed"):
        check.blocks("```bash\necho\n")
    assert [b.kind for b in check.blocks("````bash\n```\n````\n```py\n```\n".replace("py", "python"))] == [
        "bash",
        "python",
    ]


def test_a_serve_line_runs_in_the_background_until_ready_and_is_stopped(tmp_path: Path) -> None:
    port = free_port()
    readme = (
        f"```bash\nminilm serve --port {port}   # a comment\necho after > after.txt\n```\n"
        f"```python\nimport urllib.request\nprint(urllib.request.urlopen('http://127.0.0.1:{port}/health').read())\n```\n"
    )
    repo = repo_with(tmp_path, readme)
    fake_minilm(repo)
    servers = check.run_blocks(repo / "README.md", repo, tmp_path, timeout=60)
    assert len(servers) == 1 and servers[0].process.poll() is None
    assert (repo / "after.txt").exists()
    servers[0].stop()
    assert servers[0].process.poll() is not None


def test_the_blocks_get_a_fresh_home_and_the_copy_s_venv_first(tmp_path: Path) -> None:
    env = check.environment(tmp_path / "repo", tmp_path / "home")
    assert env["HOME"] == str(tmp_path / "home") and env["HF_HUB_OFFLINE"] == "1"
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "repo" / ".venv" / "bin")
    assert str(ROOT / ".venv" / "bin") not in env["PATH"].split(os.pathsep)


def test_broken_links_and_unlisted_pages_are_found(tmp_path: Path) -> None:
    readme = "[ok](docs/a.md#the-part) [gone](docs/missing.md) [bad anchor](docs/a.md#nowhere) [web](https://x.y)\n"
    docs = {"a.md": "# A\n## The part\n`[not a link](nope.md)`\n", "b.md": "# B\n[up](../README.md)\n"}
    repo = repo_with(tmp_path, readme, {**docs, "README.md": "[a](a.md)\n"})
    problems = check.broken_links(repo)
    assert any("docs/missing.md does not exist" in p for p in problems)
    assert any("has no heading #nowhere" in p for p in problems)
    assert any("does not list docs/b.md" in p for p in problems)
    assert len(problems) == 3


def test_the_repository_s_own_links_resolve() -> None:
    assert check.broken_links(ROOT) == []


def test_the_tracked_files_are_copied_and_nothing_else(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "x\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "README.md"], check=True)
    (repo / "untracked.txt").write_text("no")
    copy = check.fresh_copy(repo, tmp_path / "out", head=False)
    assert sorted(p.name for p in copy.iterdir()) == ["README.md"]
