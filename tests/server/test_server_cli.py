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
    """uvicorn.run replaced by a recorder: the command builds its app and config and returns."""
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen["app"], seen["kwargs"] = app, kwargs

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return seen


def test_flags_reach_the_app(captured: dict[str, Any], tiny_dir: Path) -> None:
    code = main(["serve", "--model", str(tiny_dir), "--port", "9123", "--max-inputs", "16", "--max-queue", "32",
                 "--cors-origin", "https://a.example", "--engine", "numpy"])  # fmt: skip
    assert code == 0
    config = captured["app"].state.service.config
    assert (config.port, config.max_inputs, config.max_queue, config.cors_origins) == (
        9123, 16, 32, ("https://a.example",))  # fmt: skip
    assert captured["kwargs"]["host"] == "127.0.0.1" and captured["kwargs"]["port"] == 9123


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


def test_config_checks_its_limits() -> None:
    assert ServerConfig(host="127.0.0.2").is_loopback and ServerConfig(host="::1").is_loopback
    assert not ServerConfig(host="0.0.0.0").is_loopback
    with pytest.raises(InputError, match="max_queue"):
        ServerConfig(max_queue=10, max_inputs=20)
    with pytest.raises(InputError, match="max_batch_tokens must be a positive int"):
        ServerConfig(max_batch_tokens=0)


@pytest.mark.parametrize("module", ["fastapi", "uvicorn", "prometheus_client"])
def test_missing_extra_names_the_pip_command(module: str) -> None:
    code = f"import sys; sys.modules[{module!r}] = None; from minilm.cli.main import main; sys.exit(main(['serve']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "pip install 'minilm[server]'" in done.stderr and module.replace("_", "-") in done.stderr
    assert "Traceback" not in done.stderr
