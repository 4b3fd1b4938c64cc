"""Destination URLs of `--to`: which database, where, and the table or collection inside it.

    lancedb://DIR/TABLE              a LanceDB database in the local directory DIR (lancedb:///abs/DIR/TABLE)
    lancedb+s3://BUCKET/PATH/TABLE   a LanceDB database in object storage (s3, gs, az: whatever lancedb reads)
    qdrant://HOST[:PORT]/COLLECTION  a Qdrant server over HTTP (port 6333 unless given); qdrant+https:// for TLS
    qdrant+local://DIR/COLLECTION    the Qdrant client's local mode, its files in DIR (no server)

The table or collection is always the last path segment, so a local DIR may be relative (lancedb://out/db/T)
or absolute (three slashes). A Qdrant server's API key is read from QDRANT_API_KEY, never from the URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from minilm.errors import InputError, shown

SCHEMES = ("lancedb", "qdrant")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
QDRANT_PORT = 6333
FORMS = ("lancedb://DIR/TABLE, lancedb+s3://BUCKET/PATH/TABLE, qdrant://HOST[:PORT]/COLLECTION or "
         "qdrant+local://DIR/COLLECTION")  # fmt: skip


@dataclass(frozen=True)
class Destination:
    """A parsed --to URL: database `kind` (lancedb / qdrant), `location` (a LanceDB URI, a Qdrant local
    directory, or a server's base URL), `local` (Qdrant local mode) and the table / collection `name`."""

    url: str
    kind: str
    location: str
    name: str
    local: bool = False


def is_url(text: str | None) -> bool:
    """Whether --to names a database URL rather than an output format."""
    return text is not None and "://" in text


def parse(url: str) -> Destination:
    """The destination named by `url`; InputError saying which part is wrong and the forms accepted."""
    scheme, sep, rest = url.partition("://")
    base, _, variant = scheme.lower().partition("+")
    if not sep or base not in SCHEMES:
        raise InputError(f"--to {shown(url)}: unknown destination scheme {shown(scheme)}; expected {FORMS}")
    location, _, name = rest.rstrip("/").rpartition("/")
    what = "table" if base == "lancedb" else "collection"
    if not location or not name:
        raise InputError(f"--to {shown(url)}: no {what} name; the {what} is the last path segment, as in {FORMS}")
    if not NAME.match(name):
        raise InputError(f"--to {shown(url)}: {what} name {shown(name)} may hold only letters, digits, '_', '.' "
                         "and '-' and must start with a letter or digit")  # fmt: skip
    if base == "lancedb":
        return Destination(url, base, f"{variant}://{location}" if variant else location, name)
    if variant == "local":
        return Destination(url, base, location, name, local=True)
    if variant not in ("", "http", "https"):
        raise InputError(f"--to {shown(url)}: unknown Qdrant variant {shown(variant)}; expected qdrant://, "
                         "qdrant+https:// or qdrant+local://")  # fmt: skip
    host, colon, port = location.partition(":")
    if not host or "/" in location:
        raise InputError(f"--to {shown(url)}: a Qdrant server is HOST[:PORT]/COLLECTION, got {shown(location)} "
                         "before the collection (for a local directory use qdrant+local://DIR/COLLECTION)")  # fmt: skip
    if colon and not (port.isdigit() and 0 < int(port) < 65536):
        raise InputError(f"--to {shown(url)}: port {shown(port)} is not a number from 1 to 65535")
    return Destination(url, base, f"{variant or 'http'}://{host}:{port or QDRANT_PORT}", name)
