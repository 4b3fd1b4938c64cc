"""`minilm serve`'s wiring without binding a socket: flags to config, the open-interface warning, key files,
and the message when the server extra is missing."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from minilm.cli.main import main
from minilm.errors import InputError
from minilm.server.config import ServerConfig, read_api_keys


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """uvicorn.Server.run replaced by a recorder: the command builds its app and uvicorn config and returns."""
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(server: uvicorn.Server, sockets: Any = None) -> None:
        seen["app"], seen["config"], seen["sockets"] = server.config.app, server.config, sockets

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    return seen


def test_flags_reach_the_app(captured: dict[str, Any], tiny_dir: Path) -> None:
    code = main(["serve", "--model", str(tiny_dir), "--port", "9123", "--max-inputs", "16", "--max-queue", "32",
                 "--cors-origin", "https://a.example", "--engine", "numpy"])  # fmt: skip
    assert code == 0
    config = captured["app"].state.service.config
    assert (config.port, config.max_inputs, config.max_queue, config.cors_origins) == (
        9123, 16, 32, ("https://a.example",))  # fmt: skip
    assert captured["config"].host == "127.0.0.1" and captured["config"].port == 9123


def test_connection_limits_reach_uvicorn(captured: dict[str, Any], tiny_dir: Path) -> None:
    from minilm.server.connections import HeaderDeadline

    main(["serve", "--model", str(tiny_dir), "--header-timeout", "3", "--body-timeout", "7", "--keep-alive", "2",
          "--max-connections", "40", "--engine", "numpy"])  # fmt: skip
    uvicorn_config, config = captured["config"], captured["app"].state.service.config
    assert (uvicorn_config.timeout_keep_alive, uvicorn_config.limit_concurrency) == (2, 40)
    assert issubclass(uvicorn_config.http, HeaderDeadline) and uvicorn_config.http.header_timeout_s == 3
    assert (config.header_timeout_s, config.body_timeout_s) == (3, 7)


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_ports_outside_the_range_are_refused(port: str, tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--model", str(tiny_dir), "--port", port])
    assert exit_info.value.code == 2
    assert "--port" in capsys.readouterr().err


def test_port_zero_logs_the_port_it_listens_on(tmp_path: Path, tiny_dir: Path) -> None:
    """The real command: --port 0 binds a free port and says which; that port answers."""
    import os
    import re
    import time

    import httpx

    log = tmp_path / "serve.log"
    env = {**os.environ, "MINILM_HOME": str(tmp_path / "home"), "MINILM_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "minilm.cli.main", "serve", "--port", "0", "--model", str(tiny_dir), "--engine",
           "numpy", "--offline"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        for _ in range(600):
            found = re.search(r"--port 0: listening on http://127\.0\.0\.1:(\d+)", log.read_text())
            if found or process.poll() is not None:
                break
            time.sleep(0.1)
        assert found, log.read_text()
        assert 0 < int(found.group(1)) < 65536
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{found.group(1)}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{found.group(1)}/health", timeout=5).json()["status"] == "ok"
    finally:
        process.terminate()
        process.wait(30)


def test_open_public_interface_warns(captured: dict[str, Any], tiny_dir: Path, caplog: pytest.LogCaptureFixture,
                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="minilm.serve"):
        main(["serve", "--model", str(tiny_dir), "--host", "0.0.0.0"])
    assert "no API key" in caplog.text
    caplog.clear()
    keys = tmp_path / "keys"
    keys.write_text("# team keys\nsecret-1\n\nsecret-2\n")
    with caplog.at_level(logging.WARNING, logger="minilm.serve"):
        main(["serve", "--model", str(tiny_dir), "--host", "0.0.0.0", "--api-key-file", str(keys)])
    assert "no API key" not in caplog.text
    assert captured["app"].state.service.config.api_keys == {"secret-1", "secret-2"}


def test_key_sources_and_errors(tmp_path: Path) -> None:
    assert read_api_keys(" a, b ,,") == {"a", "b"}
    with pytest.raises(InputError, match="could not be read"):
        read_api_keys(None, tmp_path / "missing")
    (tmp_path / "empty").write_text("# nothing\n")
    with pytest.raises(InputError, match="holds no key"):
        read_api_keys(None, tmp_path / "empty")


def test_key_file_format(tmp_path: Path) -> None:
    """UTF-8 with or without a BOM, '#' starts a comment anywhere on a line, a key is Bearer-token characters."""
    keys = tmp_path / "keys"
    keys.write_bytes("\ufeffalpha-1 # first\n\tbeta/2+==\t#second\n#gamma\n".encode())
    assert read_api_keys(None, keys) == {"alpha-1", "beta/2+=="}
    keys.write_text("good\nhas space\n")
    with pytest.raises(InputError, match=r"line 2: the key holds ' ' \(U\+0020\) at position 3") as caught:
        read_api_keys(None, keys)
    assert "has" not in str(caught.value).split(":", 1)[1]  # the key itself is never repeated
    keys.write_bytes(b"\xff\xfekey\n")
    with pytest.raises(InputError, match="is not UTF-8"):
        read_api_keys(None, keys)
    with pytest.raises(InputError, match=r"\$MINILM_API_KEYS item 2: the key holds '\\ufeff'"):
        read_api_keys("ok,\ufeffbad")


def test_config_checks_its_limits() -> None:
    assert ServerConfig(host="127.0.0.2").is_loopback and ServerConfig(host="::1").is_loopback
    assert not ServerConfig(host="0.0.0.0").is_loopback
    with pytest.raises(InputError, match="max_queue"):
        ServerConfig(max_queue=10, max_inputs=20)
    with pytest.raises(InputError, match="max_batch_tokens must be a positive int"):
        ServerConfig(max_batch_tokens=0)
    with pytest.raises(InputError, match="port must be an int in 1..65535"):
        ServerConfig(port=99999)
    with pytest.raises(InputError, match="body_timeout_s must be a positive number"):
        ServerConfig(body_timeout_s=0)
    with pytest.raises(InputError, match="max_connections must be a positive int"):
        ServerConfig(max_connections=0)


@pytest.mark.parametrize("module", ["fastapi", "uvicorn", "prometheus_client"])
def test_missing_extra_names_the_pip_command(module: str) -> None:
    code = f"import sys; sys.modules[{module!r}] = None; from minilm.cli.main import main; sys.exit(main(['serve']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "pip install '.[server]'" in done.stderr and module.replace("_", "-") in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_says_on_stderr_when_it_is_ready(tmp_path: Path, tiny_dir: Path) -> None:
    """Without -v the one line `minilm serve` writes: where it listens, the model, engine, workers and keys."""
    import time

    from tests.server.serving import start_server, stop_server

    server = start_server(tmp_path, "--model", str(tiny_dir), "--workers", "3")
    try:
        line = (f"minilm serve: ready on {server.url}: model {tiny_dir}, engine numpy, 3 workers, no API key "
                "required")  # fmt: skip
        for _ in range(100):
            if server.log.read_text():
                break
            time.sleep(0.1)
        assert server.log.read_text().splitlines() == [line]
    finally:
        stop_server(server)
