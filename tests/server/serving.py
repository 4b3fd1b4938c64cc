"""Starting and stopping real `minilm serve` processes on 127.0.0.1, each on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Server:
    """A running server process: its base URL and the process itself."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def metric(self, name: str) -> float:
        """The sum of a Prometheus metric's samples (all label values)."""
        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(name) and (line[len(name)] in " {")
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(tmp: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 90) -> Server:
    """Start `minilm serve` on a free loopback port and wait until /health says ok."""
    port = free_port()
    log = tmp / f"server-{port}.log"
    environment = {**os.environ, "MINILM_HOME": str(tmp / "minilm-home"), "MINILM_OFFLINE": "1", **(env or {})}
    cmd = [sys.executable, "-m", "minilm.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--engine", "numpy", "--offline", *args]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=environment)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return Server(url, process, log)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server not ready after {timeout} s:\n{log.read_text()}")


def stop_server(server: Server) -> int:
    """SIGTERM (graceful shutdown), then wait; returns the exit status."""
    server.process.terminate()
    try:
        return server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        raise
