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
6. writing wav files for players (:func:`wav_bytes`, :func:`save_wav`) and clip statistics;
7. noisy FSDD for enhancement (:func:`make_noise`, :func:`mix_at_snr`,
   :func:`make_noisy_dataset`, :func:`make_noisy_split`): white, pink, brown, hum and babble
   noise mixed at chosen SNRs, reproducible by seed.
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


# ---------------------------------------------------------------------------------------------
# 7. Noisy FSDD: noise generators, mixing at a chosen SNR, held-out test sets
#    (speech enhancement, introduced in notebooks/06_enhancement.ipynb)
# ---------------------------------------------------------------------------------------------

#: Noise types :func:`make_noise` and :func:`make_noisy_dataset` know.
NOISE_TYPES = ("white", "pink", "brown", "hum", "babble")

#: Power-spectrum exponent ``beta`` of the coloured noises: power ~ 1 / f**beta, a slope of
#: ``-10 log10(2) beta`` = 0, -3.01 and -6.02 dB per octave.
NOISE_EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0}

#: Frame length (samples) and threshold used to find a clean clip's active (speech) samples.
ACTIVE_FRAME = 256
ACTIVE_THRESHOLD_DB = -40.0


def _unit_rms(noise: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(noise, dtype=np.float64))))
    if rms < 1e-12:
        raise ValueError("the noise is silent (RMS 0), so it cannot be scaled to an SNR.")
    return (noise / rms).astype(np.float32)


def colored_noise(num_samples: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise whose power spectrum falls as ``1 / f**exponent`` (spectral shaping).

    White Gaussian noise is transformed with a real FFT, every bin ``k >= 1`` is multiplied
    by ``k ** (-exponent / 2)`` (the DC bin is set to 0) and the result is transformed back.
    ``exponent`` 0 is white (flat), 1 pink (-3 dB/octave), 2 brown (-6 dB/octave).

    Returns:
        float32 [num_samples], zero mean, RMS 1.
    """
    if num_samples < 2:
        raise ValueError(f"num_samples must be at least 2, got {num_samples}.")
    spectrum = np.fft.rfft(rng.standard_normal(num_samples))
    bins = np.arange(spectrum.shape[0], dtype=np.float64)
    bins[0] = np.inf  # zero DC: brown noise would otherwise drift without bound
    spectrum *= bins ** (-exponent / 2.0)
    return _unit_rms(np.fft.irfft(spectrum, n=num_samples))


def hum_noise(
    num_samples: int,
    sample_rate: int,
    rng: np.random.Generator,
    mains_hz: float | None = None,
    num_harmonics: int = 8,
) -> np.ndarray:
    """Mains hum: a 50 or 60 Hz fundamental and its harmonics, amplitudes ``1 / k``.

    Harmonic ``k`` (``k = 1 .. num_harmonics``, those below the Nyquist frequency) has
    amplitude ``1 / k`` (an odd/even mix like a buzzing transformer), a random phase and
    a frequency ``k * mains_hz`` with a common random detuning of at most +-0.5 %.

    Args:
        mains_hz: 50 or 60 Hz; ``None`` picks one at random.

    Returns:
        float32 [num_samples], RMS 1, at ``sample_rate`` Hz.
    """
    if mains_hz is None:
        mains_hz = float(rng.choice([50.0, 60.0]))
    if mains_hz <= 0 or mains_hz >= sample_rate / 2:
        raise ValueError(f"mains_hz must be in (0, {sample_rate / 2}) Hz, got {mains_hz}.")
    fundamental = mains_hz * (1.0 + rng.uniform(-0.005, 0.005))
    t = np.arange(num_samples, dtype=np.float64) / sample_rate
    hum = np.zeros(num_samples, dtype=np.float64)
    for k in range(1, num_harmonics + 1):
        if k * fundamental >= sample_rate / 2:
            break
        hum += np.sin(2 * np.pi * k * fundamental * t + rng.uniform(0, 2 * np.pi)) / k
    return _unit_rms(hum)


def babble_noise(
    pool: np.ndarray,
    num_talkers: int,
    rng: np.random.Generator,
    candidates: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Babble: ``num_talkers`` different clips of ``pool``, each at the same RMS, summed.

    From each chosen clip the span from its first to its last active sample
    (:func:`active_mask`) is kept, scaled to unit RMS and repeated back to back from a random
    starting point for the whole length, so that every talker speaks throughout and the
    words of different talkers overlap (no silent gaps where the target speaks).

    Args:
        pool: float [m, samples] clips to draw from.
        candidates: int indices into ``pool`` that may be used (at least ``num_talkers``);
            ``None`` allows all. The caller leaves out the target speaker's clips.

    Returns:
        (babble float32 [samples] with RMS 1, the indices into ``pool`` used, int64
        [num_talkers]).
    """
    pool = np.asarray(pool)
    candidates = (
        np.arange(pool.shape[0]) if candidates is None else np.asarray(candidates, np.int64)
    )
    if pool.ndim != 2 or candidates.size < num_talkers or num_talkers < 1:
        raise ValueError(
            f"babble needs a pool [clips, samples] with at least num_talkers={num_talkers} "
            f"usable clips, got shape {pool.shape} and {candidates.size} usable clips; use "
            "more clips or fewer talkers."
        )
    chosen = candidates[rng.choice(candidates.size, size=num_talkers, replace=False)]
    babble = np.zeros(pool.shape[1], dtype=np.float64)
    samples = pool.shape[1]
    for index in chosen:
        clip = pool[index].astype(np.float64)
        active = np.flatnonzero(active_mask(clip))
        if active.size == 0:
            continue
        word = clip[active[0] : active[-1] + 1]
        word = word / np.sqrt(np.mean(word**2))
        # The talker repeats the word without pause from a random point on.
        stream = np.tile(word, samples // word.size + 2)
        start = int(rng.integers(word.size))
        babble += stream[start : start + samples]
    return _unit_rms(babble), chosen.astype(np.int64)


def make_noise(
    noise_type: str,
    num_samples: int,
    sample_rate: int,
    rng: np.random.Generator,
    *,
    babble_pool: np.ndarray | None = None,
    babble_talkers: int = 4,
) -> np.ndarray:
    """One noise clip of ``noise_type`` (see :data:`NOISE_TYPES`), float32 [num_samples], RMS 1.

    ``"babble"`` needs ``babble_pool`` (float [m, num_samples] clips of other speakers).
    """
    if noise_type in NOISE_EXPONENTS:
        return colored_noise(num_samples, NOISE_EXPONENTS[noise_type], rng)
    if noise_type == "hum":
        return hum_noise(num_samples, sample_rate, rng)
    if noise_type == "babble":
        if babble_pool is None:
            raise ValueError("babble noise needs babble_pool=, clips of other speakers.")
        return babble_noise(babble_pool, babble_talkers, rng)[0]
    raise ValueError(f"noise_type must be one of {NOISE_TYPES}, got {noise_type!r}.")


def active_mask(
    clean: np.ndarray,
    frame_length: int = ACTIVE_FRAME,
    threshold_db: float = ACTIVE_THRESHOLD_DB,
) -> np.ndarray:
    """Which samples of a clean clip are active speech: bool [samples].

    The clip is cut into non-overlapping frames of ``frame_length`` samples (32 ms at 8 kHz;
    the last frame may be shorter); a frame is active when its mean power is within
    ``threshold_db`` dB of the loudest frame's. FSDD clips are zero-padded to 1.024 s, and
    the padding and pauses are inactive.
    """
    clean = np.asarray(clean, dtype=np.float64)
    if clean.ndim != 1:
        raise ValueError(f"expected a waveform [samples], got shape {clean.shape}.")
    starts = np.arange(0, clean.shape[0], frame_length)
    power = np.add.reduceat(clean**2, starts) / np.diff(np.append(starts, clean.shape[0]))
    loudest = float(power.max()) if power.size else 0.0
    if loudest <= 0:
        return np.zeros(clean.shape[0], dtype=bool)
    frames = power >= loudest * 10.0 ** (threshold_db / 10.0)
    return np.repeat(frames, np.diff(np.append(starts, clean.shape[0])))


def measure_snr(clean: np.ndarray, noisy: np.ndarray, over: str = "active") -> float:
    """SNR in dB of ``noisy`` against ``clean``: ``10 log10(sum clean^2 / sum (noisy - clean)^2)``.

    Args:
        clean, noisy: float [samples].
        over: ``"active"`` sums over :func:`active_mask` of ``clean`` only; ``"all"`` over
            every sample.
    """
    clean = np.asarray(clean, dtype=np.float64)
    noise = np.asarray(noisy, dtype=np.float64) - clean
    mask = _snr_mask(clean, over)
    return float(10 * np.log10(np.sum(clean[mask] ** 2) / max(np.sum(noise[mask] ** 2), 1e-30)))


def _snr_mask(clean: np.ndarray, over: str) -> np.ndarray:
    if over == "active":
        mask = active_mask(clean)
        if not mask.any():
            raise ValueError("the clean clip is silent, so its SNR is undefined.")
        return mask
    if over == "all":
        return np.ones(clean.shape[0], dtype=bool)
    raise ValueError(f"over must be 'active' or 'all', got {over!r}.")


def mix_at_snr(
    clean: np.ndarray, noise: np.ndarray, snr_db: float, over: str = "active"
) -> np.ndarray:
    """``clean + g * noise`` with the gain ``g`` that gives exactly ``snr_db`` dB.

    The SNR is measured over the clean clip's active samples by default (``over="active"``,
    see :func:`active_mask`): zero padding and pauses do not count, so "5 dB" means 5 dB
    during the words, as speech-enhancement corpora define it. ``over="all"`` measures over
    the whole clip (on FSDD's padded clips that would make the words louder than stated
    relative to the noise). :func:`measure_snr` with the same ``over`` returns ``snr_db``.

    Args:
        clean: float [samples] in [-1, 1].
        noise: float [samples], any level (at least as long as ``clean``; cropped).
        snr_db: the target SNR in dB.

    Returns:
        float32 [samples]; not clipped, so it can exceed [-1, 1] at low SNR (see
        :func:`make_noisy_dataset`, which rescales the pair).
    """
    clean = np.asarray(clean, dtype=np.float64)
    noise = np.asarray(noise, dtype=np.float64)
    if clean.ndim != 1 or noise.ndim != 1 or noise.shape[0] < clean.shape[0]:
        raise ValueError(
            f"need clean [samples] and noise [>= samples], got {clean.shape} and {noise.shape}."
        )
    noise = noise[: clean.shape[0]]
    mask = _snr_mask(clean, over)
    noise_power = float(np.sum(noise[mask] ** 2))
    if noise_power <= 0:
        raise ValueError("the noise is silent where the speech is, so it cannot set an SNR.")
    gain = np.sqrt(np.sum(clean[mask] ** 2) / noise_power / 10.0 ** (snr_db / 10.0))
    return (clean + gain * noise).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class NoisyDataset:
    """Pairs of (noisy, clean) clips for speech enhancement.

    Attributes:
        noisy: float32 [n, num_samples] at ``config.sample_rate`` Hz, clean + noise.
        clean: float32 [n, num_samples], the target; the same clean clip as in the source
            dataset, times a gain <= 1 when the mixture had to be scaled down to stay within
            ``peak_level`` (noisy and clean share that gain, so the SNR is unchanged).
        snr_db: float32 [n], the SNR of each pair in dB (over the clean clip's active
            samples, see :func:`mix_at_snr`).
        noise_type: str [n], one of :data:`NOISE_TYPES`.
        noise_seed: int64 [n], the seed of the generator that drew each clip's noise.
        babble_sources: str [n], the file names of the clips mixed into babble, joined by
            ``","`` (``""`` for other noise types).
        labels, speakers, takes, paths: of the clean clip (as in :class:`AudioDataset`).
        config: the audio config of the clips.
    """

    noisy: np.ndarray
    clean: np.ndarray
    snr_db: np.ndarray
    noise_type: np.ndarray
    noise_seed: np.ndarray
    babble_sources: np.ndarray
    labels: np.ndarray
    speakers: np.ndarray
    takes: np.ndarray
    paths: np.ndarray
    config: AudioConfig

    def __post_init__(self) -> None:
        if self.noisy.shape != self.clean.shape or self.noisy.ndim != 2:
            raise ValueError(
                f"noisy and clean must both be [n, samples], got {self.noisy.shape} and "
                f"{self.clean.shape}."
            )
        n = self.noisy.shape[0]
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name not in ("noisy", "clean", "config") and value.shape != (n,):
                raise ValueError(f"{field.name} must have shape [{n}], got {value.shape}.")

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def __len__(self) -> int:
        return int(self.noisy.shape[0])

    def __repr__(self) -> str:
        return (
            f"NoisyDataset({len(self)} pairs at {self.sample_rate} Hz, SNRs "
            f"{sorted(set(self.snr_db.tolist()))} dB, noises {sorted(set(self.noise_type.tolist()))}, "
            f"speakers {sorted(set(self.speakers.tolist()))})"
        )

    def subset(self, index: np.ndarray | Sequence[int] | Sequence[bool]) -> NoisyDataset:
        """The pairs selected by a boolean mask [n] or integer indices."""
        index = np.asarray(index)
        changes = {
            field.name: getattr(self, field.name)[index]
            for field in dataclasses.fields(self)
            if field.name != "config"
        }
        return dataclasses.replace(self, **changes)

    def select(self, snr_db: float | None = None, noise_type: str | None = None) -> NoisyDataset:
        """The pairs at one SNR and/or of one noise type."""
        mask = np.ones(len(self), dtype=bool)
        if snr_db is not None:
            mask &= np.isclose(self.snr_db, snr_db)
        if noise_type is not None:
            mask &= self.noise_type == noise_type
        return self.subset(mask)


def make_noisy_dataset(
    dataset: AudioDataset,
    snrs: Sequence[float] = (0.0, 5.0, 10.0, 15.0),
    noise_types: Sequence[str] = NOISE_TYPES,
    seed: int = 0,
    *,
    combinations: str = "all",
    babble_pool: AudioDataset | None = None,
    babble_talkers: int = 4,
    peak_level: float = 0.99,
    over: str = "active",
) -> NoisyDataset:
    """Mix every clip of ``dataset`` with noise at chosen SNRs; reproducible by ``seed``.

    Args:
        dataset: the clean clips.
        snrs: SNRs in dB.
        noise_types: a subset of :data:`NOISE_TYPES`.
        seed: the same seed gives identical pairs; every pair's noise comes from its own
            generator, seeded from ``seed`` (recorded in ``noise_seed``).
        combinations: ``"all"``: every clip with every (SNR, noise type), ``n * len(snrs) *
            len(noise_types)`` pairs; ``"sample"``: one random (SNR, noise type) per clip.
        babble_pool: clips babble is made from (default: ``dataset`` itself); clips of the
            target clip's speaker are always left out.
        babble_talkers: clips summed into one babble.
        peak_level: a pair whose noisy peak exceeds it is scaled down (noisy and clean by the
            same gain) so that nothing clips.
        over: where the SNR is measured (see :func:`mix_at_snr`).

    Returns:
        A :class:`NoisyDataset`, pairs ordered by clip, then SNR, then noise type.
    """
    unknown = sorted(set(noise_types) - set(NOISE_TYPES))
    if unknown or not noise_types:
        raise ValueError(f"noise_types must be a non-empty subset of {NOISE_TYPES}, got {noise_types}.")
    if not snrs:
        raise ValueError("snrs must name at least one SNR in dB, e.g. (0, 5, 10, 15).")
    if combinations not in ("all", "sample"):
        raise ValueError(f"combinations must be 'all' or 'sample', got {combinations!r}.")
    pool = dataset if babble_pool is None else babble_pool
    if "babble" in noise_types and pool.config.num_samples != dataset.config.num_samples:
        raise ValueError("babble_pool must have clips of the same length as dataset.")
    pool_names = np.array([Path(p).name for p in pool.paths], dtype=str)
    pairs = [(float(s), str(t)) for s in snrs for t in noise_types]
    master = np.random.default_rng(seed)
    rows: dict[str, list[Any]] = {
        k: [] for k in ("noisy", "clean", "snr", "type", "seed", "babble", "source")
    }
    for i in range(len(dataset)):
        if combinations == "all":
            chosen = pairs
        else:
            chosen = [pairs[int(master.integers(len(pairs)))]]
        for snr, noise_type in chosen:
            noise_seed = int(master.integers(2**62))
            rng = np.random.default_rng(noise_seed)
            sources = ""
            clean = dataset.audio[i]
            if noise_type == "babble":
                others = np.flatnonzero(pool.speakers != dataset.speakers[i])
                noise, used = babble_noise(pool.audio, babble_talkers, rng, others)
                sources = ",".join(pool_names[used])
            else:
                noise = make_noise(noise_type, clean.shape[0], dataset.sample_rate, rng)
            noisy = mix_at_snr(clean, noise, snr, over=over)
            peak = float(np.max(np.abs(noisy)))
            gain = min(1.0, peak_level / peak) if peak > 0 else 1.0
            rows["noisy"].append(noisy * np.float32(gain))
            rows["clean"].append(clean * np.float32(gain))
            rows["snr"].append(snr)
            rows["type"].append(noise_type)
            rows["seed"].append(noise_seed)
            rows["babble"].append(sources)
            rows["source"].append(i)
    source = np.asarray(rows["source"], dtype=np.int64)
    samples = dataset.config.num_samples
    return NoisyDataset(
        noisy=np.asarray(rows["noisy"], dtype=np.float32).reshape(-1, samples),
        clean=np.asarray(rows["clean"], dtype=np.float32).reshape(-1, samples),
        snr_db=np.asarray(rows["snr"], dtype=np.float32),
        noise_type=np.asarray(rows["type"], dtype=str),
        noise_seed=np.asarray(rows["seed"], dtype=np.int64),
        babble_sources=np.asarray(rows["babble"], dtype=str),
        labels=dataset.labels[source],
        speakers=dataset.speakers[source],
        takes=dataset.takes[source],
        paths=dataset.paths[source],
        config=dataset.config,
    )


#: Default held-out speakers of :func:`make_noisy_split` (2 of FSDD's 6).
NOISY_TEST_SPEAKERS = ("george", "yweweler")


def make_noisy_split(
    dataset: AudioDataset,
    test_speakers: str | Iterable[str] = NOISY_TEST_SPEAKERS,
    snrs: Sequence[float] = (0.0, 5.0, 10.0, 15.0),
    noise_types: Sequence[str] = NOISE_TYPES,
    seed: int = 0,
    *,
    train_combinations: str = "sample",
    test_combinations: str = "sample",
    babble_talkers: int = 4,
) -> tuple[NoisyDataset, NoisyDataset]:
    """(train, test) noisy sets where the test voices AND the test noise were never trained on.

    - Voices: the test clean clips are every clip of ``test_speakers``; the training clean
      clips come from the other speakers.
    - Babble: the test babble is made only of clips with takes 0-4 (FSDD's official test
      takes) of speakers other than the target; those clips are kept out of the training
      part altogether (neither as clean targets nor as babble), and the training babble
      is made of the training clean clips (other speakers than the target). So no babble
      clip of the test set was heard during training, though the test babble can contain the
      voices of training speakers (different utterances) as well as the other test speaker's.
    - Synthetic noise: the training and test noise generators are seeded from different
      children of ``numpy.random.SeedSequence(seed)`` (recorded in ``noise_seed``).

    Args:
        dataset: clean FSDD clips (all 3,000, or a subset with takes).
        test_speakers: held-out speaker(s).
        train_combinations, test_combinations: see ``combinations`` of
            :func:`make_noisy_dataset`. The default ``"sample"`` gives one pair per clean
            clip (2,430 / 1,000 pairs, 80 / 33 MB of float32 noisy + clean); ``"all"``
            multiplies that by ``len(snrs) * len(noise_types)`` (20 by default), so use it
            on a subset (a per-SNR benchmark: ``make_noisy_dataset`` on a few test clips).

    Returns:
        (train, test) :class:`NoisyDataset`\\ s.
    """
    if np.any(dataset.takes < 0):
        raise DataError(
            "make_noisy_split needs clips with takes (FSDD names); this dataset has unknown "
            "takes (-1). Use make_noisy_dataset on your own split instead."
        )
    rest, test_clean = dataset.speaker_split(test_speakers)
    held_out_takes = np.isin(rest.takes, np.asarray(FSDD_TEST_TAKES))
    train_clean = rest.subset(~held_out_takes)
    test_babble = dataset.subset(np.isin(dataset.takes, np.asarray(FSDD_TEST_TAKES)))
    train_seed, test_seed = (
        int(child.generate_state(1, dtype=np.uint32)[0])
        for child in np.random.SeedSequence(seed).spawn(2)
    )
    train = make_noisy_dataset(
        train_clean, snrs, noise_types, train_seed, combinations=train_combinations,
        babble_talkers=babble_talkers,
    )
    test = make_noisy_dataset(
        test_clean, snrs, noise_types, test_seed, combinations=test_combinations,
        babble_pool=test_babble, babble_talkers=babble_talkers,
    )
    return train, test
