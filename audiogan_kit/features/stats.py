"""SpecGAN's per-frequency statistics and normalisation of log spectrograms.

Introduced in notebooks/02_models.ipynb.

A SpecGAN generates log spectrograms normalised per frequency bin (or mel band) to about
[-1, 1]: ``clip((log_mag - mean) / std, -3, 3) / 3``. The statistics come from the training
clips and are saved with every run (``stats.json``), so that generated spectrograms can be
turned back into audio (:mod:`audiogan_kit.features.inverse`).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..arrays import as_batch
from ..config import DEFAULT_CONFIG, AudioConfig
from ..io import atomic_write_text
from .spectral import Feature, feature_batches, log_magnitude, log_mel

__all__ = [
    "SpectrogramStats",
    "compute_log_mel_stats",
    "compute_spectrogram_stats",
    "denormalize_spectrogram",
    "normalize_spectrogram",
    "specgan_features",
]


@dataclasses.dataclass(frozen=True, eq=False)
class SpectrogramStats:
    """Per-frequency statistics of log-magnitude spectrograms (SpecGAN's normalisation).

    Attributes:
        mean: float32 [bins], mean of ``log_magnitude`` per frequency bin over all clips and
            frames (natural-log units).
        std: float32 [bins], standard deviation per bin, floored at ``STD_FLOOR`` so that
            normalising never divides by zero.
    """

    mean: np.ndarray
    std: np.ndarray

    STD_FLOOR = 1e-6

    def __post_init__(self) -> None:
        mean = np.asarray(self.mean, dtype=np.float32)
        std = np.asarray(self.std, dtype=np.float32)
        if mean.ndim != 1 or mean.shape != std.shape:
            raise ValueError(
                f"SpectrogramStats needs mean and std of the same shape [bins], got "
                f"{mean.shape} and {std.shape}."
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
            raise ValueError(
                "SpectrogramStats needs finite mean and positive finite std; recompute them "
                "with compute_spectrogram_stats."
            )
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    @property
    def num_bins(self) -> int:
        return int(self.mean.shape[0])

    def to_dict(self) -> dict[str, list[float]]:
        """Plain lists, JSON-ready."""
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SpectrogramStats:
        try:
            return cls(mean=np.asarray(values["mean"]), std=np.asarray(values["std"]))
        except KeyError as error:
            raise ValueError(f"SpectrogramStats dict lacks the key {error}.") from error

    def save(self, path: str | Path) -> Path:
        """Write the statistics as JSON (float32 values round-trip exactly)."""
        return atomic_write_text(path, json.dumps(self.to_dict()) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> SpectrogramStats:
        """Read statistics written by :meth:`save`."""
        path = Path(path)
        try:
            values = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"cannot read spectrogram statistics from {path}: {error}") from error
        return cls.from_dict(values)


def compute_spectrogram_stats(
    audio: Any, config: AudioConfig | None = None, batch_size: int = 256
) -> SpectrogramStats:
    """Mean and standard deviation of :func:`log_magnitude` per frequency bin.

    Args:
        audio: float32 [clips, num_samples] in [-1, 1], or an ``AudioDataset`` (its
            ``audio``, and its ``config`` when ``config`` is None).
        config: STFT settings; defaults to the dataset's config or ``AudioConfig()``.
        batch_size: clips per STFT batch (bounds memory, not the result).

    Returns:
        :class:`SpectrogramStats` with mean and std of shape [config.num_bins], over all
        clips and frames (population std, accumulated in float64).
    """
    return _feature_stats(log_magnitude, "num_bins", audio, config, batch_size)


def compute_log_mel_stats(
    audio: Any, config: AudioConfig | None = None, batch_size: int = 256
) -> SpectrogramStats:
    """Mean and standard deviation of :func:`log_mel` per mel band: [config.n_mels] each.

    The same normalisation as SpecGAN's, on mel bands: use the result with
    :func:`normalize_spectrogram` and :func:`mel_to_audio`. Arguments as for
    :func:`compute_spectrogram_stats`.
    """
    return _feature_stats(log_mel, "n_mels", audio, config, batch_size)


def _feature_stats(
    feature: Feature, size_name: str, audio: Any, config: AudioConfig | None, batch_size: int
) -> SpectrogramStats:
    """Per-channel mean and std of ``feature(audio, config)`` [batch, frames, channels]."""
    if hasattr(audio, "audio") and hasattr(audio, "config"):
        config = audio.config if config is None else config
    config = DEFAULT_CONFIG if config is None else config
    audio = as_batch(audio, "spectrogram statistics' audio")
    channels = getattr(config, size_name)
    total = np.zeros(channels, dtype=np.float64)
    total_sq = np.zeros(channels, dtype=np.float64)
    count = 0
    for logs in feature_batches(feature, audio, config, batch_size):
        logs = logs.astype(np.float64).reshape(-1, channels)
        total += logs.sum(axis=0)
        total_sq += np.square(logs).sum(axis=0)
        count += logs.shape[0]
    mean = total / count
    variance = np.maximum(total_sq / count - np.square(mean), 0.0)
    std = np.maximum(np.sqrt(variance), SpectrogramStats.STD_FLOOR)
    return SpectrogramStats(mean=mean, std=std)


def _stats_for(x, stats: SpectrogramStats):
    """mean and std shaped to broadcast over ``x`` [.., bins] or [.., bins, 1]."""
    from keras import ops

    mean = ops.convert_to_tensor(stats.mean, dtype="float32")
    std = ops.convert_to_tensor(stats.std, dtype="float32")
    shape = tuple(x.shape)
    if len(shape) >= 2 and shape[-1] == 1 and shape[-2] == stats.num_bins:
        return mean[:, None], std[:, None]
    if shape[-1] != stats.num_bins:
        raise ValueError(
            f"spectrogram shape {shape} does not end in {stats.num_bins} bins (or "
            f"[{stats.num_bins}, 1]) as the statistics do; compute the statistics with the "
            "same AudioConfig."
        )
    return mean, std


def normalize_spectrogram(log_mag: Any, stats: SpectrogramStats, clip_std: float = 3.0):
    """SpecGAN normalisation: ``clip((log_mag - mean) / std, -clip_std, clip_std) / clip_std``.

    Args:
        log_mag: float [.., frames, bins] or [.., frames, bins, 1], natural-log magnitude.
        stats: per-bin statistics from :func:`compute_spectrogram_stats`.
        clip_std: how many standard deviations map to +-1 (SpecGAN uses 3).

    Returns:
        float32 tensor of the same shape, in [-1, 1].
    """
    from keras import ops

    if clip_std <= 0:
        raise ValueError(f"clip_std must be positive, got {clip_std}.")
    x = ops.convert_to_tensor(log_mag, dtype="float32")
    mean, std = _stats_for(x, stats)
    z = ops.clip((x - mean) / std, -clip_std, clip_std)
    return z / clip_std


def denormalize_spectrogram(x: Any, stats: SpectrogramStats, clip_std: float = 3.0):
    """Inverse of :func:`normalize_spectrogram`: ``x * clip_std * std + mean`` (log-magnitude).

    Values that were clipped come back at ``mean +- clip_std * std``. Same shapes as
    :func:`normalize_spectrogram`; returns a float32 tensor.
    """
    from keras import ops

    if clip_std <= 0:
        raise ValueError(f"clip_std must be positive, got {clip_std}.")
    x = ops.convert_to_tensor(x, dtype="float32")
    mean, std = _stats_for(x, stats)
    return x * clip_std * std + mean


def specgan_features(
    audio: Any, stats: SpectrogramStats, config: AudioConfig = DEFAULT_CONFIG, clip_std: float = 3.0
):
    """SpecGAN input: normalised log-magnitude, float32 [batch, frames, bins, 1] in [-1, 1].

    64 x 128 x 1 at the defaults; ``audio`` as in :func:`stft_magnitude`.
    """
    from keras import ops

    spec = normalize_spectrogram(log_magnitude(audio, config), stats, clip_std)
    return ops.expand_dims(spec, axis=-1)
