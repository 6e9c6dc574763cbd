"""Files that are either whole or absent, and their digests.

Every artefact the kit writes (configs, checkpoints, the judge, cache entries) goes through
:func:`atomic_write`: the bytes go to a temporary file in the same folder, are flushed to disk
and renamed over the target in one step, so a crash, a kill or a full disk never leaves half a
file under the final name. :func:`sha256_file` is the one place that hashes a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "sha256_file"]


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """Open a binary handle whose content replaces ``path`` only if the block succeeds.

    The handle writes to ``.<name>.<random>.tmp`` next to ``path``; on leaving the block it is
    flushed, fsynced and renamed onto ``path`` (``os.replace``, atomic on one file system).
    If the block raises (including ``OSError`` from a full disk), the temporary file is
    removed, ``path`` keeps its previous content, and the exception propagates.

    Usage::

        with atomic_write(run_dir / "ckpt.npz") as handle:
            numpy.savez(handle, **arrays)
    """
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`); returns the path."""
    with atomic_write(path) as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write`); returns the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes as 64 hex digits, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
