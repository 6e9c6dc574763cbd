"""A MetricGAN+-style enhancer: a mask on the STFT magnitude and a learned PESQ critic.

Introduced in notebooks/06_enhancement.ipynb.

MetricGAN+ (Fu et al., Interspeech 2021) enhances speech with a mask on the noisy STFT
magnitude (the noisy phase is kept) and trains it against a *metric discriminator*: a
network that, shown a candidate's magnitude and the clean reference's, predicts the
normalised PESQ of the candidate (learned by regression on the true PESQ of clips it is
shown). The generator then pushes the predicted score towards 1. The mask network here is
convolutional over frames (MetricGAN+ uses a bidirectional LSTM, which is far slower on a
CPU). Training is :class:`audiogan_kit.training.MetricEnhancementGAN`.

Shapes (channels last, time before frequency): waveforms ``[batch, num_samples, 1]`` in
[-1, 1] at ``sample_rate`` Hz; magnitudes ``[batch, num_frames, num_bins]`` with
``num_frames = 1 + num_samples // hop_length`` and ``num_bins = n_fft // 2 + 1``.
"""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
from keras import layers

from ..config import Config
from ..layers import (
    BoundedMask,
    LogCompress,
    MaskedInverseSTFT,
    OverNoiseFloor,
    STFTMagnitude,
)
from .blocks import maybe_spectral_norm

__all__ = [
    "PESQ_RANGE",
    "MetricEnhancerConfig",
    "build_mask_generator",
    "build_metric_discriminator",
    "normalised_pesq",
]

#: The range of narrow-band PESQ (P.862.1 MOS-LQO) that maps onto [0, 1]: a clip against
#: itself scores 4.549, the worst about 1.0.
PESQ_RANGE = (1.0, 4.55)


def normalised_pesq(score):
    """``(score - 1.0) / 3.55`` clipped to [0, 1]: what the metric discriminator predicts.

    Args:
        score: narrow-band PESQ (MOS-LQO), float or float array; NaN stays NaN.
    """
    low, high = PESQ_RANGE
    return np.clip((np.asarray(score, np.float64) - low) / (high - low), 0.0, 1.0)


@dataclasses.dataclass(frozen=True)
class MetricEnhancerConfig(Config):
    """Sizes of the mask generator and the metric discriminator.

    Attributes:
        num_samples: window length in samples (8,192 = 1.024 s at 8 kHz, FSDD's clips).
        sample_rate: the rate in Hz the models are trained at.
        n_fft: STFT size in samples (256 = 32 ms at 8 kHz; MetricGAN+ uses 32 ms frames);
            hop ``hop_length`` (128 = 16 ms).
        mask_channels: channels of the generator's convolutions over frames (the bins of a
            frame are the input channels); kernel ``mask_kernel`` frames.
        mask_beta: the mask's upper bound (:class:`~audiogan_kit.layers.BoundedMask`).
        discriminator_channels: channels of the discriminator's 2-D convolutions (stride 2,
            kernel ``discriminator_kernel``), then global average pooling and a dense layer
            of ``discriminator_dense`` units.
        spectral_norm: spectral normalisation on every discriminator layer with a kernel
            (as in MetricGAN+: a smooth critic gives the generator useful gradients).
        leaky_slope: LeakyReLU slope of both networks.
    """

    num_samples: int = 8192
    sample_rate: int = 8000
    n_fft: int = 256
    hop_length: int = 128
    mask_channels: tuple[int, ...] = (128, 128)
    mask_kernel: int = 5
    mask_beta: float = 1.2
    discriminator_channels: tuple[int, ...] = (8, 16, 32)
    discriminator_kernel: int = 5
    discriminator_dense: int = 32
    spectral_norm: bool = True
    leaky_slope: float = 0.3

    def __post_init__(self) -> None:
        for name in ("mask_channels", "discriminator_channels"):
            value = tuple(int(c) for c in getattr(self, name))
            object.__setattr__(self, name, value)
            if not value or min(value) < 1:
                raise ValueError(f"{name} must be one or more positive numbers, got {value}.")
        if self.n_fft < 16 or self.n_fft & (self.n_fft - 1):
            raise ValueError(f"n_fft must be a power of two >= 16, got {self.n_fft}.")
        if not 0 < self.hop_length <= self.n_fft // 2:
            raise ValueError(
                f"hop_length must be in 1..n_fft/2 = {self.n_fft // 2} (the inverse STFT "
                f"needs overlapping Hann windows), got {self.hop_length}."
            )
        if self.num_samples < self.n_fft or self.num_samples % self.hop_length:
            raise ValueError(
                f"num_samples={self.num_samples} must be at least n_fft={self.n_fft} and a "
                f"multiple of hop_length={self.hop_length}."
            )
        if not self.mask_beta >= 1:
            raise ValueError(
                f"mask_beta must be >= 1 (a mask of 1 passes a bin unchanged), got "
                f"{self.mask_beta}."
            )
        if self.mask_kernel < 1 or self.discriminator_kernel < 1 or self.sample_rate < 1:
            raise ValueError(
                "mask_kernel, discriminator_kernel and sample_rate must be positive, got "
                f"{self.mask_kernel}, {self.discriminator_kernel} and {self.sample_rate}."
            )

    @property
    def num_frames(self) -> int:
        """STFT frames of a window: ``1 + num_samples // hop_length`` (centred frames)."""
        return 1 + self.num_samples // self.hop_length

    @property
    def num_bins(self) -> int:
        """STFT bins: ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1


def build_mask_generator(config: MetricEnhancerConfig = MetricEnhancerConfig()) -> keras.Model:
    """The mask enhancer: waveform in, waveform out, a bounded mask on the STFT magnitude.

    noisy ``[batch, num_samples, 1]`` -> :class:`~audiogan_kit.layers.STFTMagnitude`
    ``[batch, frames, bins]`` -> :class:`~audiogan_kit.layers.LogCompress` ->
    :class:`~audiogan_kit.layers.OverNoiseFloor` (the level and the height over each bin's
    floor, ``[batch, frames, 2 * bins]``), scaled by 1/4 -> ``len(mask_channels)`` Conv1D
    over frames (kernel ``mask_kernel``, LeakyReLU) -> Dense(bins) ->
    :class:`~audiogan_kit.layers.BoundedMask` (in (0, mask_beta)) ->
    :class:`~audiogan_kit.layers.MaskedInverseSTFT` with the noisy phase -> enhanced
    ``[batch, num_samples, 1]``.

    The last dense layer starts with a zero kernel and the bias ``log(1 / (beta - 1))``, so
    the untrained mask is 1 everywhere and the generator returns its input (as the residual
    SEGAN does): training starts from "do no harm".
    """
    noisy = keras.Input(shape=(config.num_samples, 1), name="noisy")
    magnitude = STFTMagnitude(config.n_fft, config.hop_length, name="magnitude")(noisy)
    x = LogCompress(name="log_magnitude")(magnitude)
    x = OverNoiseFloor(name="over_noise_floor")(x)
    # Logs span about -7..+4: scaled to about +-1 so the first layers do not saturate the
    # mask's sigmoid, where its gradient vanishes.
    x = layers.Rescaling(0.25, name="feature_scale")(x)
    for i, channels in enumerate(config.mask_channels, start=1):
        x = layers.Conv1D(channels, config.mask_kernel, padding="same", name=f"mask_conv{i}")(x)
        x = layers.LeakyReLU(config.leaky_slope, name=f"mask_conv{i}_lrelu")(x)
    if config.mask_beta > 1:
        start = math.log(1.0 / (config.mask_beta - 1.0))
    else:
        start = 8.0  # sigmoid(8) = 0.9997: as near 1 as a bound of 1 allows
    x = layers.Dense(
        config.num_bins,
        kernel_initializer="zeros",
        bias_initializer=keras.initializers.Constant(start),
        name="mask_logits",
    )(x)
    mask = BoundedMask(config.mask_beta, name="mask")(x)
    enhanced = MaskedInverseSTFT(config.n_fft, config.hop_length, name="resynthesis")(
        [noisy, mask]
    )
    model = keras.Model(noisy, enhanced, name="mask_generator")
    if tuple(model.output_shape[1:]) != (config.num_samples, 1):
        raise ValueError(
            f"internal error: the mask generator outputs {model.output_shape}, expected "
            f"(None, {config.num_samples}, 1); please report this with the config {config}."
        )
    return model


def build_metric_discriminator(
    config: MetricEnhancerConfig = MetricEnhancerConfig(),
) -> keras.Model:
    """The metric discriminator: predicts the normalised PESQ of a candidate from magnitudes.

    Call with ``[candidate, clean]``, each float32 ``[batch, num_frames, num_bins]`` linear
    STFT magnitudes (:func:`~audiogan_kit.layers.stft_magnitudes` with the config's
    ``n_fft`` and ``hop_length``); the candidate is an enhanced, a noisy or the clean clip.
    Their logs (:class:`~audiogan_kit.layers.LogCompress`) are stacked as channels
    ``[batch, frames, bins, 2]`` ->
    2-D convolutions (``discriminator_channels``, stride 2, LeakyReLU) -> global average
    pooling -> Dense(``discriminator_dense``) -> Dense(1).

    Output: float32 ``[batch, 1]``, the predicted :func:`normalised_pesq` (about 0 to 1; a
    linear output, as in MetricGAN: a sigmoid would flatten its gradient near 1, exactly
    where the generator pushes).
    """
    shape = (config.num_frames, config.num_bins)
    candidate = keras.Input(shape=shape, name="candidate")
    clean = keras.Input(shape=shape, name="clean")
    features = [
        layers.Reshape((*shape, 1), name=f"{name}_channel")(
            LogCompress(name=f"{name}_log")(tensor)
        )
        for name, tensor in (("candidate", candidate), ("clean", clean))
    ]
    x = layers.Concatenate(axis=-1, name="pair")(features)
    k = config.discriminator_kernel
    for i, channels in enumerate(config.discriminator_channels, start=1):
        conv = layers.Conv2D(channels, k, strides=2, padding="same", name=f"conv{i}")
        x = maybe_spectral_norm(config, conv)(x)
        x = layers.LeakyReLU(config.leaky_slope, name=f"conv{i}_lrelu")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = maybe_spectral_norm(config, layers.Dense(config.discriminator_dense, name="dense"))(x)
    x = layers.LeakyReLU(config.leaky_slope, name="dense_lrelu")(x)
    score = maybe_spectral_norm(config, layers.Dense(1, name="score"))(x)
    return keras.Model([candidate, clean], score, name="metric_discriminator")
