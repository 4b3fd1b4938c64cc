"""`minilm serve`: run the HTTP embedding server (OpenAI- and text-embeddings-inference-compatible)."""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from minilm.cli.options import add_model_options, load_model
from minilm.encoder import DEFAULT_MAX_TOKENS

log = logging.getLogger("minilm.serve")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "serve",
        help="run the HTTP embedding server",
        description="Serve embeddings over HTTP: POST /v1/embeddings (OpenAI), /embed, /tokenize, /similarity "
        "(text-embeddings-inference), /search (with --index), GET /health, /metrics, /docs. "
        "Needs pip install 'minilm[server]'.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model-id", default=None, help="model name reported to clients (default: the model's)")
    parser.add_argument(
        "--max-batch-tokens", type=int, default=DEFAULT_MAX_TOKENS, help="padded tokens per engine call"
    )
    parser.add_argument("--max-batch-size", type=int, default=32, help="inputs per engine call")
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
    add_model_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.checkpoint.known import DEFAULT_MODEL
    from minilm.server import ServerConfig, create_app  # checks the server extra and names its pip command
    from minilm.server.config import API_KEYS_ENV, read_api_keys
    from minilm.server.search import open_index

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
        api_keys=read_api_keys(os.environ.get(API_KEYS_ENV), args.api_key_file),
        cors_origins=tuple(args.cors_origin),
        shutdown_timeout_s=args.shutdown_timeout,
    )
    if not config.api_keys and not config.is_loopback:
        log.warning(
            "serving on %s with no API key: anyone who can reach this address can use the server; set $%s or "
            "--api-key-file",
            config.host,
            API_KEYS_ENV,
        )
    index = open_index(args.index) if args.index else None
    app = create_app(config, lambda: load_model(args), index)

    import uvicorn  # after minilm.server, whose import check names the missing extra

    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        log_level="info" if args.verbose else "warning",
        timeout_graceful_shutdown=int(config.shutdown_timeout_s),
        access_log=args.verbose,
    )
    return 0
