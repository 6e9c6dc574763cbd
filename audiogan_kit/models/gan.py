"""Generators and discriminators of the GANs: the dense baseline, WaveGAN and SpecGAN.

Introduced in notebooks/02_models.ipynb.

Every model is a functional ``keras.Model`` built from ``keras.layers`` (and the layers of
:mod:`audiogan_kit.layers`), so it runs under the TensorFlow and the JAX backends and saves to
and loads from the ``.keras`` format with ``safe_mode=True``
(:func:`~audiogan_kit.models.save_model`). One frozen
:class:`~audiogan_kit.models.ModelConfig` describes a generator/discriminator pair;
:data:`ARCHITECTURES` maps each architecture name to its two builders.

Shapes (channels last, time before frequency, as in :mod:`audiogan_kit.features`):

- generator inputs: ``noise`` float32 ``[batch, latent_dim]`` (standard normal), plus
  ``label`` int32 ``[batch]`` in ``0 .. num_classes - 1`` when conditional (call with
  ``generator([noise, labels])``);
- generator output: a waveform float32 ``[batch, num_samples, 1]`` in [-1, 1] at the audio
  config's sample rate (``"dense"``, ``"wavegan"``), or a normalised log-magnitude
  spectrogram float32 ``[batch, num_frames, num_bins, 1]`` in [-1, 1] (``"specgan"``;
  64 frames x 128 bins at the default :class:`~audiogan_kit.config.AudioConfig`), which
  the features module inverts to audio with Griffin-Lim;
- discriminator inputs: that sample (plus ``label`` when conditional); output one raw
  logit float32 ``[batch, 1]`` (no sigmoid: the losses in :mod:`audiogan_kit.losses` take
  logits).

Architectures:

- ``"dense"``: the seed prototype's idea made to work on fixed-length clips: noise ->
  2 dense layers of ``4 * model_dim`` units -> ``num_samples`` samples through tanh; the
  discriminator flattens the clip -> 2 dense layers -> one logit. The naive reference.
- ``"wavegan"`` (Donahue, McAuley & Puckette, ICLR 2019): a dense layer to
  ``num_samples / 1024`` steps x ``16 d`` channels, then 5 transposed 1-D convolutions of
  kernel 25 and stride 4 (``16d -> 8d -> 4d -> 2d -> d -> 1`` channels), each multiplying the
  length by 4 (1024 = 4^5): 16 -> 16,384 samples as in the paper, 8 -> 8,192 and 4 -> 4,096
  for the shorter clips, so every output length uses the same five layers and only the
  first dense layer changes. The discriminator mirrors it with 5 strided convolutions
  (stride 4, kernel 25, ``d -> 16d`` channels), LeakyReLU(0.2) and phase shuffle (n = 2)
  after the first four, then a dense layer to one logit.
- ``"specgan"``: the same idea in 2-D (DCGAN): a dense layer to ``num_frames / 32`` x
  ``num_bins / 32`` x ``16 d`` (2 x 4 at the defaults), then 5 transposed 2-D convolutions of
  kernel 5 and stride 2 to ``num_frames x num_bins x 1``; the discriminator uses 5 strided 2-D
  convolutions with LeakyReLU(0.2).
- ``"specgan1d"``: the same spectrograms, but convolved along time only, with the frequency
  bins (or mel bands) of a frame as the channels, as speech models such as Tacotron's decoder
  post-net do: a dense layer to ``num_frames / 8`` frames x ``16 d`` channels, 3 upsampling
  stages (``8d -> 4d -> 2d`` channels, x2 in time each), then a 1-D convolution to
  ``num_bins`` channels; the discriminator uses 4 strided 1-D convolutions (``2d -> 16d``).
  A filter sees the whole spectrum of a few frames at once (formants, harmonics), and the
  network is an order of magnitude cheaper than the 2-D one.
- ``"specgan-lite"``: a 2-D SpecGAN small enough for a CPU, the kit's ``quick`` preset: a
  dense layer to ``num_frames / 8`` x ``num_bins / 8`` x ``8 d``, 3 upsampling stages
  (``4d -> 2d -> d`` channels, x2 along both axes each), then a 2-D convolution to one
  channel; the discriminator uses 4 strided 2-D convolutions (``2d -> 16d``). Its filters
  slide along frequency as well as time, so a formant or a harmonic learnt at one pitch is
  reused at another: it learns the digits in fewer steps than ``"specgan1d"`` although
  each step costs about twice as much (``benchmarks/presets.md``, session 7).

Conditioning on the digit (``num_classes > 0``): the generator concatenates a learned label
embedding (``label_dim`` numbers) to the noise; the discriminator either adds a projection
term ``<embed(y), h>`` to its logit (``conditioning="projection"``, Miyato & Koyama 2018) or
receives the one-hot label as extra input channels (``conditioning="concat"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import keras
from keras import layers

from ..layers import LabelChannels, PhaseShuffle
from .blocks import (
    generator_inputs,
    logit_head,
    maybe_batch_norm,
    maybe_spectral_norm,
    model_inputs,
    noise_and_label,
    project,
    upsample_1d,
    upsample_2d,
)
from .config import ModelConfig

__all__ = ["ARCHITECTURES", "Architecture", "build_discriminator", "build_generator"]

NUM_STAGES = 5  # upsampling stages of WaveGAN and SpecGAN
NUM_STAGES_1D = 3  # upsampling stages of the 1-D SpecGAN (its discriminator has one more)
NUM_STAGES_LITE = 3  # upsampling stages of the light 2-D SpecGAN (its discriminator: 4)


# --- generators -----------------------------------------------------------------------------


def _dense_generator(config: ModelConfig, inputs) -> keras.KerasTensor:
    hidden = 4 * config.model_dim
    x = noise_and_label(config, inputs)
    for i in (1, 2):
        x = layers.Dense(hidden, name=f"dense{i}")(x)
        x = maybe_batch_norm(config, x, f"dense{i}", inputs)
        x = layers.LeakyReLU(0.2, name=f"dense{i}_lrelu")(x)
    x = layers.Dense(config.num_samples, activation="tanh", name="waveform_dense")(x)
    return layers.Reshape((config.num_samples, 1), name="waveform")(x)


def _five_upsamplings(config: ModelConfig, inputs, upsample, stride: int, shape):
    """WaveGAN's and SpecGAN's decoder: the stem to ``shape``, then ``16d -> 8d -> 4d -> 2d
    -> d -> 1`` channels."""
    d = config.model_dim
    x = project(config, inputs, shape)
    channels = [8 * d, 4 * d, 2 * d, d, 1]
    for i, filters in enumerate(channels, start=1):
        x = upsample(x, filters, stride, f"upconv{i}", config.upsample, config.kernel)
        if i < len(channels):
            x = maybe_batch_norm(config, x, f"upconv{i}", inputs)
            x = layers.ReLU(name=f"upconv{i}_relu")(x)
    return x


def _wavegan_generator(config: ModelConfig, inputs) -> keras.KerasTensor:
    shape = (config.num_samples // 4**NUM_STAGES, 16 * config.model_dim)
    x = _five_upsamplings(config, inputs, upsample_1d, 4, shape)
    return layers.Activation("tanh", name="waveform")(x)


def _specgan_generator(config: ModelConfig, inputs) -> keras.KerasTensor:
    shape = (config.num_frames // 32, config.num_bins // 32, 16 * config.model_dim)
    x = _five_upsamplings(config, inputs, upsample_2d, 2, shape)
    return layers.Activation("tanh", name="spectrogram")(x)


def _specgan1d_generator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d = config.model_dim
    x = project(config, inputs, (config.num_frames // 2**NUM_STAGES_1D, 16 * d))
    for i, filters in enumerate([8 * d, 4 * d, 2 * d], start=1):
        x = upsample_1d(x, filters, 2, f"upconv{i}", config.upsample, config.kernel)
        x = maybe_batch_norm(config, x, f"upconv{i}", inputs)
        x = layers.ReLU(name=f"upconv{i}_relu")(x)
    x = layers.Conv1D(config.num_bins, config.kernel, padding="same", name="to_bins")(x)
    x = layers.Activation("tanh", name="tanh")(x)
    return layers.Reshape(config.sample_shape, name="spectrogram")(x)


def _specgan_lite_generator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d, scale = config.model_dim, 2**NUM_STAGES_LITE
    x = project(config, inputs, (config.num_frames // scale, config.num_bins // scale, 8 * d))
    for i, filters in enumerate([4 * d, 2 * d, d], start=1):
        x = upsample_2d(x, filters, 2, f"upconv{i}", config.upsample, config.kernel)
        x = maybe_batch_norm(config, x, f"upconv{i}", inputs)
        x = layers.ReLU(name=f"upconv{i}_relu")(x)
    x = layers.Conv2D(1, config.kernel, padding="same", name="to_spectrogram")(x)
    return layers.Activation("tanh", name="spectrogram")(x)


# --- discriminators -------------------------------------------------------------------------


def _discriminator_input(config: ModelConfig, inputs):
    if config.conditional and config.conditioning == "concat":
        return LabelChannels(config.num_classes, name="label_channels")(inputs)
    return inputs[0]


def _dense_discriminator(config: ModelConfig, inputs) -> keras.KerasTensor:
    hidden = 4 * config.d_dim
    x = layers.Flatten(name="waveform_flat")(inputs[0])
    if config.conditional and config.conditioning == "concat":
        x = LabelChannels(config.num_classes, name="label_channels")([x, inputs[1]])
    for i in (1, 2):
        x = maybe_spectral_norm(config, layers.Dense(hidden, name=f"dense{i}"))(x)
        x = layers.LeakyReLU(0.2, name=f"dense{i}_lrelu")(x)
    return logit_head(config, x, inputs)


def _wavegan_discriminator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d = config.d_dim
    x = _discriminator_input(config, inputs)
    channels = [d, 2 * d, 4 * d, 8 * d, 16 * d]
    for i, filters in enumerate(channels, start=1):
        conv = layers.Conv1D(filters, config.kernel, strides=4, padding="same", name=f"conv{i}")
        x = maybe_spectral_norm(config, conv)(x)
        x = layers.LeakyReLU(0.2, name=f"conv{i}_lrelu")(x)
        if i < len(channels) and config.phase_shuffle:
            x = PhaseShuffle(config.phase_shuffle, name=f"conv{i}_phase_shuffle")(x)
    return logit_head(config, x, inputs)


def _specgan_discriminator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d = config.d_dim
    x = _discriminator_input(config, inputs)
    for i, filters in enumerate([d, 2 * d, 4 * d, 8 * d, 16 * d], start=1):
        conv = layers.Conv2D(filters, config.kernel, strides=2, padding="same", name=f"conv{i}")
        x = maybe_spectral_norm(config, conv)(x)
        x = layers.LeakyReLU(0.2, name=f"conv{i}_lrelu")(x)
    return logit_head(config, x, inputs)


def _specgan1d_discriminator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d = config.d_dim
    x = layers.Reshape((config.num_frames, config.num_bins), name="frames")(inputs[0])
    if config.conditional and config.conditioning == "concat":
        x = LabelChannels(config.num_classes, name="label_channels")([x, inputs[1]])
    for i, filters in enumerate([2 * d, 4 * d, 8 * d, 16 * d], start=1):
        conv = layers.Conv1D(filters, config.kernel, strides=2, padding="same", name=f"conv{i}")
        x = maybe_spectral_norm(config, conv)(x)
        x = layers.LeakyReLU(0.2, name=f"conv{i}_lrelu")(x)
    return logit_head(config, x, inputs)


def _specgan_lite_discriminator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d = config.d_dim
    x = _discriminator_input(config, inputs)
    for i, filters in enumerate([2 * d, 4 * d, 8 * d, 16 * d], start=1):
        conv = layers.Conv2D(filters, config.kernel, strides=2, padding="same", name=f"conv{i}")
        x = maybe_spectral_norm(config, conv)(x)
        x = layers.LeakyReLU(0.2, name=f"conv{i}_lrelu")(x)
    return logit_head(config, x, inputs)


# --- the registry ---------------------------------------------------------------------------


def _check_wavegan(config: ModelConfig) -> None:
    if config.num_samples % 4**NUM_STAGES:
        raise ValueError(
            f"WaveGAN needs num_samples divisible by {4**NUM_STAGES} (5 stride-4 layers); "
            f"got {config.num_samples}. Use 4096, 8192 or 16384."
        )


def _check_specgan(config: ModelConfig) -> None:
    if config.num_frames % 32 or config.num_bins % 32:
        raise ValueError(
            "SpecGAN needs num_frames and num_bins divisible by 32 (5 stride-2 layers); "
            f"got {config.num_frames} x {config.num_bins}. Use 64 x 128 (AudioConfig defaults)."
        )


def _check_specgan1d(config: ModelConfig) -> None:
    if config.num_frames % 16:
        raise ValueError(
            "specgan1d needs num_frames divisible by 16 (3 upsampling stages, 4 strided "
            f"discriminator layers); got {config.num_frames}. Use 64 (AudioConfig defaults)."
        )


def _check_specgan_lite(config: ModelConfig) -> None:
    if config.num_frames % 16 or config.num_bins % 16:
        raise ValueError(
            "specgan-lite needs num_frames and num_bins divisible by 16 (4 stride-2 "
            f"discriminator layers); got {config.num_frames} x {config.num_bins}. Use 32 x 64 "
            "(the quick preset's log-mel)."
        )


@dataclasses.dataclass(frozen=True)
class Architecture:
    """One architecture: its two graph builders, what it makes, and its shape rules.

    Attributes:
        generator: ``(config, inputs) -> output tensor``, the generator's graph.
        discriminator: ``(config, inputs) -> logit tensor``, the discriminator's graph.
        domain: ``"waveform"`` or ``"spectrogram"``: what the pair makes and judges.
        check: raises ``ValueError`` when a config's sizes do not fit the layers.
    """

    generator: Callable
    discriminator: Callable
    domain: str
    check: Callable[[ModelConfig], None] = lambda config: None


ARCHITECTURES: dict[str, Architecture] = {
    "dense": Architecture(_dense_generator, _dense_discriminator, "waveform"),
    "wavegan": Architecture(
        _wavegan_generator, _wavegan_discriminator, "waveform", _check_wavegan
    ),
    "specgan": Architecture(
        _specgan_generator, _specgan_discriminator, "spectrogram", _check_specgan
    ),
    "specgan1d": Architecture(
        _specgan1d_generator, _specgan1d_discriminator, "spectrogram", _check_specgan1d
    ),
    "specgan-lite": Architecture(
        _specgan_lite_generator,
        _specgan_lite_discriminator,
        "spectrogram",
        _check_specgan_lite,
    ),
}
"""Architecture name -> :class:`Architecture`; :class:`ModelConfig` accepts these names."""


# --- building -------------------------------------------------------------------------------


def build_generator(config: ModelConfig) -> keras.Model:
    """The generator described by ``config``, a functional ``keras.Model``.

    Inputs: ``noise`` float32 ``[batch, latent_dim]`` (+ ``label`` int32 ``[batch]`` when
    ``config.num_classes > 0``). Output: float32 ``[batch, *config.sample_shape]`` in
    [-1, 1]: a waveform ``[batch, num_samples, 1]`` or a spectrogram
    ``[batch, num_frames, num_bins, 1]``.
    """
    noise = keras.Input(shape=(config.latent_dim,), name="noise")
    inputs = generator_inputs(config, noise)
    outputs = ARCHITECTURES[config.architecture].generator(config, inputs)
    model = keras.Model(model_inputs(inputs), outputs, name=f"{config.architecture}_generator")
    if tuple(model.output_shape[1:]) != config.sample_shape:
        raise ValueError(
            f"internal error: {model.name} outputs {model.output_shape}, expected "
            f"(None, *{config.sample_shape}); please report this with the config {config}."
        )
    return model


def build_discriminator(config: ModelConfig) -> keras.Model:
    """The discriminator (critic) described by ``config``, a functional ``keras.Model``.

    Inputs: a sample float32 ``[batch, *config.sample_shape]`` named ``waveform`` or
    ``spectrogram`` (+ ``label`` int32 ``[batch]`` when conditional). Output: one raw
    logit per example, float32 ``[batch, 1]``; with ``config.aux_classifier`` the list
    ``[logit, class_logits float32 [batch, num_classes]]``. Phase shuffle is active only in
    ``training=True`` calls. Its widths follow ``config.d_dim``.
    """
    kind = "spectrogram" if config.is_spectrogram else "waveform"
    sample = keras.Input(shape=config.sample_shape, name=kind)
    inputs = generator_inputs(config, sample)
    outputs = ARCHITECTURES[config.architecture].discriminator(config, inputs)
    name = f"{config.architecture}_discriminator"
    return keras.Model(model_inputs(inputs), outputs, name=name)
