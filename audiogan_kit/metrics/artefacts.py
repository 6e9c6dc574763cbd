"""What is wrong with a batch of generated clips, measured: level, tones, variety.

Introduced in notebooks/07_troubleshooting.ipynb.

Three failures show in the clips themselves rather than in the losses:

- a **silent or clipped** output (:func:`silent_fraction`, :func:`clipped_fraction`): a
  generator whose output saturates, or a way back to audio that loses the level;
- **checkerboard tones** (:func:`tone_prominence_db` at :func:`upsampling_tones`): a
  transposed convolution of stride ``s`` paints its kernel every ``s`` samples and leaves a
  line at ``sample_rate / s`` Hz and its multiples (notebook 02);
- **collapse** (:func:`spread_ratio`): the clips of one digit all alike, measured as their
  within-digit spread over real clips' spread.

:func:`check_outputs` measures them all at once (:class:`OutputChecks`), which
:func:`audiogan_kit.training.diagnose` turns into named findings. Audio is float
``[clips, num_samples]`` (or ``[clips, num_samples, 1]``) in [-1, 1] at ``sample_rate`` Hz.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..arrays import as_batch
from ..config import DEFAULT_CONFIG, AudioConfig
from .novelty import diversity, memorisation_features

__all__ = [
    "CLIP_LEVEL",
    "SILENCE_DB",
    "OutputChecks",
    "check_outputs",
    "clipped_fraction",
    "mean_power_spectrum_db",
    "silent_fraction",
    "spread_ratio",
    "tone_prominence_db",
    "upsampling_tones",
]

#: A clip whose RMS level is below this (dB re. full scale, 1.0) counts as silent. FSDD's
#: clips, peak-normalised to 0.95, sit between about -30 and -10 dBFS RMS.
SILENCE_DB = -45.0
#: A sample at or beyond this magnitude counts as clipped (the kit's clips peak at 0.95).
CLIP_LEVEL = 0.999


def silent_fraction(audio: Any, threshold_db: float = SILENCE_DB) -> float:
    """The fraction of clips whose RMS level is below ``threshold_db`` dBFS, in [0, 1]."""
    clips = as_batch(audio, dtype=np.float64)
    rms = np.sqrt(np.mean(clips**2, axis=1))
    return float(np.mean(20 * np.log10(rms + 1e-12) < threshold_db))


def clipped_fraction(audio: Any, level: float = CLIP_LEVEL) -> float:
    """The fraction of all samples with ``|x| >= level``, in [0, 1]."""
    clips = as_batch(audio, dtype=np.float64)
    return float(np.mean(np.abs(clips) >= level))


def mean_power_spectrum_db(audio: Any, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """The clips' average power spectrum (Hann window over the whole clip).

    Each clip is scaled to unit RMS first, so loud clips do not dominate; silent clips are
    left out.

    Returns:
        (frequencies float64 [num_samples // 2 + 1] in Hz, power float64 [same] in dB
        re. its own maximum, so <= 0).
    """
    clips = as_batch(audio, dtype=np.float64)
    rms = np.sqrt(np.mean(clips**2, axis=1, keepdims=True))
    audible = rms[:, 0] > 1e-6
    if not np.any(audible):
        raise ValueError("every clip is silent: there is no spectrum to measure.")
    clips = clips[audible] / rms[audible]
    window = np.hanning(clips.shape[1])
    power = np.mean(np.abs(np.fft.rfft(clips * window, axis=1)) ** 2, axis=0)
    frequencies = np.fft.rfftfreq(clips.shape[1], 1.0 / sample_rate)
    return frequencies, 10 * np.log10(power / power.max() + 1e-20)


def tone_prominence_db(
    audio: Any,
    sample_rate: int,
    frequency_hz: float,
    peak_hz: float = 4.0,
    neighbourhood_hz: float = 100.0,
) -> float:
    """How far a line at ``frequency_hz`` stands above the spectrum around it, in dB.

    The highest value of :func:`mean_power_spectrum_db` within ``peak_hz`` of the frequency,
    minus the median of the spectrum from ``peak_hz`` to ``neighbourhood_hz`` away on either
    side. About 0 dB (a few dB of noise) where there is no tone; a transposed-convolution
    WaveGAN's 2 kHz line stands 20-30 dB out (notebook 02).
    """
    frequencies, db = mean_power_spectrum_db(audio, sample_rate)
    nyquist = sample_rate / 2
    if not 0 < frequency_hz <= nyquist:
        raise ValueError(f"frequency_hz must be in (0, {nyquist:g}] Hz, got {frequency_hz}.")
    distance = np.abs(frequencies - frequency_hz)
    peak = db[distance <= peak_hz].max()
    around = (distance > peak_hz) & (distance <= neighbourhood_hz)
    return float(peak - np.median(db[around]))


def upsampling_tones(sample_rate: int, stride: int = 4, layers: int = 2) -> list[float]:
    """The frequencies (Hz) where the last ``layers`` transposed convolutions of stride
    ``stride`` leave lines: multiples of ``sample_rate / stride**k`` for ``k = 1..layers``,
    below the Nyquist frequency, sorted. WaveGAN at 8 kHz: 500, 1,000, 1,500, 2,000, ... Hz."""
    if stride < 2 or layers < 1:
        raise ValueError(f"stride must be >= 2 and layers >= 1, got {stride} and {layers}.")
    tones = set()
    for k in range(1, layers + 1):
        base = sample_rate / stride**k
        tones.update(base * m for m in range(1, int(np.ceil(sample_rate / 2 / base))))
    return sorted(tones)


def spread_ratio(
    generated: Any,
    generated_labels: Any,
    real: Any,
    real_labels: Any,
    config: AudioConfig = DEFAULT_CONFIG,
) -> float:
    """Within-digit spread of generated clips over that of real clips (about 1: as varied as
    the data; near 0: one clip per digit, collapse).

    The spread is the mean pairwise distance within each digit
    (:func:`~audiogan_kit.metrics.diversity`) between level-independent mel images
    (:func:`~audiogan_kit.metrics.memorisation_features`): no judge is needed, so it is
    cheap enough to run after every training run. Give the same number of clips per digit
    on both sides, at least 2.
    """
    g_features = memorisation_features(generated, config)
    r_features = memorisation_features(real, config)
    return diversity(g_features, generated_labels, r_features, real_labels).ratio


@dataclasses.dataclass(frozen=True)
class OutputChecks:
    """What :func:`check_outputs` measured on a batch of generated clips.

    Attributes:
        silent_fraction: fraction of clips below :data:`SILENCE_DB` dBFS RMS.
        clipped_fraction: fraction of samples at or beyond :data:`CLIP_LEVEL`.
        tones_db: ``{frequency Hz: prominence dB}`` for the frequencies asked for.
        spread_ratio: within-digit spread over real clips' (:func:`spread_ratio`), or
            ``None`` when no real clips were given.
        clips: how many clips were measured.
    """

    silent_fraction: float
    clipped_fraction: float
    tones_db: dict[float, float]
    spread_ratio: float | None
    clips: int

    @property
    def strongest_tone(self) -> tuple[float, float] | None:
        """``(frequency Hz, prominence dB)`` of the most prominent tone, or ``None``."""
        if not self.tones_db:
            return None
        frequency = max(self.tones_db, key=self.tones_db.get)
        return frequency, self.tones_db[frequency]


def check_outputs(
    audio: Any,
    sample_rate: int,
    labels: Any | None = None,
    real: Any | None = None,
    real_labels: Any | None = None,
    config: AudioConfig = DEFAULT_CONFIG,
    tone_frequencies: Sequence[float] = (),
) -> OutputChecks:
    """Level, tones and (with real clips) variety of generated clips, in one call.

    Args:
        audio: generated float [clips, num_samples] in [-1, 1] at ``sample_rate`` Hz.
        labels: int [clips], the digit each clip was asked for (needed for the spread).
        real, real_labels: real clips of the same digits, as many per digit (optional).
        config: the clips' :class:`~audiogan_kit.config.AudioConfig` (for the spread's mel
            images).
        tone_frequencies: Hz to measure :func:`tone_prominence_db` at, e.g.
            :func:`upsampling_tones` for a transposed-convolution WaveGAN.
    """
    clips = as_batch(audio, finite=True)
    audible = silent_fraction(clips) < 1.0
    tones = {
        float(f): tone_prominence_db(clips, sample_rate, f) if audible else 0.0
        for f in tone_frequencies
    }
    spread = None
    if real is not None:
        if labels is None or real_labels is None:
            raise ValueError("the spread needs labels for the generated and the real clips.")
        spread = spread_ratio(clips, labels, real, real_labels, config)
    return OutputChecks(
        silent_fraction=silent_fraction(clips),
        clipped_fraction=clipped_fraction(clips),
        tones_db=tones,
        spread_ratio=spread,
        clips=int(clips.shape[0]),
    )
