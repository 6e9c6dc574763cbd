"""Classical speech enhancement that needs no training: spectral subtraction and Wiener.

Introduced in notebooks/06_enhancement.ipynb. A learned enhancer is only worth its training
if it beats these. NumPy and librosa only: importing this module loads no Keras.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..arrays import as_batch

__all__ = ["BASELINES", "spectral_subtraction", "wiener_filter"]


def _default_n_fft(sample_rate: int) -> int:
    """The power of two closest to 32 ms: 256 at 8 kHz, 512 at 16 kHz."""
    return int(2 ** round(math.log2(0.032 * sample_rate)))


def _noise_power(
    power: np.ndarray,
    hop_length: int,
    sample_rate: int,
    noise_fraction: float,
    noise_lead_in_s: float | None,
) -> np.ndarray:
    """Noise power per frequency bin, float [bins, 1], from an STFT power [bins, frames]."""
    frames = power.shape[1]
    if noise_lead_in_s is not None:
        count = int(noise_lead_in_s * sample_rate // hop_length)
        if count < 1:
            raise ValueError(
                f"noise_lead_in_s={noise_lead_in_s} s is shorter than one hop "
                f"({hop_length / sample_rate * 1000:.0f} ms); give a longer noise-only lead-in."
            )
        chosen = np.arange(min(count, frames))
    else:
        if not 0 < noise_fraction <= 1:
            raise ValueError(f"noise_fraction must be in (0, 1], got {noise_fraction}.")
        count = max(1, int(round(noise_fraction * frames)))
        chosen = np.argsort(power.sum(axis=0))[:count]
    return power[:, chosen].mean(axis=1, keepdims=True) + 1e-12


def _stft_rows(
    noisy: Any,
    sample_rate: int,
    n_fft: int | None,
    hop_length: int | None,
    gain_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    noise_fraction: float,
    noise_lead_in_s: float | None,
) -> np.ndarray:
    """Apply ``gain_fn(power, noise) -> gain`` to every STFT bin of each clip; resynthesise."""
    import librosa

    single = np.ndim(noisy) == 1
    rows = as_batch(noisy, "noisy", single="batch")
    n_fft = n_fft or _default_n_fft(sample_rate)
    hop_length = hop_length or n_fft // 4
    out = np.empty_like(rows)
    for i, row in enumerate(rows):
        spectrum = librosa.stft(row, n_fft=n_fft, hop_length=hop_length, window="hann")
        power = np.abs(spectrum) ** 2
        noise = _noise_power(power, hop_length, sample_rate, noise_fraction, noise_lead_in_s)
        gain = gain_fn(power, noise)
        out[i] = librosa.istft(
            gain * spectrum,
            hop_length=hop_length,
            window="hann",
            n_fft=n_fft,
            length=row.shape[0],
        )
    return out[0] if single else out


def spectral_subtraction(
    noisy: Any,
    sample_rate: int,
    *,
    n_fft: int | None = None,
    hop_length: int | None = None,
    over_subtraction: float = 2.0,
    floor: float = 0.02,
    noise_fraction: float = 0.1,
    noise_lead_in_s: float | None = None,
) -> np.ndarray:
    """Power spectral subtraction with over-subtraction and a spectral floor (Berouti 1979).

    In the STFT (Hann window of ``n_fft`` samples, default the power of two nearest 32 ms:
    256 at 8 kHz; hop ``n_fft // 4``), each bin's clean power is estimated as
    ``max(|Y|^2 - over_subtraction * N, floor * |Y|^2)`` and the noisy phase is kept;
    the gain ``sqrt(estimate / |Y|^2)`` is applied and the signal resynthesised.

    The noise power ``N`` per frequency is the mean power of the quietest ``noise_fraction``
    of frames (by frame energy; FSDD's zero padding and pauses hold noise alone), or, with
    ``noise_lead_in_s``, of the frames in a noise-only lead-in of that many seconds.

    Args:
        noisy: float [samples] or [clips, samples] (or [clips, samples, 1]) at
            ``sample_rate`` Hz (clips are processed one by one, each with its own noise
            estimate).

    Returns:
        float32, the shape of ``noisy``.
    """

    def gain(power: np.ndarray, noise: np.ndarray) -> np.ndarray:
        estimate = np.maximum(power - over_subtraction * noise, floor * power)
        return np.sqrt(estimate / np.maximum(power, 1e-12))

    return _stft_rows(
        noisy, sample_rate, n_fft, hop_length, gain, noise_fraction, noise_lead_in_s
    )


def wiener_filter(
    noisy: Any,
    sample_rate: int,
    *,
    n_fft: int | None = None,
    hop_length: int | None = None,
    smoothing: float = 0.98,
    min_gain_db: float = -25.0,
    noise_fraction: float = 0.1,
    noise_lead_in_s: float | None = None,
) -> np.ndarray:
    """A Wiener filter with the decision-directed a priori SNR (Ephraim & Malah 1984).

    Per STFT bin (same framing and noise estimate as :func:`spectral_subtraction`), the a
    posteriori SNR is ``gamma = |Y|^2 / N``; the a priori SNR of frame ``t`` is
    ``xi_t = smoothing * |S_{t-1}|^2 / N + (1 - smoothing) * max(gamma_t - 1, 0)``, where
    ``S_{t-1}`` is the previous frame's estimate; the gain is ``xi / (1 + xi)``, at least
    ``min_gain_db`` dB. The smoothing of ``xi`` is what keeps the residual noise from
    sounding "musical".

    Args:
        noisy: float [samples] or [clips, samples] at ``sample_rate`` Hz.

    Returns:
        float32, the shape of ``noisy``.
    """
    min_gain = 10.0 ** (min_gain_db / 20.0)

    def gain(power: np.ndarray, noise: np.ndarray) -> np.ndarray:
        posterior = power / noise
        gains = np.empty_like(power)
        previous = np.zeros(power.shape[0])
        for t in range(power.shape[1]):
            prior = smoothing * previous / noise[:, 0] + (1 - smoothing) * np.maximum(
                posterior[:, t] - 1.0, 0.0
            )
            gains[:, t] = np.maximum(prior / (1.0 + prior), min_gain)
            previous = gains[:, t] ** 2 * power[:, t]
        return gains

    return _stft_rows(
        noisy, sample_rate, n_fft, hop_length, gain, noise_fraction, noise_lead_in_s
    )


#: The baselines by name, each ``fn(noisy [samples] or [clips, samples], sample_rate)``.
BASELINES: dict[str, Callable[..., np.ndarray]] = {
    "spectral_subtraction": spectral_subtraction,
    "wiener": wiener_filter,
}
