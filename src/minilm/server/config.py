"""The server's settings: one frozen dataclass, filled by `minilm serve`'s flags or by a caller."""

from __future__ import annotations

import ipaddress
import os
import string
from dataclasses import dataclass, field
from pathlib import Path

from minilm.encoder import DEFAULT_MAX_TOKENS
from minilm.errors import InputError

API_KEYS_ENV = "MINILM_API_KEYS"  # comma-separated Bearer keys


@dataclass(frozen=True)
class ServerConfig:
    """Limits and switches of one server. Every limit has a clear error when a request passes it."""

    host: str = "127.0.0.1"
    port: int = 8000
    model_id: str = "sentence-transformers/all-MiniLM-L6-v2"  # reported in responses and /v1/models
    max_batch_tokens: int = DEFAULT_MAX_TOKENS  # padded tokens per engine call (the library's token budget)
    max_batch_size: int = 32  # rows per engine call (the library's default batch_size)
    window_batches: int = 8  # batches' worth of queued inputs sorted by length together (less padding)
    workers: int = 2  # batches in the engine at once (a second one runs while the first waits on its pool)
    batch_wait_ms: float = 0.0  # extra wait for more requests before a batch starts (0: take what is queued)
    max_queue: int = 4096  # inputs waiting for the engine; past this, requests get 429
    max_inputs: int = 2048  # inputs per request (OpenAI's own limit)
    max_payload_bytes: int = 8 * 1024 * 1024  # request body size; past this, 413
    max_input_chars: int = 100_000  # characters per text (the model reads ~1,500 of them); past this, 413
    max_queue_tokens: int = 65_536  # tokens waiting for the engine; past this, requests get 429 (one always fits)
    max_tokenize_tokens: int = 131_072  # tokens per POST /tokenize request, all inputs together; past this, 413
    max_embed_all_tokens: int = 8_192  # tokens per POST /embed_all request (each a 384-float vector); past, 413
    max_document_bytes: int = 8 * 1024 * 1024  # /search include_document: UTF-8 bytes of documents per response
    api_keys: frozenset[str] = field(default_factory=frozenset)  # empty: no authentication
    cors_origins: tuple[str, ...] = ()  # allowed origins ("*" for any); empty: CORS off
    shutdown_timeout_s: float = 30.0  # how long in-flight requests may take to finish on shutdown
    header_timeout_s: float = 10.0  # from connecting (or the last response) to a complete request head; past: 408
    body_timeout_s: float = 60.0  # from the request head to the end of its body; past this, 408
    keep_alive_s: float = 5.0  # an idle keep-alive connection is closed after this
    max_connections: int = 512  # open connections (or requests in progress); past this, new requests get 503

    def __post_init__(self) -> None:
        for name in ("max_batch_tokens", "max_batch_size", "window_batches", "workers", "max_queue", "max_inputs",
                     "max_payload_bytes", "max_connections"):  # fmt: skip
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InputError(f"{name} must be a positive int, got {value!r}")
        for name in ("max_input_chars", "max_queue_tokens", "max_tokenize_tokens", "max_embed_all_tokens",
                     "max_document_bytes"):  # fmt: skip
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise InputError(f"{name} must be a positive int, got {getattr(self, name)!r}")
        if self.max_queue < self.max_inputs:
            raise InputError(
                f"max_queue ({self.max_queue}) is smaller than max_inputs ({self.max_inputs}): a full-size "
                "request could never be queued; raise max_queue or lower max_inputs"
            )
        if self.batch_wait_ms < 0:
            raise InputError(f"batch_wait_ms must be >= 0, got {self.batch_wait_ms}")
        for name in ("header_timeout_s", "body_timeout_s", "keep_alive_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
                raise InputError(f"{name} must be a positive number of seconds, got {value!r}")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise InputError(f"port must be an int in 1..65535 (0: a free port the system picks), got {self.port!r}")

    @property
    def is_loopback(self) -> bool:
        """True when the server listens only on this machine (127.0.0.0/8, ::1, localhost)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


KEY_CHARS = frozenset(string.ascii_letters + string.digits + "-._~+/=")
"""The characters of a Bearer token (RFC 6750's token68); a key holding any other is refused when read."""


def read_api_keys(env: str | None = None, key_file: str | os.PathLike[str] | None = None) -> frozenset[str]:
    """Keys from a comma-separated env value and/or a key file.

    The key file is UTF-8 (a leading byte-order mark is dropped), one key per line; everything from a `#` to the
    end of its line is a comment, blank lines are skipped and spaces around a key are stripped. A key is made of
    Bearer-token characters (letters, digits, `-._~+/=`): any other character (a space inside a key, a stray
    BOM or control character) is an error naming the line, so no key silently becomes one that never matches.
    Error messages never repeat a key.
    """
    keys: set[str] = set()
    for i, key in enumerate((k.strip() for k in (env or "").split(",")), start=1):
        if key:
            keys.add(_checked_key(key, f"${API_KEYS_ENV} item {i}"))
    if key_file is not None:
        path = Path(key_file)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise InputError(f"API key file {path} could not be read ({exc.strerror})") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"API key file {path} is not UTF-8 text (byte {exc.start})") from None
        for number, line in enumerate(text.splitlines(), start=1):
            key = line.split("#", 1)[0].strip()
            if key:
                keys.add(_checked_key(key, f"API key file {path} line {number}"))
        if not keys:
            raise InputError(f"API key file {path} holds no key (one per line expected)")
    return frozenset(keys)


def _checked_key(key: str, where: str) -> str:
    bad = next((c for c in key if c not in KEY_CHARS), None)
    if bad is not None:
        raise InputError(f"{where}: the key holds {bad!r} (U+{ord(bad):04X}) at position {key.index(bad)}; a key "
                         "is letters, digits and -._~+/= only (a '#' starts a comment)")  # fmt: skip
    return key
