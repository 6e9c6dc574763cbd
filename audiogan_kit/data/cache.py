"""The decoded-array cache of FSDD: one ``.npz`` per (folder listing, config), checksummed.

Decoding the 3,000 FSDD files takes a while; :func:`~audiogan_kit.data.load_fsdd` keeps the
result under ``cache_dir() / "arrays"``. A cache file is named after :func:`cache_key`, a
hash of the recordings' names, sizes and modification times and of the
:class:`~audiogan_kit.config.AudioConfig`, so editing a file or changing the config selects
a new file. The file stores that key and a sha256 of its arrays; :func:`read_cache` returns
``None`` for anything absent, stale, truncated or altered, and the caller decodes again.
Files are written atomically (:func:`~audiogan_kit.io.atomic_write`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..config import DEFAULT_CONFIG, AudioConfig
from ..io import atomic_write
from .datasets import AudioDataset
from .registry import FSDD_CLASS_NAMES, cache_dir, fsdd_recordings

__all__ = ["cache_key", "cache_path", "fsdd_cache_file", "read_cache", "write_cache"]

#: Part of every key: raise it when the stored layout changes, so old files are not read.
_CACHE_VERSION = 1


def cache_key(files: Sequence[Path], config: AudioConfig) -> str:
    """24 hex digits: a hash of the files' names, sizes and mtimes and of ``config``.

    ``files`` are the recordings in file-name order (:func:`fsdd_recordings`).
    """
    key = hashlib.sha256()
    header = {"version": _CACHE_VERSION, "config": config.to_dict()}
    key.update(json.dumps(header, sort_keys=True).encode())
    for file in files:
        stat = file.stat()
        key.update(f"{file.name}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return key.hexdigest()[:24]


def cache_path(key: str) -> Path:
    """The cache file of a :func:`cache_key`: ``cache_dir() / "arrays" / "fsdd-<key>.npz"``."""
    return cache_dir() / "arrays" / f"fsdd-{key}.npz"


def fsdd_cache_file(path: str | Path, config: AudioConfig = DEFAULT_CONFIG) -> Path:
    """Where :func:`~audiogan_kit.data.load_fsdd` caches the decoded FSDD copy at ``path``.

    The name holds a hash of the recordings' names, sizes and modification times and of
    ``config``, so editing a file or changing the config selects a new cache file.
    """
    return cache_path(cache_key(fsdd_recordings(path), config))


def _array_digest(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    return digest.hexdigest()


def write_cache(path: Path, dataset: AudioDataset, key: str) -> None:
    """Store ``dataset`` (FSDD clips) at ``path`` under ``key``, atomically.

    Paths are stored as file names (the folder may move); the audio, labels, takes and
    lengths are covered by a sha256 checksum. ``OSError`` (a read-only or full disk)
    propagates, and no partial file is left.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    skipped = [[Path(p).name, reason] for p, reason in dataset.skipped]
    checksum = _array_digest(dataset.audio, dataset.labels, dataset.takes, dataset.lengths)
    with atomic_write(path) as handle:
        np.savez(
            handle,
            key=np.array(key),
            audio=dataset.audio,
            labels=dataset.labels,
            speakers=dataset.speakers,
            takes=dataset.takes,
            names=np.array([Path(p).name for p in dataset.paths], dtype=str),
            lengths=dataset.lengths,
            skipped=np.array(skipped, dtype=str).reshape(-1, 2),
            checksum=np.array(checksum),
        )


def read_cache(
    path: Path, key: str, recordings: Path, config: AudioConfig
) -> AudioDataset | None:
    """The dataset stored at ``path``, or ``None`` if absent, stale or corrupt.

    Args:
        path: the cache file (:func:`cache_path`).
        key: the key the file must hold (a different one means stale).
        recordings: the folder the stored file names are joined to, giving ``paths``.
        config: the config the clips were decoded with (part of ``key``).

    Returns:
        An :class:`AudioDataset` with FSDD's class names and ``from_cache=True``; ``None``
        when the file is missing, holds another key, fails its checksum, has the wrong
        dtypes or cannot be read at all (never trusted blindly).
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["key"]) != key:
                return None
            audio, labels, takes, lengths = (
                stored["audio"], stored["labels"], stored["takes"], stored["lengths"]
            )
            if str(stored["checksum"]) != _array_digest(audio, labels, takes, lengths):
                return None
            dataset = AudioDataset(
                audio=audio,
                labels=labels,
                class_names=FSDD_CLASS_NAMES,
                speakers=stored["speakers"],
                takes=takes,
                paths=np.array([str(recordings / n) for n in stored["names"]], dtype=str),
                lengths=lengths,
                config=config,
                skipped=tuple((str(recordings / n), str(r)) for n, r in stored["skipped"]),
                from_cache=True,
            )
    except Exception:  # any unreadable, truncated or inconsistent file: rebuild
        return None
    if audio.dtype != np.float32 or labels.dtype != np.int64:
        return None
    return dataset
