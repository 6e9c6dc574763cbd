"""Generators and discriminators: the dense baseline, WaveGAN and SpecGAN.

Introduced in notebooks/02_models.ipynb.

Every model is a functional ``keras.Model`` built from ``keras.layers`` (and the two layers of
:mod:`audiogan_kit.layers`), so it runs under the TensorFlow and the JAX backends and saves to
and loads from the ``.keras`` format with ``safe_mode=True`` (:func:`save_model`,
:func:`load_model`). One frozen :class:`ModelConfig` describes a generator/discriminator pair.

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
  network is an order of magnitude cheaper than the 2-D one: the kit's ``quick`` preset.

Conditioning on the digit (``num_classes > 0``): the generator concatenates a learned label
embedding (``label_dim`` numbers) to the noise; the discriminator either adds a projection
term ``<embed(y), h>`` to its logit (``conditioning="projection"``, Miyato & Koyama 2018) or
receives the one-hot label as extra input channels (``conditioning="concat"``).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import keras
from keras import layers

from .layers import LabelChannels, PhaseShuffle

__all__ = [
    "ARCHITECTURES",
    "PRESETS",
    "ModelConfig",
    "build_discriminator",
    "build_generator",
    "layer_table",
    "load_model",
    "parameter_count",
    "receptive_field",
    "save_model",
]

ARCHITECTURES = ("dense", "wavegan", "specgan", "specgan1d")
_UPSAMPLE = ("transpose", "nearest", "linear")
_CONDITIONING = ("projection", "concat")
_NUM_STAGES = 5  # upsampling stages of WaveGAN and SpecGAN
_NUM_STAGES_1D = 3  # upsampling stages of the 1-D SpecGAN (its discriminator has one more)


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """One generator/discriminator pair, frozen and saved with every checkpoint.

    Attributes:
        architecture: ``"dense"``, ``"wavegan"``, ``"specgan"`` or ``"specgan1d"``.
        num_samples: waveform length in samples (``dense``, ``wavegan``); for WaveGAN a
            multiple of 1,024: 4,096, 8,192 (1.024 s at 8 kHz, the kit's default clip) or
            16,384 (the paper's).
        num_frames: spectrogram frames (``specgan``: a multiple of 32; ``specgan1d``: of 16);
            64 = 8,192 samples at hop 128.
        num_bins: spectrogram frequency bins (``specgan``: a multiple of 32; ``specgan1d``:
            any); 128 = ``n_fft // 2`` at n_fft 256, or 64 mel bands.
        latent_dim: size of the noise vector z.
        model_dim: ``d``, the width multiplier (64 in the WaveGAN paper; 16 or 32 train on a
            CPU). Parameter counts grow as ``d^2``. For ``dense`` the hidden layers have
            ``4 d`` units.
        num_classes: number of labels to condition on (10 for digits), or 0 for an
            unconditional pair.
        label_dim: size of the generator's label embedding.
        conditioning: how the discriminator sees the label: ``"projection"`` or ``"concat"``.
        upsample: generator upsampling: ``"transpose"`` (transposed convolution, the
            papers'), ``"nearest"`` or ``"linear"`` (resize, then a stride-1 convolution:
            no checkerboard artefacts).
        batch_norm: batch normalisation after every hidden generator layer (the WaveGAN
            paper uses none). The discriminator never uses it: a gradient penalty needs
            examples scored independently.
        spectral_norm: spectral normalisation (Miyato et al. 2018) on every discriminator
            layer with a kernel (``keras.layers.SpectralNormalization``).
        phase_shuffle: WaveGAN discriminator phase-shuffle width ``n`` in samples (2 in the
            paper); 0 disables it. Ignored by the other architectures.
        kernel_size: convolution kernel; ``None`` means 25 (WaveGAN) or 5 (SpecGAN).
    """

    architecture: str = "wavegan"
    num_samples: int = 8192
    num_frames: int = 64
    num_bins: int = 128
    latent_dim: int = 100
    model_dim: int = 64
    num_classes: int = 0
    label_dim: int = 50
    conditioning: str = "projection"
    upsample: str = "transpose"
    batch_norm: bool = False
    spectral_norm: bool = False
    phase_shuffle: int = 2
    kernel_size: int | None = None

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {ARCHITECTURES}, got {self.architecture!r}."
            )
        if self.upsample not in _UPSAMPLE:
            raise ValueError(f"upsample must be one of {_UPSAMPLE}, got {self.upsample!r}.")
        if self.conditioning not in _CONDITIONING:
            raise ValueError(
                f"conditioning must be one of {_CONDITIONING}, got {self.conditioning!r}."
            )
        for name in ("latent_dim", "model_dim", "label_dim", "num_samples"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}.")
        if self.num_classes < 0 or self.num_classes == 1:
            raise ValueError(
                f"num_classes must be 0 (unconditional) or >= 2, got {self.num_classes}."
            )
        if self.phase_shuffle < 0:
            raise ValueError(f"phase_shuffle must be >= 0 samples, got {self.phase_shuffle}.")
        if self.kernel_size is not None and self.kernel_size < 1:
            raise ValueError(f"kernel_size must be positive or None, got {self.kernel_size}.")
        if self.architecture == "wavegan" and self.num_samples % 4**_NUM_STAGES:
            raise ValueError(
                f"WaveGAN needs num_samples divisible by {4**_NUM_STAGES} (5 stride-4 layers); "
                f"got {self.num_samples}. Use 4096, 8192 or 16384."
            )
        if self.architecture == "specgan1d" and self.num_frames % 16:
            raise ValueError(
                "specgan1d needs num_frames divisible by 16 (3 upsampling stages, 4 strided "
                f"discriminator layers); got {self.num_frames}. Use 64 (AudioConfig defaults)."
            )
        if self.architecture == "specgan" and (self.num_frames % 32 or self.num_bins % 32):
            raise ValueError(
                "SpecGAN needs num_frames and num_bins divisible by 32 (5 stride-2 layers); "
                f"got {self.num_frames} x {self.num_bins}. Use 64 x 128 (AudioConfig defaults)."
            )

    @property
    def conditional(self) -> bool:
        """Whether the models take a label input."""
        return self.num_classes > 0

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one generated example, without the batch axis."""
        if self.is_spectrogram:
            return (self.num_frames, self.num_bins, 1)
        return (self.num_samples, 1)

    @property
    def is_spectrogram(self) -> bool:
        """Whether the models make and judge spectrograms (``specgan``, ``specgan1d``)."""
        return self.architecture in ("specgan", "specgan1d")

    @property
    def kernel(self) -> int:
        """The convolution kernel size in use (25 for WaveGAN, 5 for SpecGAN by default)."""
        if self.kernel_size is not None:
            return self.kernel_size
        return 5 if self.is_spectrogram else 25


PRESETS: dict[str, ModelConfig] = {
    "dense": ModelConfig(architecture="dense", model_dim=64),
    "wavegan-paper": ModelConfig(architecture="wavegan", num_samples=16384, model_dim=64),
    "wavegan": ModelConfig(architecture="wavegan", num_samples=8192, model_dim=64),
    "wavegan-cpu": ModelConfig(architecture="wavegan", num_samples=8192, model_dim=16),
    "specgan": ModelConfig(architecture="specgan", model_dim=64),
    "specgan-cpu": ModelConfig(architecture="specgan", model_dim=16),
}
"""Named starting points; change one option with ``dataclasses.replace(PRESETS[n], ...)``."""


# --- building blocks ------------------------------------------------------------------------


def _inputs(config: ModelConfig, first: keras.KerasTensor) -> list[keras.KerasTensor]:
    if not config.conditional:
        return [first]
    return [first, keras.Input(shape=(), dtype="int32", name="label")]


def _model_inputs(inputs: list[keras.KerasTensor]) -> Any:
    """A single input stays a single tensor, so an unconditional model is called with z alone."""
    return inputs if len(inputs) > 1 else inputs[0]


def _noise_and_label(config: ModelConfig, inputs: list[keras.KerasTensor]) -> keras.KerasTensor:
    """The generator's input vector: noise, with the label embedding appended if conditional."""
    if not config.conditional:
        return inputs[0]
    embedding = layers.Embedding(config.num_classes, config.label_dim, name="label_embedding")
    return layers.Concatenate(name="noise_and_label")([inputs[0], embedding(inputs[1])])


def _maybe_batch_norm(config: ModelConfig, x: keras.KerasTensor, name: str) -> keras.KerasTensor:
    return layers.BatchNormalization(name=f"{name}_bn")(x) if config.batch_norm else x


def _sn(config: ModelConfig, layer: layers.Layer) -> layers.Layer:
    """Wrap a discriminator layer in spectral normalisation when the config asks for it."""
    if not config.spectral_norm:
        return layer
    return layers.SpectralNormalization(layer, name=f"{layer.name}_sn")


def _project(config: ModelConfig, inputs, shape: tuple[int, ...]) -> keras.KerasTensor:
    """Every generator's stem: noise (+ label) -> dense -> ``[batch, *shape]`` -> (BN) -> ReLU."""
    x = _noise_and_label(config, inputs)
    x = layers.Dense(math.prod(shape), name="project")(x)
    x = layers.Reshape(shape, name="project_reshape")(x)
    x = _maybe_batch_norm(config, x, "project")
    return layers.ReLU(name="project_relu")(x)


def _upsample_1d(config: ModelConfig, x, filters: int, stride: int, name: str):
    if config.upsample == "transpose":
        return layers.Conv1DTranspose(
            filters, config.kernel, strides=stride, padding="same", name=name
        )(x)
    if config.upsample == "nearest":
        x = layers.UpSampling1D(stride, name=f"{name}_up")(x)
    else:  # linear: bilinear resize of a [length, 1] image is linear interpolation in time
        length, channels = x.shape[1], x.shape[2]
        x = layers.Reshape((length, 1, channels), name=f"{name}_to2d")(x)
        x = layers.UpSampling2D((stride, 1), interpolation="bilinear", name=f"{name}_up")(x)
        x = layers.Reshape((length * stride, channels), name=f"{name}_to1d")(x)
    return layers.Conv1D(filters, config.kernel, padding="same", name=name)(x)


def _upsample_2d(config: ModelConfig, x, filters: int, stride: int, name: str):
    if config.upsample == "transpose":
        return layers.Conv2DTranspose(
            filters, config.kernel, strides=stride, padding="same", name=name
        )(x)
    interpolation = "nearest" if config.upsample == "nearest" else "bilinear"
    x = layers.UpSampling2D(stride, interpolation=interpolation, name=f"{name}_up")(x)
    return layers.Conv2D(filters, config.kernel, padding="same", name=name)(x)


def _logit_head(config: ModelConfig, features, inputs):
    """Flattened features -> one logit, plus the projection term when conditional."""
    features = layers.Flatten(name="flatten")(features)
    logit = _sn(config, layers.Dense(1, name="logit_dense"))(features)
    if config.conditional and config.conditioning == "projection":
        embedded = layers.Embedding(config.num_classes, features.shape[-1], name="label_projection")(
            inputs[1]
        )
        projection = layers.Dot(axes=1, name="projection")([embedded, features])
        logit = layers.Add(name="logit")([logit, projection])
    return logit


def _discriminator_input(config: ModelConfig, inputs):
    if config.conditional and config.conditioning == "concat":
        return LabelChannels(config.num_classes, name="label_channels")(inputs)
    return inputs[0]


# --- generators -----------------------------------------------------------------------------


def _dense_generator(config: ModelConfig, inputs) -> keras.KerasTensor:
    hidden = 4 * config.model_dim
    x = _noise_and_label(config, inputs)
    for i in (1, 2):
        x = layers.Dense(hidden, name=f"dense{i}")(x)
        x = _maybe_batch_norm(config, x, f"dense{i}")
        x = layers.LeakyReLU(0.2, name=f"dense{i}_lrelu")(x)
    x = layers.Dense(config.num_samples, activation="tanh", name="waveform_dense")(x)
    return layers.Reshape((config.num_samples, 1), name="waveform")(x)


def _wavegan_generator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d = config.model_dim
    x = _project(config, inputs, (config.num_samples // 4**_NUM_STAGES, 16 * d))
    channels = [8 * d, 4 * d, 2 * d, d, 1]
    for i, filters in enumerate(channels, start=1):
        x = _upsample_1d(config, x, filters, 4, name=f"upconv{i}")
        if i < len(channels):
            x = _maybe_batch_norm(config, x, f"upconv{i}")
            x = layers.ReLU(name=f"upconv{i}_relu")(x)
    return layers.Activation("tanh", name="waveform")(x)


def _specgan_generator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d = config.model_dim
    x = _project(config, inputs, (config.num_frames // 32, config.num_bins // 32, 16 * d))
    channels = [8 * d, 4 * d, 2 * d, d, 1]
    for i, filters in enumerate(channels, start=1):
        x = _upsample_2d(config, x, filters, 2, name=f"upconv{i}")
        if i < len(channels):
            x = _maybe_batch_norm(config, x, f"upconv{i}")
            x = layers.ReLU(name=f"upconv{i}_relu")(x)
    return layers.Activation("tanh", name="spectrogram")(x)


def _specgan1d_generator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d = config.model_dim
    x = _project(config, inputs, (config.num_frames // 2**_NUM_STAGES_1D, 16 * d))
    for i, filters in enumerate([8 * d, 4 * d, 2 * d], start=1):
        x = _upsample_1d(config, x, filters, 2, name=f"upconv{i}")
        x = _maybe_batch_norm(config, x, f"upconv{i}")
        x = layers.ReLU(name=f"upconv{i}_relu")(x)
    x = layers.Conv1D(config.num_bins, config.kernel, padding="same", name="to_bins")(x)
    x = layers.Activation("tanh", name="tanh")(x)
    return layers.Reshape(config.sample_shape, name="spectrogram")(x)


def build_generator(config: ModelConfig) -> keras.Model:
    """The generator described by ``config``, a functional ``keras.Model``.

    Inputs: ``noise`` float32 ``[batch, latent_dim]`` (+ ``label`` int32 ``[batch]`` when
    ``config.num_classes > 0``). Output: float32 ``[batch, *config.sample_shape]`` in
    [-1, 1]: a waveform ``[batch, num_samples, 1]`` or a spectrogram
    ``[batch, num_frames, num_bins, 1]``.
    """
    noise = keras.Input(shape=(config.latent_dim,), name="noise")
    inputs = _inputs(config, noise)
    builder = {
        "dense": _dense_generator,
        "wavegan": _wavegan_generator,
        "specgan": _specgan_generator,
        "specgan1d": _specgan1d_generator,
    }[config.architecture]
    outputs = builder(config, inputs)
    model = keras.Model(_model_inputs(inputs), outputs, name=f"{config.architecture}_generator")
    if tuple(model.output_shape[1:]) != config.sample_shape:
        raise ValueError(
            f"internal error: {model.name} outputs {model.output_shape}, expected "
            f"(None, *{config.sample_shape}); please report this with the config {config}."
        )
    return model


# --- discriminators -------------------------------------------------------------------------


def _dense_discriminator(config: ModelConfig, inputs) -> keras.KerasTensor:
    hidden = 4 * config.model_dim
    x = layers.Flatten(name="waveform_flat")(inputs[0])
    if config.conditional and config.conditioning == "concat":
        x = LabelChannels(config.num_classes, name="label_channels")([x, inputs[1]])
    for i in (1, 2):
        x = _sn(config, layers.Dense(hidden, name=f"dense{i}"))(x)
        x = layers.LeakyReLU(0.2, name=f"dense{i}_lrelu")(x)
    return _logit_head(config, x, inputs)


def _wavegan_discriminator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d = config.model_dim
    x = _discriminator_input(config, inputs)
    channels = [d, 2 * d, 4 * d, 8 * d, 16 * d]
    for i, filters in enumerate(channels, start=1):
        conv = layers.Conv1D(filters, config.kernel, strides=4, padding="same", name=f"conv{i}")
        x = _sn(config, conv)(x)
        x = layers.LeakyReLU(0.2, name=f"conv{i}_lrelu")(x)
        if i < len(channels) and config.phase_shuffle:
            x = PhaseShuffle(config.phase_shuffle, name=f"conv{i}_phase_shuffle")(x)
    return _logit_head(config, x, inputs)


def _specgan_discriminator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d = config.model_dim
    x = _discriminator_input(config, inputs)
    for i, filters in enumerate([d, 2 * d, 4 * d, 8 * d, 16 * d], start=1):
        conv = layers.Conv2D(filters, config.kernel, strides=2, padding="same", name=f"conv{i}")
        x = _sn(config, conv)(x)
        x = layers.LeakyReLU(0.2, name=f"conv{i}_lrelu")(x)
    return _logit_head(config, x, inputs)


def _specgan1d_discriminator(config: ModelConfig, inputs) -> keras.KerasTensor:
    d = config.model_dim
    x = layers.Reshape((config.num_frames, config.num_bins), name="frames")(inputs[0])
    if config.conditional and config.conditioning == "concat":
        x = LabelChannels(config.num_classes, name="label_channels")([x, inputs[1]])
    for i, filters in enumerate([2 * d, 4 * d, 8 * d, 16 * d], start=1):
        conv = layers.Conv1D(filters, config.kernel, strides=2, padding="same", name=f"conv{i}")
        x = _sn(config, conv)(x)
        x = layers.LeakyReLU(0.2, name=f"conv{i}_lrelu")(x)
    return _logit_head(config, x, inputs)


def build_discriminator(config: ModelConfig) -> keras.Model:
    """The discriminator (critic) described by ``config``, a functional ``keras.Model``.

    Inputs: a sample float32 ``[batch, *config.sample_shape]`` named ``waveform`` or
    ``spectrogram`` (+ ``label`` int32 ``[batch]`` when conditional). Output: one raw
    logit per example, float32 ``[batch, 1]``. Phase shuffle is active only in
    ``training=True`` calls.
    """
    name = "spectrogram" if config.is_spectrogram else "waveform"
    sample = keras.Input(shape=config.sample_shape, name=name)
    inputs = _inputs(config, sample)
    builder = {
        "dense": _dense_discriminator,
        "wavegan": _wavegan_discriminator,
        "specgan": _specgan_discriminator,
        "specgan1d": _specgan1d_discriminator,
    }[config.architecture]
    outputs = builder(config, inputs)
    return keras.Model(_model_inputs(inputs), outputs, name=f"{config.architecture}_discriminator")


# --- saving ---------------------------------------------------------------------------------


def save_model(model: keras.Model, path: str | Path) -> Path:
    """Save ``model`` (architecture + weights) to a ``.keras`` file and return its path.

    Raises:
        ValueError: if ``path`` does not end in ``.keras``.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"model files use the .keras format; got {path}, rename it to *.keras.")
    model.save(path)
    return path


def load_model(path: str | Path) -> keras.Model:
    """Load a model written by :func:`save_model`, with ``safe_mode=True``.

    The kit's custom layers are registered by importing this module, so no
    ``custom_objects`` are needed, and no arbitrary code (``Lambda`` layers) is executed.

    Raises:
        ValueError: if the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no model file at {path}; save one with audiogan_kit.models.save_model.")
    return keras.saving.load_model(path, safe_mode=True, compile=False)


def parameter_count(model: keras.Model) -> int:
    """Number of trainable parameters (scalars) of ``model``."""
    return int(sum(math.prod(w.shape) for w in model.trainable_weights))


def layer_table(model: keras.Model) -> list[dict[str, Any]]:
    """One row per layer of a functional model, for walking its shapes.

    Returns:
        A list of dicts with keys ``"name"``, ``"type"`` (the class name; a spectral-norm
        wrapper reads ``"SpectralNormalization(Conv1D)"``), ``"output_shape"`` (a tuple,
        ``None`` for the batch axis) and ``"parameters"`` (trainable scalars).
    """
    rows = []
    for layer in model.layers:
        kind = type(layer).__name__
        if isinstance(layer, layers.SpectralNormalization):
            kind = f"{kind}({type(layer.layer).__name__})"
        output = layer.output
        shape = tuple(output.shape) if not isinstance(output, list | tuple) else None
        rows.append(
            {
                "name": layer.name,
                "type": kind,
                "output_shape": shape,
                "parameters": int(sum(math.prod(w.shape) for w in layer.trainable_weights)),
            }
        )
    return rows


def receptive_field(model: keras.Model) -> tuple[int, ...]:
    """Receptive field of the last strided convolution of a convolutional discriminator.

    How many input samples (WaveGAN: ``(samples,)``) or frames x bins (SpecGAN:
    ``(frames, bins)``) one output position of the last ``Conv1D``/``Conv2D`` layer depends
    on: ``1 + sum_l (kernel_l - 1) * prod_{m < l} stride_m``, per axis. For WaveGAN's five
    layers of kernel 25 and stride 4 that is 1 + 24 * 341 = 8,185 samples (1.02 s at 8 kHz).

    Raises:
        ValueError: if the model has no Conv1D/Conv2D layer (the dense baseline, whose
            every unit sees the whole clip, or a generator).
    """
    field: list[int] | None = None
    jump: list[int] | None = None
    for layer in model.layers:
        conv = layer.layer if isinstance(layer, layers.SpectralNormalization) else layer
        if type(conv) not in (layers.Conv1D, layers.Conv2D):
            continue
        kernel, strides = tuple(conv.kernel_size), tuple(conv.strides)
        if field is None:
            field, jump = [1] * len(kernel), [1] * len(kernel)
        for axis, (k, s) in enumerate(zip(kernel, strides, strict=True)):
            field[axis] += (k - 1) * jump[axis]
            jump[axis] *= s
    if field is None:
        raise ValueError(
            f"{model.name} has no Conv1D/Conv2D layer; the receptive field is defined for the "
            "convolutional discriminators (wavegan, specgan)."
        )
    return tuple(field)
