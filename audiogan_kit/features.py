"""Spectrogram features inside the model graph, their statistics, and the way back to audio.

Introduced in notebooks/01_data.ipynb.

Axis convention (used everywhere in the kit): channels-last, time before frequency.

- waveforms are ``float32 [batch, samples]`` (or ``[batch, samples, 1]``) in [-1, 1] at
  ``config.sample_rate`` Hz;
- spectrograms are ``float32 [batch, frames, bins]`` or ``[batch, frames, bins, 1]``.

At the defaults (8,192 samples at 8 kHz, ``n_fft`` 256 = 32 ms, ``hop_length`` 128 = 16 ms)
a clip gives 64 frames x 128 bins: the centred STFT has 65 frames and 129 bins, and the kit
drops the last frame and the Nyquist bin (4 kHz) so that both axes are powers of two, as
SpecGAN does. Bin ``k`` is centred on ``k * sample_rate / n_fft`` Hz (31.25 Hz apart) and frame
``t`` on ``t * hop_length / sample_rate`` s.

The in-graph functions (:func:`stft_magnitude`, :func:`log_magnitude`, :func:`log_mel`,
:func:`normalize_spectrogram`, :func:`specgan_features`) use ``keras.ops`` only, so they take a
NumPy array or a backend tensor, run under the TensorFlow and the JAX backends, and can be
called inside ``tf.function`` or ``jax.jit``; they return backend tensors (use
``keras.ops.convert_to_numpy`` for NumPy). The centred STFT pads with reflection, like
``librosa.stft(..., pad_mode="reflect")``.

The inverse path (:func:`griffin_lim`, :func:`spectrogram_to_audio`) and the display helpers
(:func:`spectrogram_db`, :func:`mel_spectrogram_db`) are NumPy/librosa code outside the graph.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from .config import DEFAULT_CONFIG, AudioConfig

# Power below which the STFT magnitude is clamped before the square root: keeps the gradient
# of sqrt finite on digital silence; the clamped magnitude (1e-10) is far below log_floor.
_POWER_FLOOR = 1e-20


# ----------------------------------------------------------------------------------------
# Axes
# ----------------------------------------------------------------------------------------


def frame_times(config: AudioConfig = DEFAULT_CONFIG, num_frames: int | None = None) -> np.ndarray:
    """Centre time of each STFT frame in seconds: float64 [frames] (default ``config.num_frames``)."""
    frames = config.num_frames if num_frames is None else num_frames
    return np.arange(frames) * config.hop_length / config.sample_rate


def bin_frequencies(config: AudioConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Centre frequency of each kept STFT bin in Hz: float64 [bins] (0 to Nyquist - 31.25 Hz)."""
    return np.arange(config.num_bins) * config.sample_rate / config.n_fft


# ----------------------------------------------------------------------------------------
# In-graph features (keras.ops)
# ----------------------------------------------------------------------------------------


def _as_batch(audio: Any, config: AudioConfig):
    """``audio`` as a float32 tensor [batch, samples]; checks rank and (static) length."""
    from keras import ops

    x = ops.convert_to_tensor(audio, dtype="float32")
    shape = tuple(x.shape)
    if len(shape) == 3 and shape[-1] == 1:
        x = ops.squeeze(x, axis=-1)
        shape = shape[:-1]
    if len(shape) != 2:
        raise ValueError(
            f"audio must be float [batch, samples] or [batch, samples, 1], got shape {shape}; "
            "for a single clip pass clip[None]."
        )
    if shape[-1] is not None and shape[-1] != config.num_samples:
        raise ValueError(
            f"audio has {shape[-1]} samples per clip but config.num_samples is "
            f"{config.num_samples}; pad/crop the clips (data.load_fsdd does) or pass a config "
            "with num_samples matching the audio."
        )
    return x


def stft_magnitude(audio: Any, config: AudioConfig = DEFAULT_CONFIG):
    """STFT magnitude of a batch of clips, inside the model graph.

    Hann window of ``config.n_fft`` samples, hop ``config.hop_length``, centred frames
    (reflection padding). The last frame and the Nyquist bin are dropped.

    Args:
        audio: float [batch, num_samples] or [batch, num_samples, 1] in [-1, 1]
            (NumPy array or backend tensor).
        config: the STFT settings.

    Returns:
        float32 tensor [batch, config.num_frames, config.num_bins] (64 x 128 at the
        defaults), linear amplitude (a full-scale sine of amplitude a peaks at about
        ``a * n_fft / 4`` with the Hann window).
    """
    from keras import ops

    x = _as_batch(audio, config)
    real, imag = ops.stft(
        x,
        sequence_length=config.n_fft,
        sequence_stride=config.hop_length,
        fft_length=config.n_fft,
        window="hann",
        center=True,
    )
    power = ops.maximum(real * real + imag * imag, _POWER_FLOOR)
    magnitude = ops.sqrt(power)
    return magnitude[:, : config.num_frames, : config.num_bins]


def log_magnitude(audio: Any, config: AudioConfig = DEFAULT_CONFIG):
    """``log(stft_magnitude + config.log_floor)``: float32 [batch, frames, bins], natural log.

    With the default floor 1e-5 silence sits at about -11.5; a loud tone peak at about +4.
    """
    from keras import ops

    return ops.log(stft_magnitude(audio, config) + config.log_floor)


def mel_filterbank(config: AudioConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Mel filterbank matching the kept STFT bins: float32 [bins, n_mels] (128 x 64).

    From ``librosa.filters.mel`` (Slaney mel scale, Slaney area normalisation) with
    ``config.fmin``/``config.fmax``; the Nyquist bin's column is dropped, which loses nothing
    when ``fmax`` is the Nyquist frequency (every filter is zero there). Multiply a magnitude
    spectrogram [.., frames, bins] by it to get mel bands [.., frames, n_mels].
    """
    import librosa

    weights = librosa.filters.mel(
        sr=config.sample_rate,
        n_fft=config.n_fft,
        n_mels=config.n_mels,
        fmin=config.fmin,
        fmax=config.fmax,
    )
    return np.ascontiguousarray(weights[:, : config.num_bins].T, dtype=np.float32)


def log_mel(audio: Any, config: AudioConfig = DEFAULT_CONFIG):
    """Log mel-band magnitude: float32 [batch, frames, n_mels] (64 x 64 at the defaults).

    ``log(mel_filterbank(config) applied to stft_magnitude + config.log_floor)``: the mel
    bands of the *magnitude* (not the power), so the same amplitude floor applies as in
    :func:`log_magnitude`. Equal to ``log(librosa.feature.melspectrogram(..., power=1.0,
    pad_mode="reflect") + log_floor)`` without its last frame.
    """
    from keras import ops

    weights = ops.convert_to_tensor(mel_filterbank(config), dtype="float32")
    mel = ops.matmul(stft_magnitude(audio, config), weights)
    return ops.log(mel + config.log_floor)


# ----------------------------------------------------------------------------------------
# Per-frequency statistics and SpecGAN normalisation
# ----------------------------------------------------------------------------------------


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
        path = Path(path)
        path.write_text(json.dumps(self.to_dict()) + "\n")
        return path

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


def _feature_stats(
    feature_fn: Any, size_name: str, audio: Any, config: AudioConfig | None, batch_size: int
) -> SpectrogramStats:
    """Per-channel mean and std of ``feature_fn(audio, config)`` [batch, frames, channels]."""
    from keras import ops

    if hasattr(audio, "audio") and hasattr(audio, "config"):
        config = audio.config if config is None else config
        audio = audio.audio
    config = DEFAULT_CONFIG if config is None else config
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 3 and audio.shape[-1] == 1:
        audio = audio[..., 0]
    if audio.ndim != 2 or audio.shape[0] == 0:
        raise ValueError(
            f"spectrogram statistics need a non-empty batch [clips, samples], got shape "
            f"{audio.shape}."
        )
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}.")
    channels = getattr(config, size_name)
    total = np.zeros(channels, dtype=np.float64)
    total_sq = np.zeros(channels, dtype=np.float64)
    count = 0
    for start in range(0, audio.shape[0], batch_size):
        logs = ops.convert_to_numpy(feature_fn(audio[start : start + batch_size], config))
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


# ----------------------------------------------------------------------------------------
# Back to audio (NumPy / librosa)
# ----------------------------------------------------------------------------------------


def _numpy_spectrogram(
    x: Any, config: AudioConfig, channels: int | None = None, what: str = "a spectrogram"
) -> np.ndarray:
    """Any tensor [batch, frames, channels] or [batch, frames, channels, 1] as NumPy float32.

    ``channels`` defaults to ``config.num_bins`` (STFT bins); pass ``config.n_mels`` for mel
    bands. A single [frames, channels] spectrogram becomes a batch of one.
    """
    from keras import ops

    channels = config.num_bins if channels is None else channels
    if not isinstance(x, np.ndarray):
        x = ops.convert_to_numpy(x)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1:] != (config.num_frames, channels):
        raise ValueError(
            f"expected {what} [batch, {config.num_frames}, {channels}] (frames, "
            f"{'mel bands' if channels != config.num_bins else 'bins'} for this AudioConfig), "
            f"got shape {x.shape}."
        )
    return x


def griffin_lim(
    magnitude: Any, config: AudioConfig = DEFAULT_CONFIG, n_iter: int = 32, seed: int = 0
) -> np.ndarray:
    """Audio from STFT magnitudes by Griffin-Lim phase reconstruction (librosa.griffinlim).

    The Nyquist bin is re-added as zeros and one frame is appended (a copy of the last
    frame, the best guess for the frame that :func:`stft_magnitude` dropped), so the STFT
    matches the one used forward (Hann, ``n_fft``, ``hop_length``, centred, reflection).

    Args:
        magnitude: float [batch, frames, bins] (or [frames, bins], or with a trailing 1),
            linear amplitude as from :func:`stft_magnitude`.
        config: STFT settings and output length.
        n_iter: Griffin-Lim iterations (momentum 0.99); 32 gives recognisable speech.
        seed: seed of the random initial phase.

    Returns:
        float32 [batch, config.num_samples] at config.sample_rate Hz, clipped to [-1, 1].
    """
    import librosa

    if n_iter <= 0:
        raise ValueError(f"n_iter must be a positive number of iterations, got {n_iter}.")
    mag = _numpy_spectrogram(magnitude, config)
    mag = np.maximum(mag, 0.0)
    mag = np.concatenate([mag, mag[:, -1:, :]], axis=1)  # the dropped last frame
    mag = np.pad(mag, ((0, 0), (0, 0), (0, 1)))  # the Nyquist bin, as zeros
    audio = librosa.griffinlim(
        np.transpose(mag, (0, 2, 1)),  # librosa: [.., bins, frames]
        n_iter=n_iter,
        hop_length=config.hop_length,
        win_length=config.n_fft,
        n_fft=config.n_fft,
        window="hann",
        center=True,
        pad_mode="reflect",
        length=config.num_samples,
        random_state=seed,
    )
    return np.clip(audio, -1.0, 1.0).astype(np.float32)


def spectrogram_to_audio(
    normalized_spec: Any,
    stats: SpectrogramStats,
    config: AudioConfig = DEFAULT_CONFIG,
    n_iter: int = 32,
    clip_std: float = 3.0,
    seed: int = 0,
) -> np.ndarray:
    """How SpecGAN samples become audible: denormalise, exp, Griffin-Lim.

    Args:
        normalized_spec: float [batch, frames, bins] or [batch, frames, bins, 1] in [-1, 1]
            (a SpecGAN generator output or :func:`specgan_features`).
        stats: the statistics the spectrograms were normalised with.
        config, n_iter, seed: as for :func:`griffin_lim`.
        clip_std: as for :func:`normalize_spectrogram`.

    Returns:
        float32 [batch, config.num_samples] in [-1, 1] at config.sample_rate Hz.
    """
    spec = _numpy_spectrogram(normalized_spec, config)
    log_mag = _numpy_spectrogram(denormalize_spectrogram(spec, stats, clip_std), config)
    magnitude = np.maximum(np.exp(log_mag) - config.log_floor, 0.0)
    return griffin_lim(magnitude, config, n_iter=n_iter, seed=seed)


# ----------------------------------------------------------------------------------------
# Display (NumPy / librosa)
# ----------------------------------------------------------------------------------------


def _clip_magnitude(audio: Any, config: AudioConfig) -> np.ndarray:
    """NumPy STFT magnitude of one clip of any length: float32 [frames, bins].

    Same STFT as :func:`stft_magnitude` (last frame and Nyquist bin dropped), in librosa.
    """
    import librosa

    clip = np.asarray(audio, dtype=np.float32)
    if clip.ndim == 2 and clip.shape[-1] == 1:
        clip = clip[:, 0]
    if clip.ndim != 1 or clip.shape[0] < config.hop_length:
        raise ValueError(
            f"expected one clip float [samples] with at least {config.hop_length} samples, "
            f"got shape {clip.shape}."
        )
    spec = librosa.stft(
        clip,
        n_fft=config.n_fft,
        hop_length=config.hop_length,
        window="hann",
        center=True,
        pad_mode="reflect",
    )
    frames = clip.shape[0] // config.hop_length
    return np.abs(spec[: config.num_bins, :frames]).T


def spectrogram_db(
    audio: Any, config: AudioConfig = DEFAULT_CONFIG, ref: float = 1.0, top_db: float | None = 80.0
) -> np.ndarray:
    """Magnitude spectrogram of one clip in dB, for display: float32 [frames, bins].

    ``20 log10(max(magnitude, log_floor) / ref)`` (librosa.amplitude_to_db), values below the
    peak minus ``top_db`` raised to it. ``frames = len(audio) // hop_length`` (64 for 8,192
    samples), ``bins = config.num_bins``; frequencies from :func:`bin_frequencies`.
    """
    import librosa

    magnitude = _clip_magnitude(audio, config)
    return librosa.amplitude_to_db(magnitude, ref=ref, amin=config.log_floor, top_db=top_db).astype(
        np.float32
    )


def mel_spectrogram_db(
    audio: Any, config: AudioConfig = DEFAULT_CONFIG, ref: float = 1.0, top_db: float | None = 80.0
) -> np.ndarray:
    """Mel-band magnitude of one clip in dB, for display: float32 [frames, n_mels].

    The mel bands of :func:`log_mel` (magnitude through :func:`mel_filterbank`), in dB as in
    :func:`spectrogram_db`.
    """
    import librosa

    mel = _clip_magnitude(audio, config) @ mel_filterbank(config)
    return librosa.amplitude_to_db(mel, ref=ref, amin=config.log_floor, top_db=top_db).astype(
        np.float32
    )


# ----------------------------------------------------------------------------------------
# Log-mel statistics and the way back to audio (added for the training presets, issue 5)
# ----------------------------------------------------------------------------------------


def compute_log_mel_stats(
    audio: Any, config: AudioConfig | None = None, batch_size: int = 256
) -> SpectrogramStats:
    """Mean and standard deviation of :func:`log_mel` per mel band: [config.n_mels] each.

    The same normalisation as SpecGAN's, on mel bands: use the result with
    :func:`normalize_spectrogram` and :func:`mel_to_audio`. Arguments as for
    :func:`compute_spectrogram_stats`.
    """
    return _feature_stats(log_mel, "n_mels", audio, config, batch_size)


def mel_to_magnitude(mel: Any, config: AudioConfig = DEFAULT_CONFIG, n_iter: int = 50) -> np.ndarray:
    """STFT magnitudes whose mel bands match ``mel``: non-negative least squares, batched.

    Solves ``min ||S W - mel||`` over ``S >= 0`` (``W`` = :func:`mel_filterbank`) for every
    frame of every clip at once with multiplicative updates (Lee & Seung 2001), started from
    the clipped pseudo-inverse. 50 updates fit FSDD's mel bands to ~0.05 % relative error,
    tighter than ``librosa.util.nnls`` with its defaults and ~50x faster on a batch (it
    solves one clip at a time).

    Args:
        mel: float [batch, frames, n_mels] (or [frames, n_mels]), linear mel-band magnitudes
            (not logs), >= 0.
        config: the STFT and mel settings.
        n_iter: multiplicative updates.

    Returns:
        float32 [batch, frames, config.num_bins] (or [frames, num_bins]), >= 0.
    """
    mel = np.maximum(np.asarray(mel, dtype=np.float64), 0.0)
    if mel.ndim not in (2, 3) or mel.shape[-1] != config.n_mels:
        raise ValueError(
            f"mel must be [frames, {config.n_mels}] or [batch, frames, {config.n_mels}] "
            f"(config.n_mels bands), got shape {mel.shape}."
        )
    shape = mel.shape
    mel = mel.reshape(-1, config.n_mels)  # every frame of every clip: one 2-D product
    weights = mel_filterbank(config).astype(np.float64)  # [bins, mels]
    gram = weights @ weights.T  # [bins, bins]
    target = mel @ weights.T  # [frames, bins]
    # A small positive start everywhere: a multiplicative update cannot revive an exact zero.
    scale = float(mel.mean()) + 1e-12
    magnitude = np.maximum(mel @ np.linalg.pinv(weights), 0.0) + 1e-3 * scale
    floor = 1e-9 * scale  # keeps values out of the subnormal range, where CPUs crawl
    for _ in range(n_iter):
        magnitude *= target / (magnitude @ gram + floor)
        np.maximum(magnitude, floor, out=magnitude)
    return magnitude.reshape(*shape[:-1], config.num_bins).astype(np.float32)


def mel_to_audio(
    normalized_mel: Any,
    stats: SpectrogramStats,
    config: AudioConfig = DEFAULT_CONFIG,
    n_iter: int = 32,
    clip_std: float = 3.0,
    seed: int = 0,
) -> np.ndarray:
    """Audio from normalised log-mel spectrograms: denormalise, exp, mel -> STFT bins, Griffin-Lim.

    The mel bands are mapped back to the ``config.num_bins`` STFT bins by non-negative least
    squares against :func:`mel_filterbank` (:func:`mel_to_magnitude`), then phases are
    reconstructed with :func:`griffin_lim`.

    Args:
        normalized_mel: float [batch, frames, n_mels] or [batch, frames, n_mels, 1] in [-1, 1]
            (a mel SpecGAN's output, or log-mel normalised with ``stats``).
        stats: the per-band statistics (:func:`compute_log_mel_stats`).
        config, n_iter, seed: as for :func:`griffin_lim`; clip_std as for
            :func:`normalize_spectrogram`.

    Returns:
        float32 [batch, config.num_samples] in [-1, 1] at config.sample_rate Hz.
    """
    x = _numpy_spectrogram(normalized_mel, config, config.n_mels, "normalised log-mel")
    log_mel_values = _numpy_spectrogram(
        denormalize_spectrogram(x, stats, clip_std), config, config.n_mels, "log-mel"
    )
    mel = np.maximum(np.exp(log_mel_values) - config.log_floor, 0.0)  # [batch, frames, mels]
    magnitude = mel_to_magnitude(mel, config)
    return griffin_lim(magnitude, config, n_iter=n_iter, seed=seed)
