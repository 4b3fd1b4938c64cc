"""The exceptions minilm raises at its boundaries.

Every error says what was seen, what was expected and, where there is one, how to fix it.
"""

from __future__ import annotations


class MinilmError(Exception):
    """Base class of every error minilm raises on purpose."""


class CheckpointError(MinilmError):
    """A model folder or weights file is missing, incomplete, corrupt or inconsistent."""


class DigestMismatchError(CheckpointError):
    """The weights of a known model do not have the digest of its official release."""


class ModelNotFoundError(CheckpointError):
    """No source (path, caches, bundled package, download) could provide the model."""


class InputError(MinilmError, ValueError):
    """A text or an argument passed to the encoder is not usable (names the offending index)."""


class InputTypeError(MinilmError, TypeError):
    """An input item has the wrong type (names the index and the type seen)."""


class TooLongError(InputError):
    """A text is over the model's token limit and the policy is on_long="error"."""


class MissingExtraError(MinilmError, ImportError):
    """An optional dependency is not installed; the message names the pip command that adds it."""


class OutputError(MinilmError):
    """An output file or directory cannot be written (a full disk, a read-only folder); names it."""


class DatasetError(MinilmError, ValueError):
    """A benchmark file is missing or not in the expected format (names the file and line)."""


class IndexStoreError(MinilmError):
    """An index directory cannot be used as asked (missing, not an index, or a bad argument for it)."""


class IndexLockedError(IndexStoreError):
    """Another process holds the index open for writing."""


class IndexMismatchError(IndexStoreError):
    """The index was built by another model (dimension or weights digest differ) or another settings version."""


class IndexCorruptError(IndexStoreError):
    """A file of the index cannot be read back (names the file and what was wrong)."""


ECHO_LIMIT = 120
"""At most this many characters of a client's or user's value are repeated in an error message."""


def shown(value: object, limit: int = ECHO_LIMIT) -> str:
    """repr(value) for an error message, cut to `limit` characters with the full length said.

    Every message that repeats input goes through here, so a 7 MB key comes back as ~150 characters.
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, str | bytes | list | tuple | dict) else len(text)
    return f"{text[:limit]}... ({size:,} {'characters' if isinstance(value, str) else 'long'})"
