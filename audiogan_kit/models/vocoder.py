"""A small GAN vocoder: log-mel frames to a waveform (MelGAN / HiFi-GAN style).

The kit's spectrogram GANs make log-mel frames that Griffin-Lim turns into audio
(:func:`audiogan_kit.features.mel_to_audio`); a vocoder learns that inversion instead.

- The generator (MelGAN, Kumar et al. 2019) maps log-mel frames ``float32 [batch, frames,
  n_mels]`` (:func:`audiogan_kit.features.log_mel` of the run's :class:`AudioConfig`, not
  normalised) to a waveform ``float32 [batch, frames * hop, 1]`` in [-1, 1]: a convolution in,
  one upsampling stage per factor of ``upsample_factors`` (whose product is the STFT hop), each
  followed by a residual stack of dilated convolutions, leaky ReLU, a convolution to one
  channel and tanh. Frame ``t`` becomes samples ``t * hop .. (t + 1) * hop - 1``.
- The discriminator takes a waveform ``[batch, samples, 1]`` and is several discriminators
  in one model: MelGAN's multi-scale one (the waveform, then average-pooled by 2 and by 4)
  and/or HiFi-GAN's multi-period one (the waveform folded into ``[samples / p, p]`` for each
  period ``p``, 2-D convolutions along time). Each sub-discriminator gives
  :attr:`VocoderConfig.feature_maps` feature maps and a map of raw logits; the model outputs
  them as one flat list, sub-discriminator after sub-discriminator, which
  :func:`split_discriminator_outputs` groups back.

Weight normalisation (both papers) is left out: keras has no built-in, and the small models
trained here do not need it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import keras
from keras import layers, ops

from ..config import Config
from .blocks import UPSAMPLING, upsample_1d

__all__ = [
    "DISCRIMINATOR_KINDS",
    "VOCODER_PRESETS",
    "PeriodFold",
    "VocoderConfig",
    "build_vocoder_discriminator",
    "build_vocoder_generator",
    "split_discriminator_outputs",
]

#: The sub-discriminator families a vocoder discriminator can hold.
DISCRIMINATOR_KINDS = ("multiscale", "multiperiod")


@dataclasses.dataclass(frozen=True)
class VocoderConfig(Config):
    """Sizes of a vocoder's generator and discriminator; frozen, saved with every checkpoint.

    Attributes:
        n_mels: mel bands of the input frames (``AudioConfig.n_mels``).
        hop_length: samples per frame (``AudioConfig.hop_length``); must equal the product
            of ``upsample_factors``.
        upsample_factors: the generator's upsampling stages, e.g. ``(8, 8, 4)`` for a hop of
            256 (MelGAN: ``(8, 8, 2, 2)`` for 256).
        channels: channels after the input convolution; halved at every stage (never below 1).
        dilations: the residual stack after each stage, one residual unit per dilation
            (MelGAN: ``(1, 3, 9)``, a receptive field of 27 samples at kernel 3).
        upsample: ``"nearest"`` (repeat, then a convolution: no checkerboard tones at the
            start), ``"linear"`` or ``"transpose"`` (MelGAN's transposed convolution),
            see :func:`audiogan_kit.models.blocks.upsample_1d`.
        discriminators: which of :data:`DISCRIMINATOR_KINDS` the discriminator holds.
        num_scales: sub-discriminators of the multi-scale kind (MelGAN: 3).
        periods: the multi-period kind's periods in samples (HiFi-GAN: 2, 3, 5, 7, 11).
        discriminator_channels: the convolutions of every sub-discriminator (multi-scale:
            MelGAN's kernel 15 stride 1 first, then kernel 41 stride 4; multi-period: kernel
            5 stride 3 in time); each gives a feature map, and so does the stride-1
            convolution after them.
        leaky_slope: the LeakyReLU slope (0.2 in MelGAN, 0.1 in HiFi-GAN).
    """

    n_mels: int = 64
    hop_length: int = 256
    upsample_factors: tuple[int, ...] = (8, 8, 4)
    channels: int = 32
    dilations: tuple[int, ...] = (1, 3, 9)
    upsample: str = "nearest"
    discriminators: tuple[str, ...] = ("multiscale", "multiperiod")
    num_scales: int = 3
    periods: tuple[int, ...] = (2, 3, 5, 7, 11)
    discriminator_channels: tuple[int, ...] = (4, 8, 16)
    leaky_slope: float = 0.2

    def __post_init__(self) -> None:
        for name in ("upsample_factors", "dilations", "periods", "discriminator_channels"):
            object.__setattr__(self, name, tuple(int(v) for v in getattr(self, name)))
        object.__setattr__(self, "discriminators", tuple(str(v) for v in self.discriminators))
        if self.upsample not in UPSAMPLING:
            raise ValueError(f"upsample must be one of {UPSAMPLING}, got {self.upsample!r}.")
        if self.n_mels < 1 or self.channels < 1 or self.num_scales < 0:
            raise ValueError(
                f"n_mels and channels must be positive and num_scales >= 0, got {self.n_mels}, "
                f"{self.channels} and {self.num_scales}."
            )
        factors = self.upsample_factors
        if not factors or min(factors) < 1 or _product(factors) != self.hop_length:
            raise ValueError(
                f"upsample_factors={factors} must be positive and multiply to the hop "
                f"({self.hop_length} samples per frame), e.g. (8, 8, 4) for 256."
            )
        for name in ("dilations", "periods", "discriminator_channels"):
            values = getattr(self, name)
            if values and min(values) < 1:
                raise ValueError(f"{name} must be positive numbers, got {values}.")
        unknown = set(self.discriminators) - set(DISCRIMINATOR_KINDS)
        if not self.discriminators or unknown:
            raise ValueError(
                f"discriminators must be one or more of {DISCRIMINATOR_KINDS}, got "
                f"{self.discriminators}."
            )
        if self.num_sub_discriminators == 0:
            raise ValueError(
                "the discriminator has no sub-discriminator: give num_scales >= 1 or periods."
            )
        if not 0 <= self.leaky_slope < 1:
            raise ValueError(f"leaky_slope must be in [0, 1), got {self.leaky_slope}.")

    @property
    def feature_maps(self) -> int:
        """Feature maps per sub-discriminator (its strided convolutions and the last one)."""
        return len(self.discriminator_channels) + 1

    @property
    def num_sub_discriminators(self) -> int:
        """Sub-discriminators in the discriminator model (scales plus periods in use)."""
        scales = self.num_scales if "multiscale" in self.discriminators else 0
        periods = len(self.periods) if "multiperiod" in self.discriminators else 0
        return scales + periods


def _product(values: tuple[int, ...]) -> int:
    result = 1
    for value in values:
        result *= value
    return result


VOCODER_PRESETS: dict[str, VocoderConfig] = {
    # For a laptop CPU at the quick preset's features (hop 256, 64 mel bands): 29,793
    # generator and 34,944 discriminator weights; about 1.4 steps/s at batch 8 of 1.024-s
    # clips on a shared 2-core CPU (TensorFlow and JAX alike; 4,096-sample segments about 2.4x
    # as fast). 64 channels and (8, 16, 32) ran at about 0.6 steps/s at batch 16; most of a
    # step is the discriminators.
    "quick": VocoderConfig(),
    # MelGAN's generator (512 channels, four stages, transposed convolutions) with both
    # discriminator families; MelGAN's 1024-channel discriminator layers use grouped
    # convolutions, the plain ones here stop at 512 channels.
    "paper": VocoderConfig(
        upsample_factors=(8, 8, 2, 2),
        channels=512,
        upsample="transpose",
        discriminator_channels=(32, 128, 512),
        leaky_slope=0.2,
    ),
}
"""Named vocoder sizes; both take the kit's quick-preset features (hop 256, 64 bands)."""


@keras.saving.register_keras_serializable(package="audiogan_kit")
class PeriodFold(layers.Layer):
    """Fold a waveform by a period: ``[batch, samples, 1]`` -> ``[batch, ceil(samples / p), p, 1]``.

    HiFi-GAN's multi-period discriminator: sample ``t`` lands at row ``t // p``, column
    ``t % p``, so a 2-D convolution along the rows sees every ``p``-th sample. The end is
    padded by reflection up to a multiple of ``p``.
    """

    def __init__(self, period: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.period = int(period)

    def call(self, x):
        samples = x.shape[1] if x.shape[1] is not None else ops.shape(x)[1]
        pad = (-samples) % self.period
        if pad:
            x = ops.pad(x, [[0, 0], [0, pad], [0, 0]], mode="reflect")
        return ops.reshape(x, (ops.shape(x)[0], -1, self.period, 1))

    def compute_output_shape(self, input_shape):
        samples = input_shape[1]
        rows = None if samples is None else -(-samples // self.period)
        return (input_shape[0], rows, self.period, 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "period": self.period}


def _residual_stack(x, config: VocoderConfig, filters: int, name: str):
    """MelGAN's residual stack: ``x + conv1(lrelu(conv3_dilated(lrelu(x))))`` per dilation."""
    for dilation in config.dilations:
        y = layers.LeakyReLU(config.leaky_slope, name=f"{name}_d{dilation}_act1")(x)
        y = layers.Conv1D(
            filters, 3, dilation_rate=dilation, padding="same", name=f"{name}_d{dilation}_conv"
        )(y)
        y = layers.LeakyReLU(config.leaky_slope, name=f"{name}_d{dilation}_act2")(y)
        y = layers.Conv1D(filters, 1, name=f"{name}_d{dilation}_proj")(y)
        x = layers.Add(name=f"{name}_d{dilation}_add")([x, y])
    return x


def build_vocoder_generator(config: VocoderConfig) -> keras.Model:
    """The MelGAN generator: ``[batch, frames, n_mels]`` log-mel -> ``[batch, frames * hop, 1]``.

    Any number of frames (the time axis is ``None``); output in [-1, 1] (tanh).
    """
    mel = keras.Input((None, config.n_mels), name="log_mel")
    # log-mel with the kit's 1e-5 floor spans about -11.5 (silence) to +4; centre and scale
    # it to about [-1.5, 1.5] so the first convolution starts in a sensible range.
    x = layers.Rescaling(0.2, offset=0.8, name="scale_in")(mel)
    x = layers.Conv1D(config.channels, 7, padding="same", name="conv_in")(x)
    filters = config.channels
    for index, factor in enumerate(config.upsample_factors):
        filters = max(1, filters // 2)
        x = layers.LeakyReLU(config.leaky_slope, name=f"up{index}_act")(x)
        kernel = 2 * factor if config.upsample == "transpose" else 2 * factor + 1
        x = upsample_1d(x, filters, factor, f"up{index}", config.upsample, kernel)
        x = _residual_stack(x, config, filters, f"res{index}")
    x = layers.LeakyReLU(config.leaky_slope, name="out_act")(x)
    x = layers.Conv1D(1, 7, padding="same", name="conv_out")(x)
    wave = layers.Activation("tanh", dtype="float32", name="waveform")(x)
    return keras.Model(mel, wave, name="vocoder_generator")


def _scale_discriminator(x, config: VocoderConfig, name: str) -> list:
    """A MelGAN scale discriminator on ``[batch, samples, 1]``: feature maps, then logits."""
    outputs = []
    for index, filters in enumerate(config.discriminator_channels):
        kernel, stride = (15, 1) if index == 0 else (41, 4)
        x = layers.Conv1D(
            filters, kernel, strides=stride, padding="same", name=f"{name}_c{index}"
        )(x)
        x = layers.LeakyReLU(config.leaky_slope, name=f"{name}_a{index}")(x)
        outputs.append(x)
    x = layers.Conv1D(config.discriminator_channels[-1], 5, padding="same", name=f"{name}_post")(x)
    x = layers.LeakyReLU(config.leaky_slope, name=f"{name}_post_act")(x)
    outputs.append(x)
    outputs.append(layers.Conv1D(1, 3, padding="same", dtype="float32", name=f"{name}_logits")(x))
    return outputs


def _period_discriminator(wave, config: VocoderConfig, period: int, name: str) -> list:
    """A HiFi-GAN period discriminator: feature maps, then logits ``[batch, rows, p, 1]``."""
    x = PeriodFold(period, name=f"{name}_fold")(wave)
    outputs = []
    for index, filters in enumerate(config.discriminator_channels):
        x = layers.Conv2D(
            filters, (5, 1), strides=(3, 1), padding="same", name=f"{name}_c{index}"
        )(x)
        x = layers.LeakyReLU(config.leaky_slope, name=f"{name}_a{index}")(x)
        outputs.append(x)
    x = layers.Conv2D(
        config.discriminator_channels[-1], (5, 1), padding="same", name=f"{name}_post"
    )(x)
    x = layers.LeakyReLU(config.leaky_slope, name=f"{name}_post_act")(x)
    outputs.append(x)
    outputs.append(
        layers.Conv2D(1, (3, 1), padding="same", dtype="float32", name=f"{name}_logits")(x)
    )
    return outputs


def build_vocoder_discriminator(config: VocoderConfig) -> keras.Model:
    """All sub-discriminators of ``config`` over one waveform ``[batch, samples, 1]``.

    Outputs a flat list: for each sub-discriminator (scales first, then periods) its
    :attr:`VocoderConfig.feature_maps` feature maps, then its raw logits (a map: ``[batch,
    steps, 1]`` for a scale, ``[batch, rows, period, 1]`` for a period). Group it with
    :func:`split_discriminator_outputs`.
    """
    wave = keras.Input((None, 1), name="waveform")
    outputs = []
    if "multiscale" in config.discriminators:
        x = wave
        for scale in range(config.num_scales):
            if scale:
                x = layers.AveragePooling1D(4, strides=2, padding="same", name=f"pool{scale}")(x)
            outputs += _scale_discriminator(x, config, f"scale{scale}")
    if "multiperiod" in config.discriminators:
        for period in config.periods:
            outputs += _period_discriminator(wave, config, period, f"period{period}")
    return keras.Model(wave, outputs, name="vocoder_discriminator")


def split_discriminator_outputs(outputs: list, config: VocoderConfig) -> list[tuple[Any, list]]:
    """The discriminator's flat outputs as ``[(logits, [feature maps]), ...]``, one per
    sub-discriminator, in the order of :func:`build_vocoder_discriminator`."""
    per = config.feature_maps + 1
    if len(outputs) != per * config.num_sub_discriminators:
        raise ValueError(
            f"expected {per * config.num_sub_discriminators} discriminator outputs, got "
            f"{len(outputs)}."
        )
    return [
        (outputs[start + per - 1], list(outputs[start : start + per - 1]))
        for start in range(0, len(outputs), per)
    ]
