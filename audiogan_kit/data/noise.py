"""Noise for speech enhancement, and mixing it with a clean clip at a chosen SNR.

Introduced in notebooks/06_enhancement.ipynb.

Read top to bottom: the noise generators (white, pink and brown noise by spectral shaping,
mains hum, babble made of other speakers' words; :func:`make_noise` picks one), each a
float32 clip of RMS 1 drawn from a ``numpy.random.Generator``; then where a clean clip is
active speech (:func:`active_mask`) and the SNR over those samples (:func:`measure_snr`,
:func:`mix_at_snr`). Everything here works on single clips; the datasets of pairs are in
:mod:`audiogan_kit.data.noisy`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arrays import as_batch, as_clip

__all__ = [
    "ACTIVE_FRAME",
    "ACTIVE_THRESHOLD_DB",
    "NOISE_EXPONENTS",
    "NOISE_TYPES",
    "active_mask",
    "babble_noise",
    "colored_noise",
    "hum_noise",
    "make_noise",
    "measure_snr",
    "mix_at_snr",
]

#: Noise types :func:`make_noise` and :func:`~audiogan_kit.data.make_noisy_dataset` know.
NOISE_TYPES = ("white", "pink", "brown", "hum", "babble")

#: Power-spectrum exponent ``beta`` of the coloured noises: power ~ 1 / f**beta, a slope of
#: ``-10 log10(2) beta`` = 0, -3.01 and -6.02 dB per octave.
NOISE_EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0}

#: Frame length (samples) and threshold used to find a clean clip's active (speech) samples.
ACTIVE_FRAME = 256
ACTIVE_THRESHOLD_DB = -40.0

# ---------------------------------------------------------------------------------------------
# Noise generators
# ---------------------------------------------------------------------------------------------


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
    pool: Any,
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
        pool: float [m, samples] clips to draw from (``[m, samples, 1]`` accepted).
        candidates: int indices into ``pool`` that may be used (at least ``num_talkers``);
            ``None`` allows all. The caller leaves out the target speaker's clips.

    Returns:
        (babble float32 [samples] with RMS 1, the indices into ``pool`` used, int64
        [num_talkers]).
    """
    pool = as_batch(pool, "babble_pool", allow_empty=True)
    candidates = (
        np.arange(pool.shape[0]) if candidates is None else np.asarray(candidates, np.int64)
    )
    if candidates.size < num_talkers or num_talkers < 1:
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


# ---------------------------------------------------------------------------------------------
# Active speech and the SNR
# ---------------------------------------------------------------------------------------------


def active_mask(
    clean: Any,
    frame_length: int = ACTIVE_FRAME,
    threshold_db: float = ACTIVE_THRESHOLD_DB,
) -> np.ndarray:
    """Which samples of a clean clip are active speech: bool [samples].

    The clip (float [samples], or [samples, 1]) is cut into non-overlapping frames of
    ``frame_length`` samples (32 ms at 8 kHz; the last frame may be shorter); a frame is
    active when its mean power is within ``threshold_db`` dB of the loudest frame's. FSDD
    clips are zero-padded to ``num_samples``, and the padding and pauses are inactive.
    """
    clean = as_clip(clean, "clean", min_samples=0).astype(np.float64)
    starts = np.arange(0, clean.shape[0], frame_length)
    power = np.add.reduceat(clean**2, starts) / np.diff(np.append(starts, clean.shape[0]))
    loudest = float(power.max()) if power.size else 0.0
    if loudest <= 0:
        return np.zeros(clean.shape[0], dtype=bool)
    frames = power >= loudest * 10.0 ** (threshold_db / 10.0)
    return np.repeat(frames, np.diff(np.append(starts, clean.shape[0])))


def _snr_mask(clean: np.ndarray, over: str) -> np.ndarray:
    if over == "active":
        mask = active_mask(clean)
        if not mask.any():
            raise ValueError("the clean clip is silent, so its SNR is undefined.")
        return mask
    if over == "all":
        return np.ones(clean.shape[0], dtype=bool)
    raise ValueError(f"over must be 'active' or 'all', got {over!r}.")


def measure_snr(clean: np.ndarray, noisy: np.ndarray, over: str = "active") -> float:
    """SNR in dB of ``noisy`` against ``clean``.

    ``10 log10(sum clean^2 / sum (noisy - clean)^2)``.

    Args:
        clean, noisy: float [samples].
        over: ``"active"`` sums over :func:`active_mask` of ``clean`` only; ``"all"`` over
            every sample.
    """
    clean = np.asarray(clean, dtype=np.float64)
    noise = np.asarray(noisy, dtype=np.float64) - clean
    mask = _snr_mask(clean, over)
    return float(10 * np.log10(np.sum(clean[mask] ** 2) / max(np.sum(noise[mask] ** 2), 1e-30)))


def mix_at_snr(clean: Any, noise: Any, snr_db: float, over: str = "active") -> np.ndarray:
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
        :func:`~audiogan_kit.data.make_noisy_dataset`, which rescales the pair).
    """
    clean = as_clip(clean, "clean", min_samples=0).astype(np.float64)
    noise = as_clip(noise, "noise", min_samples=clean.shape[0]).astype(np.float64)
    noise = noise[: clean.shape[0]]
    mask = _snr_mask(clean, over)
    noise_power = float(np.sum(noise[mask] ** 2))
    if noise_power <= 0:
        raise ValueError("the noise is silent where the speech is, so it cannot set an SNR.")
    gain = np.sqrt(np.sum(clean[mask] ** 2) / noise_power / 10.0 ** (snr_db / 10.0))
    return (clean + gain * noise).astype(np.float32)
