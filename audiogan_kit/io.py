"""Files that are either whole or absent, their digests, and folders one process at a time.

Every artefact the kit writes (configs, checkpoints, the judge, cache entries) goes through
:func:`atomic_write`: the bytes go to a temporary file in the same folder, are flushed to disk
and renamed over the target in one step, so a crash, a kill or a full disk never leaves half a
file under the final name. :func:`sha256_file` is the one place that hashes a file.
:func:`exclusive_lock` keeps a second process out of a folder in use (an OS file lock: a
killed process never leaves it held).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "FolderInUse",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "exclusive_lock",
    "sha256_file",
]

# The process's umask, read once at import (reading it means setting it, which is not safe
# while other threads create files).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """Open a binary handle whose content replaces ``path`` only if the block succeeds.

    The handle writes to ``.<name>.<random>.tmp`` next to ``path``; on leaving the block it is
    flushed, fsynced and renamed onto ``path`` (``os.replace``, atomic on one file system).
    If the block raises (including ``OSError`` from a full disk), the temporary file is
    removed, ``path`` keeps its previous content, and the exception propagates. The file gets
    the permissions ``open`` would give it (``0o666`` less the umask; an existing file keeps
    its own), not the owner-only ones of a temporary file.

    Usage::

        with atomic_write(run_dir / "ckpt.npz") as handle:
            numpy.savez(handle, **arrays)
    """
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_UMASK
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
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


class FolderInUse(RuntimeError):
    """Another process holds the folder's lock (see :func:`exclusive_lock`)."""


def _try_lock(handle: BinaryIO) -> bool:
    """Take the OS lock of an open file without waiting; False when another process has it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def exclusive_lock(folder: str | Path, what: str = "this folder") -> Iterator[None]:
    """Hold ``folder/.lock`` for the block: a second process that asks is refused at once.

    The lock is the operating system's (``flock``; ``msvcrt.locking`` on Windows): it is
    released when the block ends *or the process dies* (a ``kill -9`` leaves no stale lock);
    the file itself stays and holds the last holder's process id, for the message.

    Raises:
        FolderInUse: another process holds the lock; the message names the folder and that
            process's id.
    """
    path = Path(folder) / ".lock"
    handle = open(path, "a+b")  # noqa: SIM115  (closed in finally)
    try:
        if not _try_lock(handle):
            handle.seek(0)
            holder = handle.read().decode(errors="replace").strip() or "unknown"
            raise FolderInUse(
                f"{folder} is in use by another process (pid {holder}) running {what}; wait "
                "for it to finish (or stop it), or choose another folder."
            )
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        yield
    finally:
        handle.close()  # closing the file releases the lock
