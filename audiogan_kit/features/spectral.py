"""Spectrogram features inside the model graph, and the same STFT for display.

Introduced in notebooks/01_data.ipynb.

Axis convention (used everywhere in the kit, see :mod:`audiogan_kit.arrays`): channels last,
time before frequency. Waveforms are ``float32 [batch, samples]`` (or ``[batch, samples, 1]``)
in [-1, 1] at ``config.sample_rate`` Hz; spectrograms are ``float32 [batch, frames, bins]``.

At the defaults (8,192 samples at 8 kHz, ``n_fft`` 256 = 32 ms, ``hop_length`` 128 = 16 ms)
a clip gives 64 frames x 128 bins: the centred STFT has 65 frames and 129 bins, and the kit
drops the last frame and the Nyquist bin (4 kHz) so that both axes are powers of two, as
SpecGAN does. Bin ``k`` is centred on ``k * sample_rate / n_fft`` Hz (31.25 Hz apart) and frame
``t`` on ``t * hop_length / sample_rate`` s.

The in-graph functions (:func:`stft_magnitude`, :func:`log_magnitude`, :func:`log_mel`) use
``keras.ops`` only, so they take a NumPy array or a backend tensor, run under the TensorFlow and
the JAX backends, and can be called inside ``tf.function`` or ``jax.jit``; they return backend
tensors. :func:`feature_batches` and :func:`compute_features` run one of them over many clips
and return NumPy. The centred STFT pads with reflection, like
``librosa.stft(..., pad_mode="reflect")``; the display helpers (:func:`spectrogram_db`,
:func:`mel_spectrogram_db`) compute the same STFT of one clip of any length with librosa.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..arrays import as_batch, as_clip, batch_tensor
from ..config import DEFAULT_CONFIG, AudioConfig

__all__ = [
    "bin_frequencies",
    "compute_features",
    "dct_matrix",
    "feature_batches",
    "frame_times",
    "log_magnitude",
    "log_mel",
    "mel_filterbank",
    "mel_spectrogram_db",
    "mfcc_with_deltas",
    "spectrogram_db",
    "stft_magnitude",
]

# Power below which the STFT magnitude is clamped before the square root: keeps the gradient
# of sqrt finite on digital silence; the clamped magnitude (1e-10) is far below log_floor.
_POWER_FLOOR = 1e-20

#: A feature function: ``(audio [batch, samples], config) -> tensor [batch, frames, channels]``.
Feature = Callable[[Any, AudioConfig], Any]


# --- axes -----------------------------------------------------------------------------------


def frame_times(
    config: AudioConfig = DEFAULT_CONFIG, num_frames: int | None = None
) -> np.ndarray:
    """Centre time of each STFT frame in s: float64 [frames] (default ``config.num_frames``)."""
    frames = config.num_frames if num_frames is None else num_frames
    return np.arange(frames) * config.hop_length / config.sample_rate


def bin_frequencies(config: AudioConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Centre frequency of each kept STFT bin in Hz: float64 [bins] (0 to Nyquist - 31.25 Hz)."""
    return np.arange(config.num_bins) * config.sample_rate / config.n_fft


# --- in the model graph (keras.ops) --------------------------------------------------------


def stft_magnitude(audio: Any, config: AudioConfig = DEFAULT_CONFIG):
    """STFT magnitude of a batch of clips, inside the model graph.

    Hann window of ``config.n_fft`` samples, hop ``config.hop_length``, centred frames
    (reflection padding). The last frame and the Nyquist bin are dropped; the power is
    floored at 1e-20 before the square root (see :func:`audiogan_kit.layers.stft_magnitudes`,
    the mask enhancer's STFT, for how that one differs).

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

    x = batch_tensor(audio, config.num_samples)
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


def dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Orthonormal DCT-II basis: float32 [n_in, n_out]; ``x @ D`` is ``scipy.fft.dct(x,
    norm="ortho")[..., :n_out]`` (a matrix, so that the DCT runs inside a Keras graph)."""
    import scipy.fft

    # Row i is the DCT of the i-th unit vector: by linearity, x @ D is the DCT of x.
    return scipy.fft.dct(np.eye(n_in), norm="ortho", axis=1)[:, :n_out].astype(np.float32)


def mfcc_with_deltas(audio: Any, config: AudioConfig, n_mfcc: int = 20):
    """MFCCs and their first and second differences in time: float32
    [batch, frames, 3 * n_mfcc].

    The DCT (:func:`dct_matrix`) of :func:`log_mel` with ``config``'s STFT and mel bands, its
    first ``n_mfcc`` coefficients; deltas are centred differences ``(c[t+1] - c[t-1]) / 2``
    (edges repeated), delta-deltas the same of the deltas. A classifier on them hears the
    spectral envelope and how fast it moves, not the raw bands.
    """
    from keras import ops

    if not 1 <= n_mfcc <= config.n_mels:
        raise ValueError(f"n_mfcc must be in 1..{config.n_mels} (n_mels), got {n_mfcc}.")
    basis = ops.convert_to_tensor(dct_matrix(config.n_mels, n_mfcc), dtype="float32")
    coefficients = ops.matmul(log_mel(audio, config), basis)

    def delta(x):
        padded = ops.concatenate([x[:, :1], x, x[:, -1:]], axis=1)
        return 0.5 * (padded[:, 2:] - padded[:, :-2])

    first = delta(coefficients)
    return ops.concatenate([coefficients, first, delta(first)], axis=-1)


# --- many clips at once (NumPy out) ---------------------------------------------------------


def feature_batches(
    feature: Feature, audio: Any, config: AudioConfig, batch_size: int = 256
) -> Iterator[np.ndarray]:
    """``feature`` of many clips, ``batch_size`` clips at a time: float32 NumPy batches.

    Args:
        feature: e.g. :func:`log_mel` or :func:`log_magnitude`.
        audio: float [clips, num_samples] (or [clips, num_samples, 1]) in [-1, 1].
        config: the STFT settings.
        batch_size: clips per call (bounds memory, not the result).

    Yields:
        float32 [<= batch_size, frames, channels], in clip order.
    """
    from keras import ops

    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}.")
    audio = as_batch(audio, "audio", num_samples=config.num_samples, allow_empty=True)
    for start in range(0, audio.shape[0], batch_size):
        values = ops.convert_to_numpy(feature(audio[start : start + batch_size], config))
        yield np.asarray(values, dtype=np.float32)


def compute_features(
    feature: Feature, audio: Any, config: AudioConfig, batch_size: int = 256
) -> np.ndarray:
    """All of :func:`feature_batches` in one array: float32 [clips, frames, channels]."""
    parts = list(feature_batches(feature, audio, config, batch_size))
    if not parts:  # no clips: the shape of one silent clip's features, with zero rows
        parts = list(feature_batches(feature, np.zeros((1, config.num_samples)), config))
        return parts[0][:0]
    return np.concatenate(parts)


# --- display (one clip of any length, librosa) ----------------------------------------------


def _clip_magnitude(audio: Any, config: AudioConfig) -> np.ndarray:
    """NumPy STFT magnitude of one clip of any length: float32 [frames, bins].

    Same STFT as :func:`stft_magnitude` (last frame and Nyquist bin dropped), in librosa.
    """
    import librosa

    clip = as_clip(audio, "the clip", min_samples=config.hop_length)
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
