"""`minilm serve`: run the HTTP embedding server (OpenAI- and text-embeddings-inference-compatible)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from minilm.cli.options import add_model_options, load_model
from minilm.encoder import DEFAULT_MAX_TOKENS

if TYPE_CHECKING:
    from minilm.encoder import Encoder
    from minilm.server.config import ServerConfig

log = logging.getLogger("minilm.serve")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "serve",
        help="run the HTTP embedding server",
        description="Serve embeddings over HTTP: POST /v1/embeddings (OpenAI), /embed, /embed_all, /tokenize, "
        "/similarity, / and /invocations, GET /info (text-embeddings-inference), POST /api/embed, /api/embeddings "
        "(Ollama), /search (with --index), GET /health, /metrics, /docs. Limits and timeouts: docs/server.md; "
        "search page: /ui (with --index). Needs pip install '.[server]'.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument("--port", type=_port, default=8000, help="1..65535; 0: a free port, logged once bound")
    parser.add_argument("--model-id", default=None, help="model name reported to clients (default: the model's)")
    parser.add_argument("--max-batch-tokens", type=int, default=None,
                        help=f"padded tokens per engine call (default: {DEFAULT_MAX_TOKENS}; on a GPU: "
                        "the torch engine's)")  # fmt: skip
    parser.add_argument("--max-batch-size", type=int, default=None,
                        help="inputs per engine call (default: 32; on a GPU: the torch engine's)")  # fmt: skip
    parser.add_argument("--window-batches", type=int, default=8,
                        help="batches' worth of queued inputs sorted by length together")  # fmt: skip
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="batches in the engine at once: one in its thread pool, the others on their own threads",
    )
    parser.add_argument("--batch-wait-ms", type=float, default=0.0, help="wait for more requests before a batch")
    parser.add_argument("--max-queue", type=int, default=4096, help="inputs queued before requests get 429")
    parser.add_argument("--max-inputs", type=int, default=2048, help="inputs per request")
    parser.add_argument("--max-payload", type=int, default=8 * 1024 * 1024, help="request body bytes (413 past it)")
    parser.add_argument("--max-input-chars", type=int, default=100_000, help="characters per text (413 past it)")
    parser.add_argument("--max-tokenize-tokens", type=int, default=131_072,
                        help="tokens per POST /tokenize request, all inputs together (413 past it)")  # fmt: skip
    parser.add_argument("--max-embed-all-tokens", type=int, default=8_192,
                        help="tokens per POST /embed_all request, all inputs together (413 past it)")  # fmt: skip
    parser.add_argument("--max-document-bytes", type=int, default=8 * 1024 * 1024,
                        help="bytes of documents per /search include_document response (cut past it)")  # fmt: skip
    parser.add_argument(
        "--max-queue-tokens",
        type=int,
        default=65_536,
        help="tokens queued before requests get 429 (a larger request alone is taken when idle)",
    )
    parser.add_argument("--api-key-file", default=None, help="file of Bearer keys, one per line (also: "
                        "$MINILM_API_KEYS, comma-separated); no key: no authentication")  # fmt: skip
    parser.add_argument("--cors-origin", action="append", default=[], help="allowed CORS origin (repeat; '*': any)")
    parser.add_argument("--index", default=None, metavar="DIR", help="serve POST /search over this index")
    parser.add_argument("--shutdown-timeout", type=float, default=30.0, help="seconds in-flight requests get")
    parser.add_argument("--header-timeout", type=float, default=10.0,
                        help="seconds a connection gets to send a request's headers (408 past it)")  # fmt: skip
    parser.add_argument("--body-timeout", type=float, default=60.0,
                        help="seconds a request gets to send its body after its headers (408 past it)")  # fmt: skip
    parser.add_argument("--keep-alive", type=float, default=5.0, help="seconds an idle connection is kept open")
    parser.add_argument("--max-connections", type=int, default=512,
                        help="open connections or requests in progress before new requests get 503")  # fmt: skip
    add_model_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.checkpoint.known import DEFAULT_MODEL
    from minilm.server import ServerConfig, create_app  # checks the server extra and names its pip command
    from minilm.server.config import API_KEYS_ENV, read_api_keys
    from minilm.server.connections import uvicorn_settings
    from minilm.server.index_access import open_index

    args.max_batch_tokens, args.max_batch_size = _batch_limits(args)
    config = ServerConfig(
        host=args.host,
        port=args.port,
        model_id=args.model_id or args.model or DEFAULT_MODEL,
        max_batch_tokens=args.max_batch_tokens,
        max_batch_size=args.max_batch_size,
        window_batches=args.window_batches,
        workers=args.workers,
        batch_wait_ms=args.batch_wait_ms,
        max_queue=args.max_queue,
        max_inputs=args.max_inputs,
        max_payload_bytes=args.max_payload,
        max_input_chars=args.max_input_chars,
        max_queue_tokens=args.max_queue_tokens,
        max_tokenize_tokens=args.max_tokenize_tokens,
        max_embed_all_tokens=args.max_embed_all_tokens,
        max_document_bytes=args.max_document_bytes,
        api_keys=read_api_keys(os.environ.get(API_KEYS_ENV), args.api_key_file),
        cors_origins=tuple(args.cors_origin),
        shutdown_timeout_s=args.shutdown_timeout,
        header_timeout_s=args.header_timeout,
        body_timeout_s=args.body_timeout,
        keep_alive_s=args.keep_alive,
        max_connections=args.max_connections,
    )
    if not config.api_keys and not config.is_loopback:
        log.warning(
            "serving on %s with no API key: anyone who can reach this address can use the server; set $%s or "
            "--api-key-file",
            config.host,
            API_KEYS_ENV,
        )
    index = open_index(args.index) if args.index else None
    running: list[Any] = []  # the uvicorn server and the bound address, once known: the ready line waits for them
    app = create_app(config, lambda: load_model(args), index, on_ready=lambda encoder: _ready(encoder, config, running))

    import uvicorn  # after minilm.server, whose import check names the missing extra

    settings = uvicorn.Config(app, host=config.host, port=config.port, log_level="info" if args.verbose else "warning",
                              access_log=args.verbose, **uvicorn_settings(config))  # fmt: skip
    server = uvicorn.Server(settings)
    if config.port != 0:
        running.extend([server, _url(config.host, config.port)])
        server.run()
        return 0
    sock = settings.bind_socket()  # port 0: the system picks a free one; say which
    url = _url(config.host, sock.getsockname()[1])
    running.extend([server, url])
    log.warning("--port 0: listening on %s", url)
    server.run(sockets=[sock])
    return 0


def _url(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _ready(encoder: Encoder, config: ServerConfig, running: list[Any]) -> None:
    """One line on stderr once the model answers and the server listens: where, what, and whether keys are needed
    (called on the model-loading thread)."""
    deadline = time.monotonic() + 60
    while not (running and running[0].started) and time.monotonic() < deadline:
        if running and running[0].should_exit:
            return
        time.sleep(0.02)
    if not running or not running[0].started:
        return  # uvicorn never came up: it reports why itself
    keys = f"API keys required ({len(config.api_keys)} accepted)" if config.api_keys else "no API key required"
    workers = f"{config.workers} worker{'s' if config.workers != 1 else ''}"
    print(f"minilm serve: ready on {running[1]}: model {config.model_id}, engine {encoder.engine.name}, {workers}, "
          f"{keys}", file=sys.stderr, flush=True)  # fmt: skip


def _port(value: str) -> int:
    """A TCP port for --port: 1..65535, or 0 for a free one (argparse reports the error)."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is outside 1..65535 (0: a free port the system picks)")
    return port


def _batch_limits(args: argparse.Namespace) -> tuple[int, int]:
    """--max-batch-tokens / --max-batch-size, defaulting to the CPU's sizes or, when the torch engine will run
    on a GPU (--engine torch, or auto with a CUDA device), to its GPU batch hints."""
    from minilm.engines.torch_engine.devices import on_gpu

    tokens, rows = DEFAULT_MAX_TOKENS, 32
    if (args.max_batch_tokens is None or args.max_batch_size is None) and on_gpu(args.engine, args.device):
        from minilm.engines.torch_engine.engine import GPU_HINTS

        tokens, rows = GPU_HINTS.max_tokens, GPU_HINTS.min_rows
    return args.max_batch_tokens or tokens, args.max_batch_size or rows
