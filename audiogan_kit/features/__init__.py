"""Spectrogram features, SpecGAN's normalisation, and the way back to audio.

Introduced in notebooks/01_data.ipynb.

- :mod:`~audiogan_kit.features.spectral`: STFT magnitude, log-magnitude and log-mel inside the
  model graph (``keras.ops``, TensorFlow and JAX), the frame and bin axes, the same STFT of one
  clip in dB for display, and :func:`compute_features` for many clips at once;
- :mod:`~audiogan_kit.features.stats`: per-frequency statistics (:class:`SpectrogramStats`)
  and SpecGAN's normalisation to [-1, 1];
- :mod:`~audiogan_kit.features.inverse`: Griffin-Lim, mel bands back to STFT bins, and the
  whole path from a generated (normalised) spectrogram to audio.
"""

from .inverse import griffin_lim, mel_to_audio, mel_to_magnitude, spectrogram_to_audio
from .spectral import (
    bin_frequencies,
    compute_features,
    dct_matrix,
    feature_batches,
    frame_times,
    log_magnitude,
    log_mel,
    mel_filterbank,
    mel_spectrogram_db,
    mfcc_with_deltas,
    spectrogram_db,
    stft_magnitude,
)
from .stats import (
    SpectrogramStats,
    compute_log_mel_stats,
    compute_spectrogram_stats,
    denormalize_spectrogram,
    normalize_spectrogram,
    specgan_features,
)

__all__ = [
    "SpectrogramStats",
    "bin_frequencies",
    "compute_features",
    "compute_log_mel_stats",
    "compute_spectrogram_stats",
    "dct_matrix",
    "denormalize_spectrogram",
    "feature_batches",
    "frame_times",
    "griffin_lim",
    "log_magnitude",
    "log_mel",
    "mel_filterbank",
    "mel_spectrogram_db",
    "mel_to_audio",
    "mel_to_magnitude",
    "mfcc_with_deltas",
    "normalize_spectrogram",
    "specgan_features",
    "spectrogram_db",
    "spectrogram_to_audio",
    "stft_magnitude",
]
