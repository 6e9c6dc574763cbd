"""Loading many files at once: FSDD (:func:`load_fsdd`, cached) and any folder of audio.

Both loaders list the files, parse a label (and, where the names give them, a speaker and a
take) from each path, decode the clips with :func:`~audiogan_kit.data.load_audio` on a few
threads into one preallocated array, and return an :class:`AudioDataset`. A bad file either
raises a :class:`DataError` naming it (``on_error="raise"``) or is left out and listed in
``dataset.skipped`` with a warning (``on_error="skip"``).
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..config import DEFAULT_CONFIG, AudioConfig
from .audio import (
    SUPPORTED_EXTENSIONS,
    audio_files,
    load_audio,
    load_audio_raw,
    prepare_clip,
)
from .cache import cache_key, cache_path, read_cache, write_cache
from .datasets import AudioDataset
from .errors import DataError
from .registry import FSDD_CLASS_NAMES, FSDD_NAME_PATTERN, fsdd_path, fsdd_recordings
from .slicing import window_starts

__all__ = ["LABELS", "UNLABELLED", "load_folder", "load_fsdd"]

#: One file to decode: (path, class name, speaker or "", take or -1).
_Entry = tuple[Path, str, str, int]

# ---------------------------------------------------------------------------------------------
# Shared by both loaders: decoding in threads, bad files, building the dataset
# ---------------------------------------------------------------------------------------------


def _decode_one(
    path: Path, config: AudioConfig, slicing: tuple[int, float] | None
) -> tuple[list[np.ndarray], list[int], int, str]:
    """(clips, lengths, silent windows dropped, "") for a good file; ([], [], 0, reason) for
    a bad one. ``slicing`` = (hop in samples, silence dB) cuts a long file into windows."""
    try:
        if slicing is None:
            audio, length = load_audio(path, config, return_length=True)
            return [audio], [length], 0, ""
        raw = load_audio_raw(path, config.sample_rate)
        starts, silent = window_starts(raw, config.num_samples, *slicing)
        clips, lengths = [], []
        for start in starts:
            clip, length = prepare_clip(path, raw[start : start + config.num_samples], config)
            clips.append(clip)
            lengths.append(length)
        if not clips:
            raise DataError(
                f"{path} is silent: every window is more than {slicing[1]} dB below its peak; "
                "remove it or lower silence_db."
            )
        return clips, lengths, silent, ""
    except DataError as error:
        return [], [], 0, str(error)


def _decode_all(
    entries: Sequence[_Entry],
    config: AudioConfig,
    on_error: str,
    progress: bool,
    description: str,
    slicing: tuple[int, float] | None = None,
) -> tuple[list[_Entry], np.ndarray, np.ndarray, list[tuple[str, str]], int]:
    """Decode entries (each file one clip, or its windows with ``slicing``) into one array.

    Files are decoded by a few threads (libsndfile and soxr release the GIL), in order;
    bad files raise (``on_error="raise"``, the first in order) or are collected.

    Returns:
        (an entry per clip, audio float32 [clips, num_samples], lengths int64 [clips],
        skipped files, silent windows dropped).
    """
    from concurrent.futures import ThreadPoolExecutor

    kept: list[_Entry] = []
    clips: list[np.ndarray] = []
    lengths: list[int] = []
    skipped = []
    silent = 0
    bar = None
    if progress:
        from ..progress import progress_bar

        bar = progress_bar(total=len(entries), desc=description, unit="file")
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(lambda entry: _decode_one(entry[0], config, slicing), entries)
        try:
            for entry, (file_clips, file_lengths, file_silent, reason) in zip(
                entries, results, strict=True
            ):
                if bar is not None:
                    bar.update()
                if not file_clips:
                    if on_error == "raise":
                        raise DataError(reason)
                    skipped.append((str(entry[0]), reason))
                    continue
                kept.extend([entry] * len(file_clips))
                clips.extend(file_clips)
                lengths.extend(file_lengths)
                silent += file_silent
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            if bar is not None:
                bar.close()
    audio = np.stack(clips) if clips else np.empty((0, config.num_samples), np.float32)
    return kept, audio, np.asarray(lengths, dtype=np.int64), skipped, silent


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
    entries: Sequence[_Entry],
    audio: np.ndarray,
    lengths: np.ndarray,
    class_names: tuple[str, ...],
    config: AudioConfig,
    skipped: Sequence[tuple[str, str]],
    silent_windows: int = 0,
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
        silent_windows=silent_windows,
    )


# ---------------------------------------------------------------------------------------------
# FSDD
# ---------------------------------------------------------------------------------------------


def _decode_fsdd(
    files: Sequence[Path], config: AudioConfig, on_error: str, progress: bool
) -> AudioDataset:
    """Parse the FSDD names ``{digit}_{speaker}_{take}.wav`` of ``files`` and decode them."""
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
        entries.append((file, match["label"], match["speaker"], int(match["take"])))
    kept, audio, lengths, bad, _ = _decode_all(
        entries, config, on_error, progress, "decoding FSDD"
    )
    return _build(kept, audio, lengths, FSDD_CLASS_NAMES, config, skipped + bad)


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
        path: an FSDD folder (with ``recordings/``); ``None`` searches as
            :func:`~audiogan_kit.data.fsdd_path`.
        config: how clips are read (default: 8 kHz, 8,192 samples, peak-normalised).
        split: ``"all"`` (3,000), ``"train"`` (takes 5-49: 2,700) or ``"test"`` (takes
            0-4: 300), the official split.
        on_error: ``"raise"`` a :class:`DataError` for the first bad file, or ``"skip"`` bad
            files (listed in ``.skipped``, with a warning).
        cache: read/write decoded arrays as ``.npz`` in
            :func:`~audiogan_kit.data.cache_dir`, keyed by the folder's file names, sizes
            and modification times and by ``config``. A cache file that does not match its
            checksum is rebuilt; one that cannot be written is reported by a warning.
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
    files = fsdd_recordings(folder)

    dataset = cache_file = None
    if cache:
        key = cache_key(files, config)
        cache_file = cache_path(key)
        dataset = read_cache(cache_file, key, recordings, config)
    if dataset is None:
        dataset = _decode_fsdd(files, config, on_error, progress)
        if cache_file is not None:
            try:
                write_cache(cache_file, dataset, key)
            except OSError as error:
                warnings.warn(
                    f"could not write the cache file {cache_file} ({error}); the next load "
                    "will decode again. Set AUDIOGAN_CACHE to a writable folder.",
                    stacklevel=2,
                )
    elif on_error == "raise" and dataset.skipped:
        raise DataError(dataset.skipped[0][1])
    _warn_skipped(dataset.skipped, recordings)

    if split == "all":
        return dataset
    train, test = dataset.official_split()
    return train if split == "train" else test


# ---------------------------------------------------------------------------------------------
# Any folder of audio
# ---------------------------------------------------------------------------------------------


def _natural_key(name: str) -> tuple[int, int | str]:
    return (0, int(name)) if name.isdigit() else (1, name)


def _folder_entries(
    folder: Path,
    files: Sequence[Path],
    labels: str,
    regex: re.Pattern[str] | None,
    on_error: str,
) -> tuple[list[_Entry], list[tuple[str, str]]]:
    """(entries, skipped): labels from sub-folders (``labels="subfolders"``), from the
    pattern (``regex``), or one class ``"all"`` (``labels="none"``)."""
    entries, skipped = [], []
    for file in files:
        relative = file.relative_to(folder)
        reason = None
        if labels == "none":
            entries.append((file, UNLABELLED, "", -1))
        elif regex is None:
            if len(relative.parts) < 2:
                reason = (
                    f"{file} is not inside a class sub-folder of {folder}; move it into one "
                    f"(e.g. {folder}/<class>/file.wav), or use labels='none' (no classes) or "
                    "labels='pattern'."
                )
            else:
                entries.append((file, relative.parts[0], "", -1))
        elif (match := regex.fullmatch(file.stem)) is None:
            reason = (
                f"{file} does not match the pattern {regex.pattern!r}; rename it or "
                "change the pattern."
            )
        else:
            groups = match.groupdict()
            take = groups.get("take") or ""
            speaker = groups.get("speaker") or ""
            entries.append((file, groups["label"], speaker, int(take) if take.isdigit() else -1))
        if reason is not None:
            if on_error == "raise":
                raise DataError(reason)
            skipped.append((str(file), reason))
    return entries, skipped


#: The one class name of ``load_folder(labels="none")``.
UNLABELLED = "all"

#: How ``load_folder`` finds each file's class.
LABELS = ("subfolders", "pattern", "none")


def load_folder(
    folder: str | Path,
    config: AudioConfig = DEFAULT_CONFIG,
    *,
    labels: str = "subfolders",
    pattern: str | re.Pattern[str] | None = None,
    hop_s: float | None = None,
    silence_db: float = 40.0,
    on_error: str = "raise",
    progress: bool = True,
) -> AudioDataset:
    """Load your own audio: every wav/flac/ogg file under ``folder``, recursively.

    Any sample rate and channel count; clips are read with
    :func:`~audiogan_kit.data.load_audio`.

    Args:
        folder: the root folder.
        config: how clips are read.
        labels: ``"subfolders"``: the class is the first-level sub-folder name (files directly
            in ``folder`` are bad input); ``"pattern"``: ``pattern`` must fully match each
            file stem and have a named group ``label`` (optional groups ``speaker`` and
            ``take``; a non-numeric take becomes -1); ``"none"``: no classes, every file at
            any depth is one class :data:`UNLABELLED` (for an unconditional GAN).
        pattern: the regex for ``labels="pattern"``.
        hop_s: ``None``: one clip per file (a long file is cropped to its first
            ``config.duration_s`` seconds). A number of seconds: a file longer than one clip
            is cut into windows of ``config.duration_s`` s every ``hop_s`` s, and windows
            more than ``silence_db`` dB below the file's peak are dropped (counted in
            ``dataset.silent_windows``); see :mod:`audiogan_kit.data.slicing`.
        silence_db: the silence threshold of ``hop_s`` in dB below each file's peak (> 0).
        on_error: ``"raise"`` or ``"skip"`` bad files (see :func:`load_fsdd`).
        progress: show a progress bar while decoding.

    Returns:
        An :class:`AudioDataset`, one row per clip (a sliced file gives several rows with
        the same path); ``class_names`` sorted (numbers numerically), labels index them;
        speakers ``""`` and takes -1 where the layout does not give them.
    """
    _check_on_error(on_error)
    if labels not in LABELS:
        raise ValueError(f"labels must be one of {LABELS}, got {labels!r}.")
    slicing = None
    if hop_s is not None:
        if not (isinstance(hop_s, int | float) and math.isfinite(hop_s) and hop_s > 0):
            raise ValueError(f"hop_s must be a positive number of seconds, got {hop_s!r}.")
        if not (isinstance(silence_db, int | float) and 0 < silence_db < math.inf):
            raise ValueError(f"silence_db must be a positive number of dB, got {silence_db!r}.")
        slicing = (max(1, round(hop_s * config.sample_rate)), float(silence_db))
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; check the path.")
    files = audio_files(folder)
    if not files:
        raise DataError(
            f"{folder} contains no audio files ({', '.join(SUPPORTED_EXTENSIONS)}), "
            "searched recursively; check the path."
        )
    regex = None
    if labels == "pattern":
        if pattern is None:
            raise ValueError(
                "labels='pattern' needs pattern=, a regex with a (?P<label>...) group."
            )
        try:
            regex = re.compile(pattern)
        except re.error as error:
            raise ValueError(f"pattern {pattern!r} is not a valid regex ({error}).") from None
        if "label" not in regex.groupindex:
            raise ValueError(f"pattern {regex.pattern!r} has no named group (?P<label>...).")

    entries, skipped = _folder_entries(folder, files, labels, regex, on_error)
    kept, audio, lengths, bad, silent = _decode_all(
        entries, config, on_error, progress, f"decoding {folder.name}", slicing
    )
    if not kept:
        raise DataError(
            f"no usable clip in {folder}: all {len(files)} audio files were skipped (first: "
            f"{(skipped + bad)[0][1]})"
        )
    class_names = tuple(sorted({entry[1] for entry in kept}, key=_natural_key))
    dataset = _build(kept, audio, lengths, class_names, config, skipped + bad, silent)
    _warn_skipped(dataset.skipped, folder)
    return dataset
