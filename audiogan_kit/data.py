"""Audio data: FSDD found or downloaded and verified, any folder of audio, splits, pipelines.

Introduced in notebooks/01_data.ipynb.

Every clip the kit handles is a mono float32 waveform in [-1, 1] at ``config.sample_rate``
Hz, padded or cropped to ``config.num_samples`` samples (8,192 samples = 1.024 s at 8 kHz by
default). A loaded collection of clips is an :class:`AudioDataset`: plain NumPy arrays (clips
along axis 0, time along axis 1) plus the labels, speakers and takes parsed from the file
names, and the :class:`~audiogan_kit.config.AudioConfig` that produced it.

Read top to bottom:

1. the data registry (what can be downloaded, pinned address and digest) and the cache folder;
2. finding, downloading, safely extracting and verifying the Free Spoken Digit Dataset (FSDD);
3. decoding one file (:func:`load_audio`) with a clear :class:`DataError` for every bad input;
4. :class:`AudioDataset` and its splits and pipelines (NumPy batches, ``tf.data``);
5. loading FSDD (:func:`load_fsdd`, cached) and any folder of audio (:func:`load_folder`);
6. writing wav files for players (:func:`wav_bytes`, :func:`save_wav`) and clip statistics.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import struct
import tarfile
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from .config import DEFAULT_CONFIG, AudioConfig, to_dict

# ---------------------------------------------------------------------------------------------
# 1. Registry and cache
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

#: File types :func:`load_audio` decodes (through libsndfile).
SUPPORTED_EXTENSIONS = (".wav", ".flac", ".ogg")

#: FSDD file names: ``{digit}_{speaker}_{take}.wav``.
FSDD_NAME_PATTERN = re.compile(r"(?P<label>[0-9])_(?P<speaker>[A-Za-z]+)_(?P<take>[0-9]+)")

#: Official FSDD split: takes 0-4 of every digit and speaker are the test set.
FSDD_TEST_TAKES = range(0, 5)

_CACHE_VERSION = 1



class DataError(ValueError):
    """Bad input data: the message names the file or folder and says how to fix it."""


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
# 2. Finding, downloading and verifying FSDD
# ---------------------------------------------------------------------------------------------


def _has_recordings(folder: Path) -> bool:
    recordings = folder / "recordings"
    return recordings.is_dir() and any(recordings.glob("*.wav"))


def fsdd_path(
    path: str | Path | None = None, *, download: bool = True, progress: bool = True
) -> Path:
    """The folder of an FSDD copy (it contains ``recordings/*.wav``).

    Search order: the ``path`` argument; the ``AUDIOGAN_DATA`` environment variable; the
    cache (``cache_dir() / "fsdd"``); else a download into the cache if ``download``.

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
        file_hash = hashlib.sha256()
        with open(file, "rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                file_hash.update(block)
        listing.update(f"{file_hash.hexdigest()}  {file.name}\n".encode())
    return listing.hexdigest()


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
    """Extract regular files and folders only, after checking every member first."""
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
            pooch.retrieve(url, known_hash=None, fname="archive.tar.gz", path=folder,
                           progressbar=progress)
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


# ---------------------------------------------------------------------------------------------
# 3. Decoding one file
# ---------------------------------------------------------------------------------------------


def _check_wav_complete(path: Path, size: int) -> None:
    """Raise if a RIFF/WAVE file's data chunk is longer than the file (a truncated copy).

    libsndfile silently reads what is there, so truncation is checked from the header.
    """
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return  # not plain RIFF (e.g. RF64): leave it to the decoder
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"data":
                if chunk_size not in (0, 0xFFFFFFFF) and offset + 8 + chunk_size > size:
                    raise DataError(
                        f"{path} is truncated: its header announces {chunk_size} bytes of "
                        f"audio but only {size - offset - 8} are there. Re-copy or "
                        "re-export the file."
                    )
                return
            offset += 8 + chunk_size + (chunk_size & 1)


def load_audio_raw(path: str | Path, sample_rate: int) -> np.ndarray:
    """Decode an audio file to mono float32 at ``sample_rate`` Hz, nothing else changed.

    Stereo/multichannel files are mixed down by averaging channels; other rates are
    resampled with ``librosa.resample`` (soxr, high quality).

    Returns:
        float32 [samples] at ``sample_rate`` Hz, in [-1, 1] for integer PCM files.

    Raises:
        DataError: missing file, empty file, unsupported extension, truncated or corrupt
            file, a file that is not audio, NaN/Inf samples. The message names the file.
    """
    import soundfile

    path = Path(path)
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise DataError(
            f"{path}: unsupported file type {path.suffix!r}; supported are "
            f"{', '.join(SUPPORTED_EXTENSIONS)}. Convert it (e.g. with ffmpeg or sox)."
        )
    if not path.is_file():
        raise DataError(f"{path} does not exist (or is not a file); check the path.")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path} is empty (0 bytes); re-copy or remove it.")
    if path.suffix.lower() == ".wav":
        try:
            _check_wav_complete(path, size)
        except (OSError, struct.error) as error:
            raise DataError(f"{path} cannot be read ({error}); check its permissions.") from error
    try:
        audio, file_rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise DataError(
            f"{path} cannot be decoded as audio ({error}); it is corrupt, truncated or not a "
            f"{path.suffix} file. Re-copy or re-export it, or remove it."
        ) from error
    if audio.shape[0] == 0:
        raise DataError(f"{path} contains no samples; re-export or remove it.")
    if not np.all(np.isfinite(audio)):
        raise DataError(f"{path} contains NaN or Inf samples; re-export or remove it.")
    audio = audio.mean(axis=1) if audio.shape[1] > 1 else audio[:, 0]
    if file_rate != sample_rate:
        import librosa

        audio = librosa.resample(
            audio, orig_sr=file_rate, target_sr=sample_rate, res_type="soxr_hq"
        )
    return np.ascontiguousarray(audio, dtype=np.float32)


def fix_length(audio: np.ndarray, num_samples: int, pad_mode: str = "end") -> np.ndarray:
    """Pad with zeros or crop a waveform [samples] to exactly ``num_samples``.

    ``pad_mode="end"`` keeps the start (pads/crops at the end); ``"center"`` keeps the
    middle (pads/crops equally at both ends, the odd sample at the end).
    """
    if pad_mode not in ("end", "center"):
        raise ValueError(f"pad_mode must be 'end' or 'center', got {pad_mode!r}.")
    length = audio.shape[0]
    if length >= num_samples:
        start = 0 if pad_mode == "end" else (length - num_samples) // 2
        return audio[start : start + num_samples]
    before = 0 if pad_mode == "end" else (num_samples - length) // 2
    out = np.zeros(num_samples, dtype=audio.dtype)
    out[before : before + length] = audio
    return out


def _prepare(path: Path, audio: np.ndarray, config: AudioConfig) -> tuple[np.ndarray, int]:
    """Trim, crop, normalise and pad a decoded mono clip; returns (clip, length)."""
    peak = float(np.max(np.abs(audio)))
    if config.trim_db is not None and peak > 0:
        import librosa

        # frames of n_fft samples every hop_length (32 ms / 16 ms at 8 kHz): librosa's own
        # defaults (2,048 / 512) would be 256 ms / 64 ms at 8 kHz, too coarse for digits.
        audio, _ = librosa.effects.trim(
            audio, top_db=config.trim_db, frame_length=config.n_fft, hop_length=config.hop_length
        )
    length = int(audio.shape[0])
    # Crop first (the normaliser then sees what is kept), pad after (so that padding
    # does not count in the RMS).
    if length > config.num_samples:
        audio = fix_length(audio, config.num_samples, config.pad_mode)
    if config.normalize != "none":
        level = (
            float(np.max(np.abs(audio)))
            if config.normalize == "peak"
            else float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
        )
        if level < 1e-8:
            raise DataError(
                f"{path} is silent (all samples are 0 in the kept part), so it cannot be "
                f"normalised ({config.normalize!r}); remove it, or load with "
                "AudioConfig(normalize='none')."
            )
        target = config.peak_level if config.normalize == "peak" else config.rms_level
        audio = audio * np.float32(target / level)
    audio = np.clip(audio, -1.0, 1.0).astype(np.float32)
    return fix_length(audio, config.num_samples, config.pad_mode), length


def load_audio(
    path: str | Path, config: AudioConfig = DEFAULT_CONFIG, *, return_length: bool = False
) -> np.ndarray | tuple[np.ndarray, int]:
    """Read one clip the way the kit uses it: mono, resampled, trimmed, normalised, fixed length.

    Steps: decode (wav/flac/ogg, any rate, any channel count) -> mix to mono -> resample to
    ``config.sample_rate`` -> trim silence quieter than ``config.trim_db`` dB below the peak
    (frames of ``n_fft`` samples every ``hop_length``) if set -> crop to
    ``config.num_samples`` -> normalise (``config.normalize``: peak or RMS measured on the
    kept samples, before padding, or none; then clipped to [-1, 1]) -> pad with zeros
    (``config.pad_mode``).

    Returns:
        float32 [config.num_samples] in [-1, 1] at ``config.sample_rate`` Hz; with
        ``return_length=True`` also the clip's length in samples at ``config.sample_rate``
        after trimming and before padding/cropping.

    Raises:
        DataError: see :func:`load_audio_raw`; also a silent clip when normalising.
    """
    path = Path(path)
    audio, length = _prepare(path, load_audio_raw(path, config.sample_rate), config)
    return (audio, length) if return_length else audio


# ---------------------------------------------------------------------------------------------
# 4. AudioDataset
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AudioDataset:
    """A loaded set of fixed-length clips and what is known about each.

    Attributes:
        audio: float32 [n, num_samples] in [-1, 1] at ``config.sample_rate`` Hz.
        labels: int64 [n]: the digit 0-9 for FSDD; an index into ``class_names`` in general.
        class_names: the name of each class (FSDD: ``"0"`` .. ``"9"``).
        speakers: str [n], ``""`` where unknown.
        takes: int64 [n], -1 where unknown.
        paths: str [n], the file each clip came from.
        lengths: int64 [n], original length in samples at ``config.sample_rate`` (after
            resampling and trimming, before padding/cropping).
        config: the :class:`AudioConfig` the clips were read with.
        skipped: ``((path, reason), ...)`` files left out by ``on_error="skip"``.
        from_cache: True when the arrays were read from the decoded-array cache.
    """

    audio: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    speakers: np.ndarray
    takes: np.ndarray
    paths: np.ndarray
    lengths: np.ndarray
    config: AudioConfig
    skipped: tuple[tuple[str, str], ...] = ()
    from_cache: bool = False

    def __post_init__(self) -> None:
        n = self.audio.shape[0] if self.audio.ndim == 2 else -1
        if self.audio.ndim != 2 or self.audio.shape[1] != self.config.num_samples:
            raise ValueError(
                f"audio must have shape [n, {self.config.num_samples}], got {self.audio.shape}."
            )
        for name in ("labels", "speakers", "takes", "paths", "lengths"):
            if getattr(self, name).shape != (n,):
                raise ValueError(
                    f"{name} must have shape [{n}] (one per clip), got {getattr(self, name).shape}."
                )

    @property
    def sample_rate(self) -> int:
        """Sample rate of ``audio`` in Hz."""
        return self.config.sample_rate

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __len__(self) -> int:
        return int(self.audio.shape[0])

    def __repr__(self) -> str:
        return (
            f"AudioDataset({len(self)} clips of {self.config.num_samples} samples at "
            f"{self.sample_rate} Hz, {self.num_classes} classes, "
            f"{len(set(self.speakers.tolist()))} speakers, {len(self.skipped)} skipped)"
        )

    def subset(self, index: np.ndarray | Sequence[int] | Sequence[bool]) -> AudioDataset:
        """The clips selected by a boolean mask [n] or integer indices (in that order)."""
        index = np.asarray(index)
        if index.dtype == bool and index.shape != (len(self),):
            raise ValueError(f"a boolean mask must have shape [{len(self)}], got {index.shape}.")
        if index.dtype != bool and index.size and not np.issubdtype(index.dtype, np.integer):
            raise ValueError(f"index must be a boolean mask or integers, got {index.dtype}.")
        index = index.astype(np.int64) if index.size == 0 else index
        return dataclasses.replace(
            self,
            audio=self.audio[index],
            labels=self.labels[index],
            speakers=self.speakers[index],
            takes=self.takes[index],
            paths=self.paths[index],
            lengths=self.lengths[index],
        )

    def official_split(self) -> tuple[AudioDataset, AudioDataset]:
        """(train, test): FSDD's official split, takes 0-4 in test (2,700 / 300 clips)."""
        if np.any(self.takes < 0):
            raise DataError(
                "this dataset has clips with unknown takes (-1), so the official split is "
                "undefined; use speaker_split() or subset() instead, or load with a pattern "
                "that has a (?P<take>...) group."
            )
        test = np.isin(self.takes, np.asarray(FSDD_TEST_TAKES))
        return self.subset(~test), self.subset(test)

    def speaker_split(
        self, test_speakers: str | Iterable[str]
    ) -> tuple[AudioDataset, AudioDataset]:
        """(train, test): every clip of ``test_speakers`` in test, the rest in train."""
        wanted = {test_speakers} if isinstance(test_speakers, str) else set(test_speakers)
        known = sorted(set(self.speakers.tolist()) - {""})
        unknown = sorted(wanted - set(known))
        if unknown or not wanted:
            raise DataError(
                f"unknown speaker(s) {unknown}; the known speakers are {known}."
                if unknown
                else f"name at least one speaker to hold out; the known speakers are {known}."
            )
        test = np.isin(self.speakers, sorted(wanted))
        return self.subset(~test), self.subset(test)

    def speaker_folds(self) -> Iterator[tuple[str, AudioDataset, AudioDataset]]:
        """Leave-one-speaker-out folds: yields (speaker, train, test) for each known speaker."""
        for speaker in sorted(set(self.speakers.tolist()) - {""}):
            train, test = self.speaker_split(speaker)
            yield speaker, train, test

    def batches(
        self, batch_size: int, *, shuffle: bool = True, seed: int = 0, drop_remainder: bool = False
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of NumPy batches (works with any Keras backend).

        Yields:
            (audio float32 [b, num_samples], labels int64 [b]); b = ``batch_size`` except
            possibly the last batch (dropped if ``drop_remainder``).
        """
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        order = (
            np.random.default_rng(seed).permutation(len(self)) if shuffle else np.arange(len(self))
        )
        stop = len(self) - (len(self) % batch_size if drop_remainder else 0)
        for start in range(0, stop, batch_size):
            index = order[start : start + batch_size]
            yield self.audio[index], self.labels[index]

    def to_tf_dataset(
        self,
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        cache: bool = True,
        drop_remainder: bool = True,
        repeat: bool = False,
        map_fn: Callable[[Any, Any], Any] | None = None,
    ) -> Any:
        """A ``tf.data.Dataset`` of batches (audio float32 [b, num_samples], labels int64 [b]).

        Pipeline: from_tensor_slices -> map(map_fn, per clip, parallel) -> cache (in memory)
        -> shuffle (whole set, reshuffled each epoch) -> repeat -> batch -> prefetch(AUTOTUNE).
        ``map_fn(audio, label)`` runs before the cache, so with ``cache=True`` it must be
        deterministic (features, not random augmentation).
        """
        import tensorflow as tf

        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        dataset = tf.data.Dataset.from_tensor_slices((self.audio, self.labels))
        if map_fn is not None:
            dataset = dataset.map(map_fn, num_parallel_calls=tf.data.AUTOTUNE)
        if cache:
            dataset = dataset.cache()
        if shuffle:
            dataset = dataset.shuffle(max(len(self), 1), seed=seed, reshuffle_each_iteration=True)
        if repeat:
            dataset = dataset.repeat()
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
        return dataset.prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------------------------
# 5. Loading FSDD and folders
# ---------------------------------------------------------------------------------------------


def _decode_one(path: Path, config: AudioConfig) -> tuple[np.ndarray | None, int, str]:
    """(clip, length, "") for a good file, (None, 0, reason) for a bad one."""
    try:
        audio, length = load_audio(path, config, return_length=True)
    except DataError as error:
        return None, 0, str(error)
    return audio, length, ""


def _decode_all(
    entries: Sequence[tuple[Path, str, str, int]],
    config: AudioConfig,
    on_error: str,
    progress: bool,
    description: str,
) -> tuple[list[tuple[Path, str, str, int]], np.ndarray, np.ndarray, list[tuple[str, str]]]:
    """Decode (path, label, speaker, take) entries into one preallocated array.

    Files are decoded by a few threads (libsndfile and soxr release the GIL), in order;
    bad files raise (``on_error="raise"``, the first in order) or are collected.

    Returns:
        (kept entries, audio float32 [kept, num_samples], lengths int64 [kept], skipped).
    """
    from concurrent.futures import ThreadPoolExecutor

    audio = np.empty((len(entries), config.num_samples), dtype=np.float32)
    lengths = np.empty(len(entries), dtype=np.int64)
    keep = np.ones(len(entries), dtype=bool)
    skipped = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(entries), desc=description, unit="file")
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(lambda entry: _decode_one(entry[0], config), entries)
        try:
            for i, (clip, length, reason) in enumerate(results):
                if bar is not None:
                    bar.update()
                if clip is None:
                    if on_error == "raise":
                        raise DataError(reason)
                    skipped.append((str(entries[i][0]), reason))
                    keep[i] = False
                    continue
                audio[i] = clip
                lengths[i] = length
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            if bar is not None:
                bar.close()
    if keep.all():
        return list(entries), audio, lengths, skipped
    kept = [entry for entry, k in zip(entries, keep, strict=True) if k]
    return kept, audio[keep], lengths[keep], skipped


def _check_on_error(on_error: str) -> None:
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")


def _warn_skipped(skipped: Sequence[tuple[str, str]], folder: Path) -> None:
    if skipped:
        warnings.warn(
            f"skipped {len(skipped)} bad file(s) in {folder} (first: {skipped[0][0]}); "
            "see dataset.skipped for the reasons.",
            stacklevel=3,
        )


def _build(
    entries: Sequence[tuple[Path, str, str, int]],
    audio: np.ndarray,
    lengths: np.ndarray,
    class_names: tuple[str, ...],
    config: AudioConfig,
    skipped: Sequence[tuple[str, str]],
) -> AudioDataset:
    index = {name: i for i, name in enumerate(class_names)}
    n = len(entries)
    return AudioDataset(
        audio=audio,
        labels=np.array([index[entry[1]] for entry in entries], dtype=np.int64).reshape(n),
        class_names=class_names,
        speakers=np.array([entry[2] for entry in entries], dtype=str).reshape(n),
        takes=np.array([entry[3] for entry in entries], dtype=np.int64).reshape(n),
        paths=np.array([str(entry[0]) for entry in entries], dtype=str).reshape(n),
        lengths=lengths,
        config=config,
        skipped=tuple(skipped),
    )


def _fsdd_cache_key(files: Sequence[Path], config: AudioConfig) -> str:
    """Hash of the folder's listing (names, sizes, mtimes) and the config."""
    key = hashlib.sha256()
    key.update(json.dumps({"version": _CACHE_VERSION, "config": to_dict(config)},
                          sort_keys=True).encode())
    for file in files:
        stat = file.stat()
        key.update(f"{file.name}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return key.hexdigest()[:24]


def fsdd_cache_file(path: str | Path, config: AudioConfig = DEFAULT_CONFIG) -> Path:
    """Where :func:`load_fsdd` caches the decoded arrays of the FSDD copy at ``path``.

    The name holds a hash of the recordings' names, sizes and modification times and of
    ``config``, so editing a file or changing the config selects a new cache file.
    """
    recordings = Path(path) / "recordings"
    files = sorted(recordings.glob("*.wav"), key=lambda p: p.name)
    return cache_dir() / "arrays" / f"fsdd-{_fsdd_cache_key(files, config)}.npz"


def _array_digest(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    return digest.hexdigest()


def _save_cache(path: Path, dataset: AudioDataset, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(
                out,
                key=np.array(key),
                audio=dataset.audio,
                labels=dataset.labels,
                speakers=dataset.speakers,
                takes=dataset.takes,
                names=np.array([Path(p).name for p in dataset.paths], dtype=str),
                lengths=dataset.lengths,
                skipped=np.array(
                    [[Path(p).name, reason] for p, reason in dataset.skipped], dtype=str
                ).reshape(-1, 2),
                checksum=np.array(
                    _array_digest(dataset.audio, dataset.labels, dataset.takes, dataset.lengths)
                ),
            )
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _load_cache(path: Path, key: str, recordings: Path, config: AudioConfig) -> AudioDataset | None:
    """The cached dataset, or None if absent, stale or corrupt (never trusted blindly)."""
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
                class_names=tuple(str(d) for d in range(10)),
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


def load_fsdd(
    path: str | Path | None = None,
    config: AudioConfig = DEFAULT_CONFIG,
    *,
    split: str = "all",
    on_error: str = "raise",
    cache: bool = True,
    progress: bool = True,
    download: bool = True,
) -> AudioDataset:
    """Load the Free Spoken Digit Dataset: 3,000 clips, 10 digits x 6 speakers x 50 takes.

    Args:
        path: an FSDD folder (with ``recordings/``); ``None`` searches as :func:`fsdd_path`.
        config: how clips are read (default: 8 kHz, 8,192 samples, peak-normalised).
        split: ``"all"`` (3,000), ``"train"`` (takes 5-49: 2,700) or ``"test"`` (takes
            0-4: 300), the official split.
        on_error: ``"raise"`` a :class:`DataError` for the first bad file, or ``"skip"`` bad
            files (listed in ``.skipped``, with a warning).
        cache: read/write decoded arrays as ``.npz`` in :func:`cache_dir`, keyed by the
            folder's file names, sizes and modification times and by ``config``. A cache file
            that does not match its checksum is rebuilt.
        progress: show a progress bar while decoding.
        download: allow downloading when no copy is found.

    Returns:
        An :class:`AudioDataset` with labels 0-9, ``class_names`` "0".."9", speakers and takes
        from the file names; ``from_cache`` says whether the cache was used.
    """
    if split not in ("all", "train", "test"):
        raise ValueError(f"split must be 'all', 'train' or 'test', got {split!r}.")
    _check_on_error(on_error)
    folder = fsdd_path(path, download=download, progress=progress)
    recordings = folder / "recordings"
    files = sorted(recordings.glob("*.wav"), key=lambda p: p.name)

    dataset = None
    cache_file = None
    if cache:
        key = _fsdd_cache_key(files, config)
        cache_file = cache_dir() / "arrays" / f"fsdd-{key}.npz"
        dataset = _load_cache(cache_file, key, recordings, config)
    if dataset is None:
        entries, skipped = [], []
        for file in files:
            match = FSDD_NAME_PATTERN.fullmatch(file.stem)
            if match is None:
                reason = (
                    f"{file} does not follow the FSDD naming {{digit}}_{{speaker}}_{{take}}.wav; "
                    "rename or remove it, or use load_folder() for other layouts."
                )
                if on_error == "raise":
                    raise DataError(reason)
                skipped.append((str(file), reason))
                continue
            entries.append(
                (file, match["label"], match["speaker"], int(match["take"]))
            )
        kept, audio, lengths, bad = _decode_all(
            entries, config, on_error, progress, "decoding FSDD"
        )
        dataset = _build(
            kept, audio, lengths, tuple(str(d) for d in range(10)), config, skipped + bad
        )
        if cache_file is not None:
            try:
                _save_cache(cache_file, dataset, key)
            except OSError as error:
                warnings.warn(
                    f"could not write the cache file {cache_file} ({error}); the next load will "
                    "decode again. Set AUDIOGAN_CACHE to a writable folder.",
                    stacklevel=2,
                )
    elif on_error == "raise" and dataset.skipped:
        raise DataError(dataset.skipped[0][1])
    _warn_skipped(dataset.skipped, recordings)

    if split == "all":
        return dataset
    train, test = dataset.official_split()
    return train if split == "train" else test


def _natural_key(name: str) -> tuple[int, int | str]:
    return (0, int(name)) if name.isdigit() else (1, name)


def load_folder(
    folder: str | Path,
    config: AudioConfig = DEFAULT_CONFIG,
    *,
    labels: str = "subfolders",
    pattern: str | re.Pattern[str] | None = None,
    on_error: str = "raise",
    progress: bool = True,
) -> AudioDataset:
    """Load your own audio: every wav/flac/ogg file under ``folder``, recursively.

    Any sample rate and channel count; clips are read with :func:`load_audio`.

    Args:
        folder: the root folder.
        config: how clips are read.
        labels: ``"subfolders"``: the class is the first-level sub-folder name (files directly
            in ``folder`` are bad input); ``"pattern"``: ``pattern`` must fully match each
            file stem and have a named group ``label`` (optional groups ``speaker`` and
            ``take``; a non-numeric take becomes -1).
        pattern: the regex for ``labels="pattern"``.
        on_error: ``"raise"`` or ``"skip"`` bad files (see :func:`load_fsdd`).
        progress: show a progress bar while decoding.

    Returns:
        An :class:`AudioDataset`; ``class_names`` sorted (numbers numerically), labels index
        them; speakers ``""`` and takes -1 where the layout does not give them.
    """
    _check_on_error(on_error)
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; check the path.")
    files = sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS and not p.name.startswith(".")
    )
    if not files:
        raise DataError(
            f"{folder} contains no audio files ({', '.join(SUPPORTED_EXTENSIONS)}), "
            "searched recursively; check the path."
        )
    if labels == "pattern":
        if pattern is None:
            raise ValueError(
                "labels='pattern' needs pattern=, a regex with a (?P<label>...) group."
            )
        regex = re.compile(pattern)
        if "label" not in regex.groupindex:
            raise ValueError(f"pattern {regex.pattern!r} has no named group (?P<label>...).")
    elif labels != "subfolders":
        raise ValueError(f"labels must be 'subfolders' or 'pattern', got {labels!r}.")

    entries, skipped = [], []
    for file in files:
        relative = file.relative_to(folder)
        reason = None
        if labels == "subfolders":
            if len(relative.parts) < 2:
                reason = (
                    f"{file} is not inside a class sub-folder of {folder}; move it into one "
                    "(e.g. {folder}/<class>/file.wav) or use labels='pattern'."
                )
            else:
                entries.append((file, relative.parts[0], "", -1))
        else:
            match = regex.fullmatch(file.stem)
            if match is None:
                reason = (
                    f"{file} does not match the pattern {regex.pattern!r}; rename it or "
                    "change the pattern."
                )
            else:
                groups = match.groupdict()
                take = groups.get("take") or ""
                entries.append(
                    (file, groups["label"], groups.get("speaker") or "",
                     int(take) if take.isdigit() else -1)
                )
        if reason is not None:
            if on_error == "raise":
                raise DataError(reason)
            skipped.append((str(file), reason))

    kept, audio, lengths, bad = _decode_all(
        entries, config, on_error, progress, f"decoding {folder.name}"
    )
    class_names = tuple(sorted({entry[1] for entry in kept}, key=_natural_key))
    dataset = _build(kept, audio, lengths, class_names, config, skipped + bad)
    _warn_skipped(dataset.skipped, folder)
    return dataset


# ---------------------------------------------------------------------------------------------
# 6. Writing audio, statistics
# ---------------------------------------------------------------------------------------------


def _to_pcm16(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2 and audio.shape[-1] == 1:
        audio = audio[:, 0]
    if audio.ndim != 1:
        raise ValueError(f"expected a mono waveform of shape [samples], got shape {audio.shape}.")
    audio = np.nan_to_num(audio, nan=0.0, posinf=1.0, neginf=-1.0)
    return np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """A mono waveform as the bytes of a 16-bit PCM wav file (for audio players).

    Args:
        audio: float [samples] (or [samples, 1]) in [-1, 1]; values outside are clipped,
            NaN becomes 0.
        sample_rate: in Hz.
    """
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, _to_pcm16(audio), int(sample_rate), subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def save_wav(path: str | Path, audio: np.ndarray, sample_rate: int) -> Path:
    """Write a mono waveform (float [samples] in [-1, 1], clipped) to ``path`` as 16-bit PCM wav.

    Parent folders are created; returns the path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(audio, sample_rate))
    return path


def clip_length_table(dataset: AudioDataset, by: str = "label") -> dict[str, dict[str, float]]:
    """Clip-length statistics per class (``by="label"``) or per speaker (``by="speaker"``).

    Returns:
        {group name: {"count", "min", "median", "mean", "p95", "max" (all in samples at
        ``dataset.sample_rate``), "mean_s" (seconds), "over" (clips longer than
        ``num_samples``, cropped)}}, groups in sorted order, plus ``"all"``.
    """
    if by == "label":
        keys = np.array([dataset.class_names[i] for i in dataset.labels], dtype=str)
        groups = list(dataset.class_names)
    elif by == "speaker":
        keys = dataset.speakers
        groups = sorted(set(keys.tolist()))
    else:
        raise ValueError(f"by must be 'label' or 'speaker', got {by!r}.")
    table = {}
    for name, mask in [(g, keys == g) for g in groups] + [("all", np.ones(len(keys), bool))]:
        values = dataset.lengths[mask]
        if values.size == 0:
            continue
        table[name] = {
            "count": int(values.size),
            "min": int(values.min()),
            "median": float(np.median(values)),
            "mean": float(values.mean()),
            "p95": float(np.percentile(values, 95)),
            "max": int(values.max()),
            "mean_s": float(values.mean() / dataset.sample_rate),
            "over": int(np.sum(values > dataset.config.num_samples)),
        }
    return table
