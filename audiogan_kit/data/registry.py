"""The data registry: what can be downloaded, where it is cached, and how FSDD is found.

The Free Spoken Digit Dataset (FSDD) is pinned to one commit of its repository and checked by
the digest of its recordings (:func:`dataset_digest`), not by the archive's bytes. A copy is
looked for in an explicit path, then ``$AUDIOGAN_DATA``, then the cache (:func:`fsdd_path`);
failing that it is downloaded, safely extracted and verified (:func:`download_fsdd`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from ..io import sha256_file
from .errors import DataError

__all__ = [
    "DATA_HUB",
    "FSDD_CLASS_NAMES",
    "FSDD_COMMIT",
    "FSDD_DIGEST",
    "FSDD_NAME_PATTERN",
    "FSDD_REPOSITORY",
    "FSDD_TEST_TAKES",
    "FSDD_URL",
    "cache_dir",
    "dataset_digest",
    "download_fsdd",
    "fsdd_path",
    "fsdd_recordings",
]

# ---------------------------------------------------------------------------------------------
# What can be downloaded, and where it goes
# ---------------------------------------------------------------------------------------------

FSDD_REPOSITORY = "Jakobovski/free-spoken-digit-dataset"
FSDD_COMMIT = "26eb9aaf76e81b692f806f9140c2d2777410d7a1"
FSDD_URL = f"https://github.com/{FSDD_REPOSITORY}/archive/{FSDD_COMMIT}.tar.gz"
#: sha256 of the ``sha256sum``-style listing of every ``recordings/*.wav`` (see
#: :func:`dataset_digest`). GitHub's archives are not byte-stable, so the kit checks the
#: recordings themselves, not the archive.
FSDD_DIGEST = "1801eae019c063377d98f831d3f93574f259475df7332bb0e3d1b080fb5e6959"

#: What the kit can download: name -> (pinned url, digest of the recordings).
DATA_HUB: dict[str, tuple[str, str]] = {"fsdd": (FSDD_URL, FSDD_DIGEST)}

#: FSDD file names: ``{digit}_{speaker}_{take}.wav``.
FSDD_NAME_PATTERN = re.compile(r"(?P<label>[0-9])_(?P<speaker>[A-Za-z]+)_(?P<take>[0-9]+)")

#: FSDD's classes, the digits ``"0"`` .. ``"9"``; label ``i`` is digit ``i``.
FSDD_CLASS_NAMES = tuple(str(digit) for digit in range(10))

#: Official FSDD split: takes 0-4 of every digit and speaker are the test set.
FSDD_TEST_TAKES = range(0, 5)


def cache_dir() -> Path:
    """Folder for downloads and decoded-array caches.

    ``$AUDIOGAN_CACHE`` if set, else the user cache folder
    (``platformdirs.user_cache_dir("audiogan-kit")``, e.g. ``~/.cache/audiogan-kit``).
    The folder is not created here.
    """
    value = os.environ.get("AUDIOGAN_CACHE")
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("audiogan-kit"))


# ---------------------------------------------------------------------------------------------
# Finding and identifying a copy
# ---------------------------------------------------------------------------------------------


def fsdd_recordings(folder: str | Path) -> list[Path]:
    """The ``recordings/*.wav`` files of an FSDD folder, sorted by file name (may be empty)."""
    return sorted((Path(folder) / "recordings").glob("*.wav"), key=lambda p: p.name)


def _has_recordings(folder: Path) -> bool:
    recordings = folder / "recordings"
    return recordings.is_dir() and any(recordings.glob("*.wav"))


def fsdd_path(
    path: str | Path | None = None, *, download: bool = True, progress: bool = True
) -> Path:
    """The folder of an FSDD copy (it contains ``recordings/*.wav``).

    Search order: the ``path`` argument; the ``AUDIOGAN_DATA`` environment variable; the
    cache (``cache_dir() / "fsdd"``); else a download into the cache if ``download`` (from
    the address and digest that ``DATA_HUB["fsdd"]`` holds at call time).

    Raises:
        DataError: a folder given by argument or environment variable has no
            ``recordings/*.wav``; or nothing was found and ``download=False``.
    """
    if path is not None:
        folder = Path(path).expanduser()
        if not _has_recordings(folder):
            raise DataError(
                f"{folder} is not an FSDD copy: it has no recordings/*.wav. Pass the folder "
                "that contains recordings/, or pass no path to use the cache or download."
            )
        return folder
    value = os.environ.get("AUDIOGAN_DATA")
    if value:
        folder = Path(value).expanduser()
        if not _has_recordings(folder):
            raise DataError(
                f"AUDIOGAN_DATA={value} is not an FSDD copy: it has no recordings/*.wav. "
                "Point AUDIOGAN_DATA at the folder that contains recordings/, or unset it to "
                "use the cache or download."
            )
        return folder
    cached = cache_dir() / "fsdd"
    if _has_recordings(cached):
        return cached
    if not download:
        raise DataError(
            f"no FSDD copy found: pass path=..., set AUDIOGAN_DATA to a folder with "
            f"recordings/, or allow download=True to fetch it into {cached}."
        )
    url, digest = DATA_HUB["fsdd"]
    return download_fsdd(cached, url=url, digest=digest, progress=progress)


def dataset_digest(folder: str | Path) -> str:
    """sha256 (hex) identifying the recordings of a dataset folder.

    The recipe, reproducible with coreutils: in ``folder/recordings`` (or ``folder`` itself if
    it has no ``recordings/``), ``sha256sum`` every ``*.wav`` in file-name order and hash the
    resulting text of lines ``"HASH  NAME\\n"``::

        cd recordings && sha256sum $(ls *.wav | LC_ALL=C sort) | sha256sum
    """
    folder = Path(folder)
    recordings = folder / "recordings" if (folder / "recordings").is_dir() else folder
    files = sorted(recordings.glob("*.wav"), key=lambda p: p.name)
    if not files:
        raise DataError(f"{recordings} has no .wav files to digest.")
    listing = hashlib.sha256()
    for file in files:
        listing.update(f"{sha256_file(file)}  {file.name}\n".encode())
    return listing.hexdigest()


# ---------------------------------------------------------------------------------------------
# Downloading, safe extraction, verification
# ---------------------------------------------------------------------------------------------


def _check_member(member: tarfile.TarInfo, archive: str) -> PurePosixPath:
    """Refuse tar members that could write outside the extraction folder."""
    name = PurePosixPath(member.name)
    absolute = member.name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", member.name)
    if absolute or name.is_absolute():
        raise DataError(f"{archive}: member {member.name!r} has an absolute path; refusing it.")
    if ".." in name.parts:
        raise DataError(f"{archive}: member {member.name!r} contains '..'; refusing it.")
    if not (member.isfile() or member.isdir()):
        kind = "a link" if (member.issym() or member.islnk()) else "a device or special file"
        raise DataError(f"{archive}: member {member.name!r} is {kind}; refusing it.")
    return name


def _safe_extract(archive: Path, target: Path) -> None:
    """Extract a tar archive into ``target``: regular files and folders only.

    Every member is checked before anything is written; an absolute path, a ``..``
    component, a link, a device or special file, or a path that resolves outside ``target``
    raises :class:`DataError` naming the member. Tar and I/O errors propagate as they are.
    """
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        names = [_check_member(member, archive.name) for member in members]
        root = target.resolve()
        for member, name in zip(members, names, strict=True):
            destination = (target / Path(*name.parts)) if name.parts else target
            if root not in (destination.resolve(), *destination.resolve().parents):
                raise DataError(f"{archive.name}: member {member.name!r} leaves the folder.")
            if member.isdir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:  # pragma: no cover - isfile() members always have data
                raise DataError(f"{archive.name}: member {member.name!r} has no data.")
            with source, open(destination, "wb") as out:
                shutil.copyfileobj(source, out)


def _fetch(url: str, folder: Path, progress: bool) -> Path:
    """Download ``url`` into ``folder`` (pooch, with a tqdm progress bar)."""
    import pooch

    # The archive itself has no stable hash (GitHub regenerates it); the recordings are
    # verified after extraction, so silence pooch's "use this hash" advice.
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")
    try:
        return Path(
            pooch.retrieve(
                url, known_hash=None, fname="archive.tar.gz", path=folder, progressbar=progress
            )
        )
    except Exception as error:
        raise DataError(
            f"could not download {url}: {error}. Check the network, or download the archive "
            "yourself and set AUDIOGAN_DATA to the extracted folder."
        ) from error
    finally:
        logger.setLevel(level)


def download_fsdd(
    dest: str | Path | None = None,
    *,
    url: str = FSDD_URL,
    digest: str = FSDD_DIGEST,
    progress: bool = True,
) -> Path:
    """Download FSDD, extract it safely, verify its recordings and move it into ``dest``.

    Everything happens in a temporary folder next to ``dest``; only a verified copy is moved
    into place (one ``os.replace``), so an interrupted or tampered download never leaves a
    half dataset at ``dest``, and the temporary folder is removed whatever happens.

    Args:
        dest: where the dataset goes (default ``cache_dir() / "fsdd"``). If it already holds
            a copy with the right digest it is returned as is.
        url: a ``.tar.gz`` laid out like GitHub's archive (one top folder with
            ``recordings/`` inside).
        digest: expected :func:`dataset_digest` of the recordings.
        progress: show a download progress bar.

    Returns:
        ``dest``, containing ``recordings/*.wav``.

    Raises:
        DataError: download failure; an unsafe archive member (absolute path, ``..``, link,
            device); no ``recordings/`` in the archive; digest mismatch; a non-empty ``dest``
            that is not a verified copy.
    """
    dest = Path(dest).expanduser() if dest is not None else cache_dir() / "fsdd"
    if dest.exists():
        if dest.is_dir() and not any(dest.iterdir()):
            dest.rmdir()
        elif _has_recordings(dest) and dataset_digest(dest) == digest:
            return dest
        else:
            raise DataError(
                f"{dest} already exists and is not a verified FSDD copy; delete it or choose "
                "another dest."
            )
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-download-", dir=dest.parent))
    try:
        archive = _fetch(url, work, progress)
        extracted = work / "extracted"
        extracted.mkdir()
        try:
            _safe_extract(archive, extracted)
        except (tarfile.TarError, EOFError, OSError) as error:
            raise DataError(
                f"{url} is not a readable .tar.gz archive ({error}); nothing was installed "
                f"at {dest}."
            ) from error
        tops = [p for p in extracted.iterdir() if _has_recordings(p)]
        top = extracted if _has_recordings(extracted) else (tops[0] if len(tops) == 1 else None)
        if top is None:
            raise DataError(
                f"{url} has no recordings/*.wav under one top folder; nothing was installed "
                f"at {dest}."
            )
        got = dataset_digest(top)
        if got != digest:
            raise DataError(
                f"the digest of the recordings downloaded from {url} did not match the pinned "
                f"one (expected {digest}, got {got}); the archive is corrupt or was changed. "
                f"Nothing was installed at {dest}."
            )
        os.replace(top, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest
