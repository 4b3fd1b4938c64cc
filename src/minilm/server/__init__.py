"""`minilm serve`: an HTTP embedding server, OpenAI- and text-embeddings-inference-compatible.

Needs the server extra: pip install '.[server]'. Importing this package checks for it and says so.
"""

from __future__ import annotations

import importlib.util

from minilm.errors import MissingExtraError

REQUIRED = {"fastapi": "fastapi", "uvicorn": "uvicorn", "prometheus_client": "prometheus-client"}

_missing = [dist for module, dist in REQUIRED.items() if importlib.util.find_spec(module) is None]
if _missing:
    raise MissingExtraError(
        f"the minilm server needs {', '.join(_missing)}, which are not installed: pip install '.[server]'"
    )

from minilm.server.app import create_app  # noqa: E402
from minilm.server.config import ServerConfig  # noqa: E402

__all__ = ["ServerConfig", "create_app"]
