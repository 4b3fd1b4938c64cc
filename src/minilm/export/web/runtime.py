"""onnxruntime-web's files for `minilm export web`: the pinned npm package, installed beside this module.

assets/package.json pins onnxruntime-web (assets/package-lock.json fixes its digest); `npm ci` in assets/ puts it
in assets/node_modules (scripts/test runs it). MINILM_WEB_RUNTIME may name another folder holding the same
node_modules/onnxruntime-web (a read-only install). Nothing is fetched at export time and the exported folder
never reaches a CDN: the files below are copied into its ort/ folder, the wasm binary gzip-compressed (gzipped.py).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from minilm.errors import MissingExtraError
from minilm.export.web import gzipped

ASSETS = Path(__file__).resolve().parent / "assets"
ENV = "MINILM_WEB_RUNTIME"
PACKAGE = "onnxruntime-web"
# the wasm backend only: the ES module, its Emscripten glue (imported at run time from wasmPaths) and the binary
FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
WASM = "ort-wasm-simd-threaded.wasm"  # written as ort/WASM.gz; minilm.js hands its bytes to ort.env.wasm.wasmBinary


def pinned() -> str:
    """The onnxruntime-web version assets/package.json pins."""
    return str(json.loads((ASSETS / "package.json").read_text(encoding="utf-8"))["dependencies"][PACKAGE])


def install_command() -> str:
    return f"(cd {ASSETS} && npm ci --ignore-scripts --no-audit --no-fund)"


def package_dir() -> Path:
    """node_modules/onnxruntime-web at the pinned version; MissingExtraError with the command to run if absent."""
    root = Path(os.environ.get(ENV) or ASSETS)
    folder = root / "node_modules" / PACKAGE
    version = pinned()
    try:
        found = json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        hint = f" (or fix {ENV})" if ENV in os.environ else ""
        raise MissingExtraError(f"minilm export web needs {PACKAGE} {version}, not found in {folder}: run "
                                f"{install_command()}{hint}") from None  # fmt: skip
    if found != version:
        raise MissingExtraError(f"{folder} holds {PACKAGE} {found}, minilm export web needs {version}: run "
                                f"{install_command()}")  # fmt: skip
    missing = [name for name in FILES if not (folder / "dist" / name).is_file()]
    if missing:
        raise MissingExtraError(f"{folder}/dist lacks {', '.join(missing)}: run {install_command()}")
    return folder


def copy_to(out: Path) -> list[str]:
    """onnxruntime-web's wasm backend files into out/ort (the wasm binary as WASM.gz); returns their paths in out.
    The ES modules stay plain: the browser imports them by URL."""
    dist = package_dir() / "dist"
    (out / "ort").mkdir(parents=True, exist_ok=True)
    written = []
    for name in FILES:
        if name == WASM:
            name = gzipped.write(out / "ort" / name, (dist / name).read_bytes())
        else:
            shutil.copyfile(dist / name, out / "ort" / name)
        written.append(f"ort/{name}")
    return written
