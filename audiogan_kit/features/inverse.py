"""From spectrograms back to audio: Griffin-Lim, and mel bands back to STFT bins.

Introduced in notebooks/01_data.ipynb (Griffin-Lim) and notebooks/04_training.ipynb (the
mel path of the quick preset). NumPy and librosa code, outside the model graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arrays import as_spectrograms
from ..config import DEFAULT_CONFIG, AudioConfig
from .spectral import mel_filterbank
from .stats import SpectrogramStats, denormalize_spectrogram

__all__ = ["griffin_lim", "mel_to_audio", "mel_to_magnitude", "spectrogram_to_audio"]


def _bins(x: Any, config: AudioConfig, what: str = "a spectrogram") -> np.ndarray:
    return as_spectrograms(x, config.num_frames, config.num_bins, what)


def _mels(x: Any, config: AudioConfig, what: str) -> np.ndarray:
    return as_spectrograms(x, config.num_frames, config.n_mels, what, kind="mel bands")


#: Clips per librosa.griffinlim call; a batch of more than this shows a progress bar.
GRIFFIN_LIM_CHUNK = 64


def griffin_lim(
    magnitude: Any,
    config: AudioConfig = DEFAULT_CONFIG,
    n_iter: int = 32,
    seed: int = 0,
    progress: bool = False,
    chunk: int = GRIFFIN_LIM_CHUNK,
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
        progress: show a progress bar (:func:`audiogan_kit.progress.progress_bar`) when the
            batch has more than one chunk.
        chunk: clips per librosa call; the result does not depend on it (the chunks draw
            their initial phases one after another from one ``RandomState(seed)``).

    Returns:
        float32 [batch, config.num_samples] at config.sample_rate Hz, clipped to [-1, 1].
    """
    import librosa

    if n_iter <= 0:
        raise ValueError(f"n_iter must be a positive number of iterations, got {n_iter}.")
    mag = _bins(magnitude, config)
    mag = np.maximum(mag, 0.0)
    mag = np.concatenate([mag, mag[:, -1:, :]], axis=1)  # the dropped last frame
    mag = np.pad(mag, ((0, 0), (0, 0), (0, 1)))  # the Nyquist bin, as zeros
    mag = np.transpose(mag, (0, 2, 1))  # librosa: [.., bins, frames]
    rng = np.random.RandomState(seed)  # what librosa makes of an int seed: results as before
    chunk = max(int(chunk), 1)
    bar = None
    if progress and len(mag) > chunk:
        from ..progress import progress_bar

        bar = progress_bar(total=len(mag), desc=f"Griffin-Lim, {len(mag)} clips", unit="clip")
    audio = []
    for start in range(0, len(mag), chunk):
        audio.append(
            librosa.griffinlim(
                mag[start : start + chunk],
                n_iter=n_iter,
                hop_length=config.hop_length,
                win_length=config.n_fft,
                n_fft=config.n_fft,
                window="hann",
                center=True,
                pad_mode="reflect",
                length=config.num_samples,
                random_state=rng,
            )
        )
        if bar is not None:
            bar.update(len(audio[-1]))
    if bar is not None:
        bar.close()
    return np.clip(np.concatenate(audio), -1.0, 1.0).astype(np.float32)


def spectrogram_to_audio(
    normalized_spec: Any,
    stats: SpectrogramStats,
    config: AudioConfig = DEFAULT_CONFIG,
    n_iter: int = 32,
    clip_std: float = 3.0,
    seed: int = 0,
    progress: bool = False,
) -> np.ndarray:
    """How SpecGAN samples become audible: denormalise, exp, Griffin-Lim.

    Args:
        normalized_spec: float [batch, frames, bins] or [batch, frames, bins, 1] in [-1, 1]
            (a SpecGAN generator output or :func:`specgan_features`).
        stats: the statistics the spectrograms were normalised with.
        config, n_iter, seed, progress: as for :func:`griffin_lim`.
        clip_std: as for :func:`normalize_spectrogram`.

    Returns:
        float32 [batch, config.num_samples] in [-1, 1] at config.sample_rate Hz.
    """
    spec = _bins(normalized_spec, config)
    log_mag = _bins(denormalize_spectrogram(spec, stats, clip_std), config)
    magnitude = np.maximum(np.exp(log_mag) - config.log_floor, 0.0)
    return griffin_lim(magnitude, config, n_iter=n_iter, seed=seed, progress=progress)


def mel_to_magnitude(
    mel: Any, config: AudioConfig = DEFAULT_CONFIG, n_iter: int = 50
) -> np.ndarray:
    """STFT magnitudes whose mel bands match ``mel``: non-negative least squares, batched.

    Solves ``min ||S W - mel||`` over ``S >= 0`` (``W`` = :func:`mel_filterbank`) for every
    frame of every clip at once with multiplicative updates (Lee & Seung 2001), started from
    the clipped pseudo-inverse: one 2-D product per update for the whole batch, where
    ``librosa.util.nnls`` solves one clip at a time.

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
    progress: bool = False,
) -> np.ndarray:
    """Audio from normalised log-mel spectrograms: denormalise, exp, mel -> STFT bins, Griffin-Lim.

    The mel bands are mapped back to the ``config.num_bins`` STFT bins by non-negative least
    squares against :func:`mel_filterbank` (:func:`mel_to_magnitude`), then phases are
    reconstructed with :func:`griffin_lim`.

    Args:
        normalized_mel: float [batch, frames, n_mels] or [batch, frames, n_mels, 1] in [-1, 1]
            (a mel SpecGAN's output, or log-mel normalised with ``stats``).
        stats: the per-band statistics (:func:`compute_log_mel_stats`).
        config, n_iter, seed, progress: as for :func:`griffin_lim`; clip_std as for
            :func:`normalize_spectrogram`.

    Returns:
        float32 [batch, config.num_samples] in [-1, 1] at config.sample_rate Hz.
    """
    x = _mels(normalized_mel, config, "normalised log-mel")
    log_mel_values = _mels(denormalize_spectrogram(x, stats, clip_std), config, "log-mel")
    mel = np.maximum(np.exp(log_mel_values) - config.log_floor, 0.0)  # [batch, frames, mels]
    magnitude = mel_to_magnitude(mel, config)
    return griffin_lim(magnitude, config, n_iter=n_iter, seed=seed, progress=progress)
