"""A loaded set of clips: :class:`AudioDataset`, its splits, its pipelines, its statistics.

An :class:`AudioDataset` holds plain NumPy arrays (clips along axis 0, time along axis 1) plus
the labels, speakers and takes parsed from the file names, and the
:class:`~audiogan_kit.config.AudioConfig` that produced it. It splits by FSDD's official takes
or by speaker, and feeds training as NumPy batches (any Keras backend) or as a ``tf.data``
pipeline. :func:`take_rows` selects clips of any such dataclass of per-clip arrays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from ..config import AudioConfig
from .errors import DataError
from .registry import FSDD_TEST_TAKES

__all__ = ["AudioDataset", "clip_length_table", "take_rows"]

T = TypeVar("T")


def take_rows(dataset: T, index: np.ndarray | Sequence[int] | Sequence[bool]) -> T:
    """A copy of a frozen dataclass of per-clip arrays, keeping the clips ``index`` selects.

    Every field that is a NumPy array (clips along axis 0) is indexed; the other fields
    (config, class names, skipped files, flags) are kept as they are. The dataset must have
    ``len()``, the number of clips.

    Args:
        dataset: an :class:`AudioDataset`, a :class:`~audiogan_kit.data.NoisyDataset`, or any
            frozen dataclass laid out the same way.
        index: a boolean mask [n], or integer indices (in that order, repeats allowed; empty
            selects no clip).

    Raises:
        ValueError: a mask of the wrong length, or indices that are not integers.
    """
    index = np.asarray(index)
    n = len(dataset)
    if index.dtype == bool and index.shape != (n,):
        raise ValueError(f"a boolean mask must have shape [{n}], got {index.shape}.")
    if index.dtype != bool and index.size and not np.issubdtype(index.dtype, np.integer):
        raise ValueError(f"index must be a boolean mask or integers, got {index.dtype}.")
    index = index.astype(np.int64) if index.size == 0 else index
    changes = {
        field.name: value[index]
        for field in dataclasses.fields(dataset)
        if isinstance(value := getattr(dataset, field.name), np.ndarray)
    }
    return dataclasses.replace(dataset, **changes)


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
        silent_windows: windows of long files dropped as silence (``load_folder(hop_s=)``).
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
    silent_windows: int = 0

    def __post_init__(self) -> None:
        n = self.audio.shape[0] if self.audio.ndim == 2 else -1
        if self.audio.ndim != 2 or self.audio.shape[1] != self.config.num_samples:
            raise ValueError(
                f"audio must have shape [n, {self.config.num_samples}], got {self.audio.shape}."
            )
        for name in ("labels", "speakers", "takes", "paths", "lengths"):
            shape = getattr(self, name).shape
            if shape != (n,):
                raise ValueError(f"{name} must have shape [{n}] (one per clip), got {shape}.")

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
        return take_rows(self, index)

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
