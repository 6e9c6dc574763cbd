"""SEGAN's networks for speech enhancement: the encoder-decoder generator and the pair
discriminator.

Introduced in notebooks/06_enhancement.ipynb.

SEGAN (Pascual, Bonafonte & Serra, Interspeech 2017) maps noisy speech to clean speech with a
1-D convolutional encoder-decoder whose decoder layers receive the matching encoder layer's
output (skip connections, as in U-Net), and judges (noisy, candidate) pairs with a
discriminator. Shapes: channels-last waveform batches ``[batch, samples, 1]`` in [-1, 1].
Training is :class:`audiogan_kit.training.EnhancementGAN`; inference on clips of any length
is :func:`audiogan_kit.enhance.enhance`.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from keras import layers

from ..config import Config
from ..layers import LatentNoise
from .blocks import UPSAMPLING, upsample_1d

__all__ = [
    "ENHANCER_PRESETS",
    "EnhancerConfig",
    "build_enhancer_generator",
    "build_pair_discriminator",
]


@dataclasses.dataclass(frozen=True)
class EnhancerConfig(Config):
    """Sizes of a SEGAN-style generator and its pair discriminator.

    Attributes:
        num_samples: window length in samples; a multiple of ``2 ** len(encoder_channels)``.
            The paper uses 16,384 samples at 16 kHz (1.024 s); the kit's FSDD clips are
            8,192 samples at 8 kHz (1.024 s).
        sample_rate: the rate in Hz the models are trained at (:func:`enhance` resamples).
        encoder_channels: output channels of the strided (stride 2) encoder convolutions;
            the paper's 11 layers are ``(16, 32, 32, 64, 64, 128, 128, 256, 256, 512,
            1024)``. The decoder mirrors them (transposed convolutions, stride 2) and ends in
            one channel through tanh.
        kernel_size: convolution width in samples (31 in the paper).
        latent_channels: channels of the noise z concatenated to the bottleneck (the
            paper: as many as the last encoder layer); ``None`` means that; 0 drops z.
        discriminator_channels: the discriminator's strided convolutions; ``None`` means
            ``encoder_channels``.
        discriminator_batch_norm: batch normalisation in the discriminator (the paper uses
            virtual batch norm); off by default so that every pair is scored on its own.
        leaky_slope: the discriminator's LeakyReLU slope (0.3 in the paper).
        residual: the generator estimates the noise and returns ``noisy - estimate``
            (``False``: it returns the clean estimate itself, as in the paper). A residual
            generator passes a clean input through unchanged from the start, so it needs far
            fewer updates to beat the noisy input (the quick CPU preset).
        upsample: how the decoder doubles the length: ``"transpose"`` (a transposed
            convolution of stride 2, the paper's), ``"nearest"`` or ``"linear"`` (repeat or
            interpolate, then a stride-1 convolution, see
            :func:`audiogan_kit.models.blocks.upsample_1d`). Transposed convolutions start out
            with periodic "checkerboard" artefacts at 4, 2, 1 kHz, ... (8 kHz audio), tones
            that PESQ punishes even when they are too faint to matter to SI-SDR.
    """

    num_samples: int = 8192
    sample_rate: int = 8000
    encoder_channels: tuple[int, ...] = (16, 32, 32, 64, 64, 128)
    kernel_size: int = 31
    latent_channels: int | None = None
    discriminator_channels: tuple[int, ...] | None = None
    discriminator_batch_norm: bool = False
    leaky_slope: float = 0.3
    residual: bool = False
    upsample: str = "transpose"

    def __post_init__(self) -> None:
        if self.upsample not in UPSAMPLING:
            raise ValueError(f"upsample must be one of {UPSAMPLING}, got {self.upsample!r}.")
        object.__setattr__(self, "encoder_channels", tuple(int(c) for c in self.encoder_channels))
        if self.discriminator_channels is not None:
            object.__setattr__(
                self, "discriminator_channels", tuple(int(c) for c in self.discriminator_channels)
            )
        if not self.encoder_channels or min(self.encoder_channels) < 1:
            raise ValueError(
                f"encoder_channels must be positive numbers, got {self.encoder_channels}."
            )
        stride = 2 ** len(self.encoder_channels)
        if self.num_samples < stride or self.num_samples % stride:
            raise ValueError(
                f"num_samples={self.num_samples} must be a multiple of 2 ** "
                f"{len(self.encoder_channels)} = {stride} (one halving per encoder layer); "
                "use 8192 or 16384, or fewer encoder layers."
            )
        if self.kernel_size < 1 or self.sample_rate < 1:
            raise ValueError(
                f"kernel_size and sample_rate must be positive, got {self.kernel_size} and "
                f"{self.sample_rate}."
            )
        if self.latent_channels is not None and self.latent_channels < 0:
            raise ValueError(f"latent_channels must be >= 0 or None, got {self.latent_channels}.")
        if self.discriminator_channels is not None and (
            not self.discriminator_channels or min(self.discriminator_channels) < 1
        ):
            raise ValueError(
                "discriminator_channels must be positive numbers or None, got "
                f"{self.discriminator_channels}."
            )

    @property
    def latent(self) -> int:
        """Channels of z in use."""
        return self.encoder_channels[-1] if self.latent_channels is None else self.latent_channels

    @property
    def bottleneck_length(self) -> int:
        """Time steps at the bottleneck: ``num_samples / 2 ** len(encoder_channels)``."""
        return self.num_samples // 2 ** len(self.encoder_channels)


_PAPER_CHANNELS = (16, 32, 32, 64, 64, 128, 128, 256, 256, 512, 1024)

ENHANCER_PRESETS: dict[str, EnhancerConfig] = {
    # About 0.3 M generator weights: trains on a CPU in minutes.
    "segan-cpu": EnhancerConfig(
        num_samples=8192, encoder_channels=(16, 32, 32, 64, 64, 128), kernel_size=15
    ),
    # The paper's layers on the kit's 1.024 s clips at 8 kHz (8,192 -> 4 steps x 1,024).
    "segan": EnhancerConfig(num_samples=8192, encoder_channels=_PAPER_CHANNELS, kernel_size=31),
    # The paper's size: 16,384 samples (2.048 s at 8 kHz; 1.024 s at 16 kHz), 8 x 1,024.
    "segan-paper": EnhancerConfig(
        num_samples=16384, encoder_channels=_PAPER_CHANNELS, kernel_size=31
    ),
}
"""Named sizes; change one option with ``dataclasses.replace(ENHANCER_PRESETS[n], ...)``."""


def build_enhancer_generator(
    config: EnhancerConfig = ENHANCER_PRESETS["segan-cpu"],
) -> keras.Model:
    """SEGAN's generator: a 1-D convolutional encoder-decoder with skip connections.

    Encoder: ``len(encoder_channels)`` convolutions of ``kernel_size`` and stride 2, each
    followed by a PReLU (one slope per channel), halving the length each time. Bottleneck:
    z (:class:`LatentNoise`) is concatenated on the channel axis. Decoder: as many
    upsampling layers (``config.upsample``: transposed convolutions of stride 2, or
    resize + convolution), each doubling the length; after every one but the
    last a PReLU, then the output of the encoder layer of the same length is concatenated
    (skip connection). The last layer has one channel and a tanh; with ``config.residual``
    that is an estimate of the noise, subtracted from the input, and the last layer starts
    at zero, so that the untrained generator returns its input exactly instead of having to
    learn to.

    Input ``noisy``: float32 ``[batch, num_samples, 1]`` in [-1, 1].
    Output: the enhanced waveform, float32 ``[batch, num_samples, 1]`` in (-1, 1) (about
    [-2, 2] in principle with ``residual``; in practice within the input's range).
    """
    k = config.kernel_size
    noisy = keras.Input(shape=(config.num_samples, 1), name="noisy")
    x = noisy
    skips = []
    for i, channels in enumerate(config.encoder_channels, start=1):
        x = layers.Conv1D(channels, k, strides=2, padding="same", name=f"enc{i}")(x)
        x = layers.PReLU(shared_axes=[1], name=f"enc{i}_prelu")(x)
        skips.append(x)
    if config.latent:
        x = LatentNoise(config.latent, name="latent_z")(x)
    decoder_channels = [*reversed(config.encoder_channels[:-1]), 1]
    for i, channels in enumerate(decoder_channels, start=1):
        x = upsample_1d(x, channels, 2, f"dec{i}", config.upsample, k)
        if i == len(decoder_channels):
            x = layers.Activation("tanh", name="dec_tanh")(x)
            if config.residual:
                x = layers.Subtract(name="residual")([noisy, x])
            break
        x = layers.PReLU(shared_axes=[1], name=f"dec{i}_prelu")(x)
        x = layers.Concatenate(axis=-1, name=f"dec{i}_skip")([x, skips[-1 - i]])
    model = keras.Model(noisy, x, name="segan_generator")
    if config.residual:
        # A zero last layer makes the untrained residual generator the identity (tanh(0) = 0).
        last = model.get_layer(f"dec{len(decoder_channels)}")
        last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    if tuple(model.output_shape[1:]) != (config.num_samples, 1):
        raise ValueError(
            f"internal error: the generator outputs {model.output_shape}, expected "
            f"(None, {config.num_samples}, 1); please report this with the config {config}."
        )
    return model


def build_pair_discriminator(
    config: EnhancerConfig = ENHANCER_PRESETS["segan-cpu"],
) -> keras.Model:
    """SEGAN's discriminator: judges a (noisy, candidate) pair.

    The two waveforms are stacked on the channel axis (``[batch, num_samples, 2]``), then
    strided convolutions (``discriminator_channels``, kernel ``kernel_size``, stride 2),
    each followed by optional batch normalisation and LeakyReLU(``leaky_slope``); a 1x1
    convolution to one channel, and a dense layer to one logit.

    Call with ``[noisy, candidate]``, each float32 ``[batch, num_samples, 1]``; the
    candidate is the clean clip ("real") or the generator's output ("fake").
    Output: one raw logit per pair, float32 ``[batch, 1]``.
    """
    channels = config.discriminator_channels or config.encoder_channels
    noisy = keras.Input(shape=(config.num_samples, 1), name="noisy")
    candidate = keras.Input(shape=(config.num_samples, 1), name="candidate")
    x = layers.Concatenate(axis=-1, name="pair")([noisy, candidate])
    for i, filters in enumerate(channels, start=1):
        conv = layers.Conv1D(
            filters, config.kernel_size, strides=2, padding="same", name=f"conv{i}"
        )
        x = conv(x)
        if config.discriminator_batch_norm:
            x = layers.BatchNormalization(name=f"conv{i}_bn")(x)
        x = layers.LeakyReLU(config.leaky_slope, name=f"conv{i}_lrelu")(x)
    x = layers.Conv1D(1, 1, name="squeeze")(x)
    x = layers.LeakyReLU(config.leaky_slope, name="squeeze_lrelu")(x)
    x = layers.Flatten(name="flatten")(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model([noisy, candidate], logit, name="segan_discriminator")
