"""Speech enhancement: classical baselines, SEGAN's generator and pair discriminator, enhance().

Introduced in notebooks/06_enhancement.ipynb.

SEGAN (Pascual, Bonafonte & Serrà, Interspeech 2017) maps noisy speech to clean speech with a
1-D convolutional encoder-decoder whose decoder layers receive the matching encoder layer's
output (skip connections, as in U-Net), and judges (noisy, candidate) pairs with a
discriminator; the generator is trained with a least-squares adversarial loss plus 100 times
the L1 distance to the clean clip. This module holds everything but the training loop:

1. classical baselines that need no training (:func:`spectral_subtraction`,
   :func:`wiener_filter`), so that a learned enhancer is compared with something honest;
2. :class:`EnhancerConfig` and its :data:`ENHANCER_PRESETS` (a quick CPU size and the
   paper's size), :func:`build_enhancer_generator`, :func:`build_pair_discriminator`, the
   latent layer :class:`LatentNoise`, and saving/loading;
3. :func:`enhance`: any clip at any sample rate, through a generator that takes fixed-length
   windows, by Hann-window overlap-add;
4. training with the kit's trainer: :class:`EnhancerTrainConfig` (and
   :data:`ENHANCER_TRAIN_PRESETS`), :func:`l1_loss`, :func:`spectral_loss` (multi-resolution
   log-magnitude STFT L1, which the quick preset adds for PESQ's sake),
   :class:`EnhancementGAN` (the LSGAN pair update plus the reconstruction terms;
   ``adversarial_weight=0`` trains the same generator without the adversarial term),
   :class:`EnhancerTrainer` (a :class:`~audiogan_kit.training.Trainer` whose data are
   (noisy, clean) pairs: same checkpoints, history, callbacks and divergence guard),
   :func:`train_enhancer` and :func:`load_enhancer_run`;
5. comparing enhancers on held-out pairs: :func:`pick_per_condition`, :func:`generator_enhancer`,
   :func:`score_enhancers`, :func:`scores_by`, :func:`mean_gain`.

Shapes: waveforms are float32 ``[samples]`` in [-1, 1] at ``sample_rate`` Hz for the
baselines and :func:`enhance`; the models take channels-last batches ``[batch, samples, 1]``
(time before channels).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import keras
import numpy as np
from keras import layers, ops

from .config import DEFAULT_CONFIG, AudioConfig, from_dict, load_config, save_config, to_dict
from .models import _UPSAMPLE, _upsample_1d, load_model, save_model
from .training import (
    GAN,
    Trainer,
    _batch_indices,
    _check_batch_size,
    _check_optimizer_fields,
    _compile_with_adam,
    dtype_policy,
    load_latest_checkpoint,
)

__all__ = [
    "BASELINES",
    "ENHANCER_PRESETS",
    "ENHANCER_TRAIN_PRESETS",
    "EnhancementGAN",
    "EnhancerConfig",
    "EnhancerTrainConfig",
    "EnhancerTrainer",
    "LatentNoise",
    "build_enhancement_gan",
    "build_enhancer_generator",
    "build_pair_discriminator",
    "enhance",
    "generator_enhancer",
    "l1_loss",
    "load_enhancer",
    "load_enhancer_run",
    "mean_gain",
    "pick_per_condition",
    "save_enhancer",
    "score_enhancers",
    "scores_by",
    "spectral_loss",
    "spectral_subtraction",
    "train_enhancer",
    "wiener_filter",
]


# ---------------------------------------------------------------------------------------------
# 1. Classical baselines
# ---------------------------------------------------------------------------------------------


def _default_n_fft(sample_rate: int) -> int:
    """The power of two closest to 32 ms: 256 at 8 kHz, 512 at 16 kHz."""
    return int(2 ** round(math.log2(0.032 * sample_rate)))


def _rows(noisy: Any) -> tuple[np.ndarray, bool]:
    audio = np.asarray(noisy, dtype=np.float32)
    if audio.ndim == 2 and audio.shape[-1] == 1 and audio.shape[0] > 1:
        audio = audio[:, 0]
    if audio.ndim == 1:
        return audio[None, :], True
    if audio.ndim == 2:
        return audio, False
    raise ValueError(f"expected audio [samples] or [clips, samples], got shape {audio.shape}.")


def _noise_power(
    power: np.ndarray, hop_length: int, sample_rate: int,
    noise_fraction: float, noise_lead_in_s: float | None,
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
    noisy: Any, sample_rate: int, n_fft: int | None, hop_length: int | None,
    gain_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    noise_fraction: float, noise_lead_in_s: float | None,
) -> np.ndarray:
    import librosa

    rows, single = _rows(noisy)
    n_fft = n_fft or _default_n_fft(sample_rate)
    hop_length = hop_length or n_fft // 4
    out = np.empty_like(rows)
    for i, row in enumerate(rows):
        spectrum = librosa.stft(row, n_fft=n_fft, hop_length=hop_length, window="hann")
        power = np.abs(spectrum) ** 2
        noise = _noise_power(power, hop_length, sample_rate, noise_fraction, noise_lead_in_s)
        gain = gain_fn(power, noise)
        out[i] = librosa.istft(
            gain * spectrum, hop_length=hop_length, window="hann", n_fft=n_fft,
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
        noisy: float [samples] or [clips, samples] at ``sample_rate`` Hz (clips are
            processed one by one, each with its own noise estimate).

    Returns:
        float32, the shape of ``noisy``.
    """

    def gain(power: np.ndarray, noise: np.ndarray) -> np.ndarray:
        estimate = np.maximum(power - over_subtraction * noise, floor * power)
        return np.sqrt(estimate / np.maximum(power, 1e-12))

    return _stft_rows(noisy, sample_rate, n_fft, hop_length, gain, noise_fraction, noise_lead_in_s)


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

    return _stft_rows(noisy, sample_rate, n_fft, hop_length, gain, noise_fraction, noise_lead_in_s)


#: The baselines by name, each ``fn(noisy [samples] or [clips, samples], sample_rate)``.
BASELINES: dict[str, Callable[..., np.ndarray]] = {
    "spectral_subtraction": spectral_subtraction,
    "wiener": wiener_filter,
}


# ---------------------------------------------------------------------------------------------
# 2. SEGAN models
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EnhancerConfig:
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
            interpolate, then a stride-1 convolution, as in
            :func:`audiogan_kit.models.build_generator`). Transposed convolutions start out
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
        if self.upsample not in _UPSAMPLE:
            raise ValueError(f"upsample must be one of {_UPSAMPLE}, got {self.upsample!r}.")
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


@keras.saving.register_keras_serializable(package="audiogan_kit")
class LatentNoise(layers.Layer):
    """Concatenate SEGAN's latent z, ``channels`` standard-normal channels, to the input.

    In ``training=True`` calls z is drawn afresh (its own ``keras.random.SeedGenerator``);
    at inference it is 0, the mean of z, unless ``sample_at_inference``, so that
    :func:`enhance` is deterministic. (SEGAN samples z at test time too; its authors and
    later work found the generator learns to largely ignore it.)

    Input: float ``[batch, steps, features]``. Output: ``[batch, steps, features + channels]``.
    """

    def __init__(
        self, channels: int, seed: int | None = None, sample_at_inference: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if channels < 1:
            raise ValueError(f"LatentNoise needs channels >= 1, got {channels}.")
        self.channels = int(channels)
        self.seed = seed
        self.sample_at_inference = bool(sample_at_inference)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        shape = (ops.shape(inputs)[0], inputs.shape[1], self.channels)
        if training or self.sample_at_inference:
            z = keras.random.normal(shape, seed=self.seed_generator, dtype=inputs.dtype)
        else:
            z = ops.zeros(shape, dtype=inputs.dtype)
        return ops.concatenate([inputs, z], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], input_shape[-1] + self.channels)

    def get_config(self):
        return {
            **super().get_config(),
            "channels": self.channels,
            "seed": self.seed,
            "sample_at_inference": self.sample_at_inference,
        }


class _Upsampling(NamedTuple):
    """The two fields of a ModelConfig that :func:`audiogan_kit.models._upsample_1d` reads."""

    upsample: str
    kernel: int


def build_enhancer_generator(config: EnhancerConfig = ENHANCER_PRESETS["segan-cpu"]) -> keras.Model:
    """SEGAN's generator: a 1-D convolutional encoder-decoder with skip connections.

    Encoder: ``len(encoder_channels)`` convolutions of ``kernel_size`` and stride 2, each
    followed by a PReLU (one slope per channel), halving the length each time. Bottleneck:
    z (:class:`LatentNoise`) is concatenated on the channel axis. Decoder: as many
    upsampling layers (``config.upsample``: transposed convolutions of stride 2, or
    resize + convolution), each doubling the length; after every one but the
    last a PReLU, then the output of the encoder layer of the same length is concatenated
    (skip connection). The last layer has one channel and a tanh; with ``config.residual``
    that is an estimate of the noise, subtracted from the input, and the last layer starts
    at zero, so that the untrained generator returns its input exactly (measured: a random
    start costs about 0.1 PESQ for the first hundred updates).

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
    upsampling = _Upsampling(config.upsample, k)
    for i, channels in enumerate(decoder_channels, start=1):
        x = _upsample_1d(upsampling, x, channels, 2, name=f"dec{i}")
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
        x = layers.Conv1D(filters, config.kernel_size, strides=2, padding="same", name=f"conv{i}")(x)
        if config.discriminator_batch_norm:
            x = layers.BatchNormalization(name=f"conv{i}_bn")(x)
        x = layers.LeakyReLU(config.leaky_slope, name=f"conv{i}_lrelu")(x)
    x = layers.Conv1D(1, 1, name="squeeze")(x)
    x = layers.LeakyReLU(config.leaky_slope, name="squeeze_lrelu")(x)
    x = layers.Flatten(name="flatten")(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model([noisy, candidate], logit, name="segan_discriminator")


def save_enhancer(model: keras.Model, path: str | Path) -> Path:
    """Save an enhancer model to a ``.keras`` file (see :func:`audiogan_kit.models.save_model`)."""
    return save_model(model, path)


def load_enhancer(path: str | Path) -> keras.Model:
    """Load a model saved by :func:`save_enhancer`, with ``safe_mode=True``.

    Importing this module registers :class:`LatentNoise`, so no ``custom_objects`` are needed.
    """
    return load_model(path)


# ---------------------------------------------------------------------------------------------
# 3. enhance(): any clip through a fixed-window generator
# ---------------------------------------------------------------------------------------------


def _run_generator(generator: Any, frames: np.ndarray, batch_size: int) -> np.ndarray:
    outputs = []
    for start in range(0, frames.shape[0], batch_size):
        batch = frames[start : start + batch_size]
        if isinstance(generator, keras.Model):
            result = generator(batch, training=False)
        else:
            result = generator(batch)
        result = np.asarray(ops.convert_to_numpy(result), dtype=np.float32)
        if result.shape != batch.shape:
            raise ValueError(
                f"the generator must map [batch, window, 1] to the same shape; it returned "
                f"{result.shape} for {batch.shape}."
            )
        outputs.append(result)
    return np.concatenate(outputs, axis=0)


def enhance(
    audio: Any,
    sample_rate: int,
    generator: keras.Model | Callable[[np.ndarray], Any] | str | Path,
    *,
    window: int | None = None,
    hop: int | None = None,
    model_sample_rate: int = 8000,
    batch_size: int = 16,
) -> np.ndarray:
    """Enhance a clip of any length and rate with a generator that takes fixed windows.

    Steps: resample to ``model_sample_rate`` if ``sample_rate`` differs (soxr) -> pad
    ``window - hop`` zeros in front and at least as many at the end -> cut windows of ``window``
    samples every ``hop`` -> run the generator on batches of ``[batch, window, 1]`` ->
    overlap-add the outputs, each weighted by a periodic Hann window, divided by the summed
    weights (so a generator that returns its input gives the input back up to rounding;
    at the default 50 % overlap the Hann weights already sum to 1) -> crop -> resample back.

    Args:
        audio: float [samples] (or [samples, 1]) in [-1, 1] at ``sample_rate`` Hz.
        sample_rate: rate of ``audio`` in Hz.
        generator: a Keras model (called with ``training=False``), any callable mapping
            float32 ``[batch, window, 1]`` to the same shape, or the path of a ``.keras``
            file (:func:`load_enhancer`).
        window: window length in samples at ``model_sample_rate``; ``None`` takes the
            model's input length (8,192 for the CPU preset).
        hop: samples between windows; ``None`` means ``window // 2``.
        model_sample_rate: the rate in Hz the generator was trained at.
        batch_size: windows per generator call.

    Returns:
        float32 [samples] at ``sample_rate``, the length of ``audio``.
    """
    if isinstance(generator, str | Path):
        generator = load_enhancer(generator)
    clip = np.asarray(audio, dtype=np.float32)
    if clip.ndim == 2 and clip.shape[-1] == 1:
        clip = clip[:, 0]
    if clip.ndim != 1 or clip.shape[0] == 0:
        raise ValueError(f"audio must be a non-empty waveform [samples], got shape {clip.shape}.")
    if window is None:
        shape = getattr(generator, "input_shape", None)
        if not shape or shape[1] is None:
            raise ValueError(
                "window=None needs a Keras generator with a fixed input length; pass window= "
                "(samples at model_sample_rate)."
            )
        window = int(shape[1])
    hop = window // 2 if hop is None else int(hop)
    if not 0 < hop <= window:
        raise ValueError(f"need 0 < hop <= window, got hop={hop}, window={window}.")
    length = clip.shape[0]
    if sample_rate != model_sample_rate:
        import librosa

        clip = librosa.resample(
            clip, orig_sr=sample_rate, target_sr=model_sample_rate, res_type="soxr_hq"
        ).astype(np.float32)
    samples = clip.shape[0]
    lead = window - hop
    # ``lead`` zeros at both ends: every sample of the clip lies where the windows overlap.
    count = max(1, math.ceil((samples + 2 * lead - window) / hop) + 1)
    total = (count - 1) * hop + window
    padded = np.zeros(total, dtype=np.float32)
    padded[lead : lead + samples] = clip
    index = np.arange(count)[:, None] * hop + np.arange(window)[None, :]
    frames = padded[index][..., None]
    outputs = _run_generator(generator, frames, batch_size)[..., 0]
    weights = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)).astype(np.float32)
    if hop == window:
        weights = np.ones(window, dtype=np.float32)
    summed = np.zeros(total, dtype=np.float64)
    norm = np.zeros(total, dtype=np.float64)
    for k, output in enumerate(outputs):
        summed[k * hop : k * hop + window] += output * weights
        norm[k * hop : k * hop + window] += weights
    result = (summed / np.maximum(norm, 1e-8))[lead : lead + samples].astype(np.float32)
    if sample_rate != model_sample_rate:
        import librosa

        result = librosa.resample(
            result, orig_sr=model_sample_rate, target_sr=sample_rate, res_type="soxr_hq"
        )
        result = np.asarray(result, dtype=np.float32)[:length]
        if result.shape[0] < length:
            result = np.pad(result, (0, length - result.shape[0]))
    return result


# ---------------------------------------------------------------------------------------------
# 4. Training SEGAN with the kit's trainer
# ---------------------------------------------------------------------------------------------


def l1_loss(clean: Any, enhanced: Any, weight: float = 100.0) -> Any:
    """SEGAN's reconstruction term: ``weight * mean(|enhanced - clean|)``.

    Args:
        clean, enhanced: float32 ``[batch, samples, 1]`` in [-1, 1].
        weight: lambda (100 in SEGAN), so that the term outweighs the adversarial one.

    Returns:
        A float32 scalar tensor.
    """
    clean = ops.cast(clean, "float32")
    enhanced = ops.cast(enhanced, "float32")
    return weight * ops.mean(ops.abs(enhanced - clean))


def spectral_loss(
    clean: Any,
    enhanced: Any,
    audio: AudioConfig = DEFAULT_CONFIG,
    fft_sizes: tuple[int, ...] = (128, 256, 512),
    weight: float = 1.0,
    floor: float = 1e-3,
) -> Any:
    """Multi-resolution log-magnitude STFT distance: a perceptual term for the generator.

    ``weight * mean_n mean |log(|STFT_n(enhanced)| + floor) - log(|STFT_n(clean)| + floor)|``
    over the STFT sizes ``n`` in ``fft_sizes`` (Hann window of ``n`` samples, hop ``n // 4``,
    :func:`audiogan_kit.features.stft_magnitude`): 128, 256 and 512 samples are 16, 32 and
    64 ms at 8 kHz, so the term sees both clicks and harmonics. A waveform L1 alone lets
    the generator lose quiet high-frequency speech and leave buzzing artefacts that cost
    little in sample error but much in PESQ; the log scale weighs quiet bins like loud ones.

    Args:
        clean, enhanced: float32 ``[batch, samples, 1]`` (or ``[batch, samples]``) in
            [-1, 1], ``samples == audio.num_samples``.
        audio: the clips' :class:`~audiogan_kit.config.AudioConfig` (its ``n_fft`` and
            ``hop_length`` are replaced by each size).
        fft_sizes: STFT sizes in samples, each at most ``audio.num_samples``.
        weight: the term's weight in the generator loss.
        floor: amplitude added before the log; with the Hann window a full-scale sine peaks
            at about ``n / 4``, so 1e-3 is about 90 dB below full scale and near-silent bins
            do not dominate.

    Returns:
        A float32 scalar tensor (0 when ``enhanced == clean``).
    """
    from .features import stft_magnitude

    if not fft_sizes or max(fft_sizes) > audio.num_samples:
        raise ValueError(
            f"spectral_loss: STFT sizes {tuple(fft_sizes)} must be non-empty and at most the "
            f"clip length ({audio.num_samples} samples); drop the larger sizes."
        )
    clean = ops.cast(clean, "float32")
    enhanced = ops.cast(enhanced, "float32")
    total = ops.zeros((), "float32")
    for size in fft_sizes:
        config = dataclasses.replace(audio, n_fft=int(size), hop_length=int(size) // 4)
        target = ops.log(stft_magnitude(clean, config) + floor)
        estimate = ops.log(stft_magnitude(enhanced, config) + floor)
        total = total + ops.mean(ops.abs(estimate - target))
    return weight * total / len(fft_sizes)


@dataclasses.dataclass(frozen=True)
class EnhancerTrainConfig:
    """Everything that defines an enhancer training run; frozen, saved with every checkpoint.

    Attributes:
        model: the generator/discriminator sizes (:class:`EnhancerConfig`);
            ``model.num_samples`` must equal ``audio.num_samples`` (whole clips are windows).
        audio: the audio config of the (noisy, clean) pairs.
        l1_weight: weight of :func:`l1_loss` in the generator's loss (100 in SEGAN).
        adversarial_weight: weight of the least-squares adversarial term; 0 trains the
            generator with L1 alone and never updates the discriminator (the "L1-only"
            baseline that shows what the adversarial term adds).
        spectral_weight: weight of :func:`spectral_loss` (multi-resolution log-magnitude
            STFT L1) in the generator's loss; 0 = SEGAN's loss. The quick preset uses 10:
            with the waveform L1 alone the learned enhancers lowered PESQ below the noisy
            input's while raising SI-SDR (see ``ENHANCER_TRAIN_PRESETS``).
        spectral_fft_sizes: the STFT sizes in samples of :func:`spectral_loss`, each from 16
            to ``audio.num_samples``.
        g_learning_rate, d_learning_rate: Adam learning rates (SEGAN: 2e-4, RMSprop).
        beta_1, beta_2: Adam moment decays.
        batch_size: pairs per update.
        num_steps: updates (one discriminator and one generator update each).
        seed: seeds the weights, z and the data order.
        checkpoint_every, keep_checkpoints, sample_every, log_every: as in
            :class:`~audiogan_kit.training.TrainConfig` (steps).
        num_eval_samples: fixed clips enhanced at every ``sample_every`` steps.
        jit_compile: XLA for the TensorFlow step; ``None`` = on with a GPU only.
        precision: ``"float32"``, ``"mixed_bfloat16"`` or ``"mixed_float16"`` (with loss
            scaling), as in :class:`~audiogan_kit.training.TrainConfig`; for a GPU.
    """

    model: EnhancerConfig = dataclasses.field(
        default_factory=lambda: ENHANCER_PRESETS["segan-cpu"]
    )
    audio: AudioConfig = dataclasses.field(default_factory=AudioConfig)
    l1_weight: float = 100.0
    adversarial_weight: float = 1.0
    spectral_weight: float = 0.0
    spectral_fft_sizes: tuple[int, ...] = (128, 256, 512)
    g_learning_rate: float = 2e-4
    d_learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    batch_size: int = 16
    num_steps: int = 1000
    seed: int = 0
    checkpoint_every: int = 250
    keep_checkpoints: int = 2
    sample_every: int = 250
    log_every: int = 10
    num_eval_samples: int = 4
    jit_compile: bool | None = None
    precision: str = "float32"

    def __post_init__(self) -> None:
        if isinstance(self.model, dict):
            object.__setattr__(self, "model", from_dict(EnhancerConfig, self.model))
        if isinstance(self.audio, dict):
            object.__setattr__(self, "audio", from_dict(AudioConfig, self.audio))
        object.__setattr__(
            self, "spectral_fft_sizes", tuple(int(n) for n in self.spectral_fft_sizes)
        )
        _check_optimizer_fields(self)
        weights = (self.l1_weight, self.adversarial_weight, self.spectral_weight)
        if min(weights) < 0:
            raise ValueError(
                "l1_weight, adversarial_weight and spectral_weight must be >= 0, got "
                f"{self.l1_weight}, {self.adversarial_weight} and {self.spectral_weight}."
            )
        if max(weights) == 0:
            raise ValueError(
                "l1_weight, adversarial_weight and spectral_weight are all 0: nothing to train."
            )
        sizes = self.spectral_fft_sizes
        if self.spectral_weight > 0 and (
            not sizes or min(sizes) < 16 or max(sizes) > self.audio.num_samples
        ):
            raise ValueError(
                f"spectral_fft_sizes={sizes}: give one or more STFT sizes between 16 samples "
                f"and the clip length ({self.audio.num_samples}), e.g. (128, 256, 512)."
            )
        if self.model.num_samples != self.audio.num_samples:
            raise ValueError(
                f"the enhancer takes windows of {self.model.num_samples} samples but the audio "
                f"config has num_samples={self.audio.num_samples}; make them equal."
            )
        if self.model.sample_rate != self.audio.sample_rate:
            raise ValueError(
                f"the enhancer runs at {self.model.sample_rate} Hz but the audio is at "
                f"{self.audio.sample_rate} Hz; make them equal."
            )

    @property
    def l1_only(self) -> bool:
        """True when the adversarial term is off (no discriminator update)."""
        return self.adversarial_weight == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (nested configs as dicts); what checkpoints store as ``config``."""
        return to_dict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> EnhancerTrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        return from_dict(cls, values)

    def save(self, path: str | Path) -> Path:
        """Write the config as JSON (``config.json`` of a run)."""
        return save_config(self, path)

    @classmethod
    def load(cls, path: str | Path) -> EnhancerTrainConfig:
        return load_config(cls, path)


ENHANCER_TRAIN_PRESETS: dict[str, EnhancerTrainConfig] = {
    # SEGAN on a laptop CPU in about 6 minutes (0.8-1 update/s on one core): the CPU-sized
    # generator, residual (its zeroed last layer makes it start as the identity), kernel 16
    # (a multiple of the stride: evenly overlapping transposed convolutions), Adam 5e-4,
    # plus the multi-resolution log-spectral term (weight 10). Measured on 45 held-out 0-10 dB
    # pairs after 240 updates, PESQ gain over the noisy input: -0.39 with L1 + adversarial
    # only (kernel 15, random last layer), -0.25 with the spectral term, +0.06 with all of
    # the above; more updates (or batch 4 at 3 updates/s) did not go beyond +0.07. The
    # Wiener filter gains +0.47: see benchmarks/results/enhancement.json.
    "quick": EnhancerTrainConfig(
        model=dataclasses.replace(ENHANCER_PRESETS["segan-cpu"], residual=True, kernel_size=16),
        spectral_weight=10.0, batch_size=16, num_steps=300, g_learning_rate=5e-4,
        d_learning_rate=5e-4, checkpoint_every=150, sample_every=150,
    ),
    # The paper's sizes and settings (batch 400 in SEGAN; 100 on one GPU here), for a GPU.
    "paper": EnhancerTrainConfig(
        model=ENHANCER_PRESETS["segan"], batch_size=100, num_steps=20_000,
        g_learning_rate=2e-4, d_learning_rate=2e-4, checkpoint_every=1000, sample_every=1000,
        log_every=50,
    ),
}
"""Named runs; ``dataclasses.replace(ENHANCER_TRAIN_PRESETS["quick"], adversarial_weight=0)``
is the L1-only baseline."""


class EnhancementGAN(GAN):
    """SEGAN as a :class:`~audiogan_kit.training.GAN`: same optimizers, checkpoint state and
    step contract, with a conditional (pair) update.

    ``train_step(data)`` takes ``(noisy, clean)``, each float32 ``[batch, samples, 1]`` in
    [-1, 1]. With ``e = G(noisy)``:

    - discriminator (skipped when ``adversarial_weight == 0``): least squares,
      ``L_D = 1/2 E[(D(noisy, clean) - 1)^2] + 1/2 E[D(noisy, e)^2]``
      (:func:`~audiogan_kit.losses.lsgan_discriminator_loss`);
    - generator: ``L_G = adversarial_weight * 1/2 E[(D(noisy, e) - 1)^2] + l1_weight *
      mean|e - clean| + spectral_weight * S(e, clean)``
      (:func:`~audiogan_kit.losses.lsgan_generator_loss` + :func:`l1_loss` +
      :func:`spectral_loss` at ``spectral_fft_sizes``, skipped when ``spectral_weight == 0``).

    It returns float32 scalars ``d_loss`` (0 in L1-only mode), ``g_loss`` (the sum),
    ``g_adversarial``, ``l1`` (the weighted L1 term), ``spectral`` (the weighted spectral
    term, 0 when off), ``d_real``, ``d_fake`` (mean logits),
    ``penalty`` (always 0, for the dashboards), ``d_grad_norm``, ``g_grad_norm``.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        model_config: EnhancerConfig,
        l1_weight: float = 100.0,
        adversarial_weight: float = 1.0,
        seed: int = 0,
        spectral_weight: float = 0.0,
        spectral_fft_sizes: tuple[int, ...] = (128, 256, 512),
        audio: AudioConfig | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            generator, discriminator, model_config, loss="lsgan", n_critic=1,
            penalty_weight=0.0, r1_weight=0.0, ema_decay=None, seed=seed, **kwargs,
        )
        self.l1_weight = float(l1_weight)
        self.adversarial_weight = float(adversarial_weight)
        self.spectral_weight = float(spectral_weight)
        self.spectral_fft_sizes = tuple(int(n) for n in spectral_fft_sizes)
        self.audio = audio or AudioConfig(
            sample_rate=model_config.sample_rate, num_samples=model_config.num_samples
        )

    #: the axis of ``train_step``'s arrays that holds the examples
    batch_axis = 0

    def _pair_critic(self, noisy, candidate):
        return ops.cast(self.discriminator([noisy, candidate], training=True), "float32")

    def _pair_discriminator_update(self, noisy, clean):
        enhanced = ops.stop_gradient(ops.cast(self.generator(noisy, training=True), "float32"))

        def loss_fn():
            real_logits = self._pair_critic(noisy, clean)
            fake_logits = self._pair_critic(noisy, enhanced)
            aux = {"d_real": ops.mean(real_logits), "d_fake": ops.mean(fake_logits)}
            return self.d_loss_fn(real_logits, fake_logits), aux

        return self._update(self.d_optimizer, loss_fn, self.discriminator.trainable_variables)

    def _enhancer_update(self, noisy, clean):
        adversarial = self.adversarial_weight > 0

        def loss_fn():
            enhanced = ops.cast(self.generator(noisy, training=True), "float32")
            l1 = l1_loss(clean, enhanced, self.l1_weight)
            spectral = ops.zeros((), "float32")
            if self.spectral_weight > 0:
                spectral = spectral_loss(
                    clean, enhanced, self.audio, self.spectral_fft_sizes, self.spectral_weight
                )
            aux = {"g_adversarial": ops.zeros((), "float32"), "l1": l1, "spectral": spectral}
            if not adversarial:
                return l1 + spectral, aux
            fake_logits = self._pair_critic(noisy, enhanced)
            aux["g_adversarial"] = self.g_loss_fn(fake_logits, weight=self.adversarial_weight)
            return aux["g_adversarial"] + l1 + spectral, aux

        return self._update(self.g_optimizer, loss_fn, self.generator.trainable_variables)

    def train_step(self, data):
        """One discriminator update (unless L1-only) and one generator update; a dict."""
        noisy, clean = data
        noisy = ops.convert_to_tensor(noisy, dtype="float32")
        clean = ops.convert_to_tensor(clean, dtype="float32")
        zero = ops.zeros((), "float32")
        if self.adversarial_weight > 0:
            d_loss, d_aux, d_norm = self._pair_discriminator_update(noisy, clean)
        else:
            d_loss, d_aux, d_norm = zero, {"d_real": zero, "d_fake": zero}, zero
        g_loss, g_aux, g_norm = self._enhancer_update(noisy, clean)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "g_adversarial": g_aux["g_adversarial"],
            "l1": g_aux["l1"],
            "spectral": g_aux["spectral"],
            "penalty": zero,
            "d_real": d_aux["d_real"],
            "d_fake": d_aux["d_fake"],
            "d_grad_norm": d_norm,
            "g_grad_norm": g_norm,
        }

    def generate(self, noisy: Any, labels: Any | None = None, use_ema: bool = True) -> np.ndarray:
        """Enhance windows: float32 ``[n, samples, 1]`` -> ``[n, samples, 1]`` (z = 0).

        ``labels`` and ``use_ema`` exist for the :class:`~audiogan_kit.training.GAN`
        contract and are ignored (an enhancer is unconditional and keeps no EMA copy).
        """
        noisy = np.asarray(noisy, dtype=np.float32)
        if noisy.ndim == 2:
            noisy = noisy[..., None]
        return _run_generator(self.generator, noisy, batch_size=64)


def build_enhancement_gan(config: EnhancerTrainConfig) -> EnhancementGAN:
    """A compiled :class:`EnhancementGAN` for ``config``: fresh weights seeded by ``config.seed``."""
    keras.utils.set_random_seed(config.seed)
    with dtype_policy(config.precision):
        gan = EnhancementGAN(
            build_enhancer_generator(config.model),
            build_pair_discriminator(config.model),
            config.model,
            l1_weight=config.l1_weight,
            adversarial_weight=config.adversarial_weight,
            seed=config.seed,
            spectral_weight=config.spectral_weight,
            spectral_fft_sizes=config.spectral_fft_sizes,
            audio=config.audio,
        )
        _compile_with_adam(gan, config)
    return gan


def _pair_arrays(dataset: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(noisy, clean) float32 [n, samples] and labels int32 [n] from a NoisyDataset or a pair."""
    if hasattr(dataset, "noisy") and hasattr(dataset, "clean"):
        noisy, clean = dataset.noisy, dataset.clean
        labels = getattr(dataset, "labels", None)
    elif isinstance(dataset, tuple | list) and len(dataset) == 2:
        (noisy, clean), labels = dataset, None
    else:
        raise ValueError(
            "an enhancer trains on a NoisyDataset (data.make_noisy_split) or a pair (noisy "
            f"[n, samples], clean [n, samples]); got {type(dataset).__name__}."
        )
    noisy = np.asarray(noisy, dtype=np.float32)
    clean = np.asarray(clean, dtype=np.float32)
    if noisy.ndim != 2 or noisy.shape != clean.shape:
        raise ValueError(
            f"noisy and clean must both be float32 [n, samples], got {noisy.shape} and "
            f"{clean.shape}."
        )
    labels = np.zeros(len(noisy), np.int32) if labels is None else np.asarray(labels, np.int32)
    return noisy, clean, labels


class EnhancerTrainer(Trainer):
    """:class:`~audiogan_kit.training.Trainer` for an :class:`EnhancementGAN`.

    The loop, checkpoints (``meta.config`` is ``config.to_dict()``), ``history.jsonl``,
    callbacks, Stop and the divergence guard are the base trainer's; this class supplies
    the (noisy, clean) batches, the model and the evaluation samples: the ``num_eval_samples``
    fixed noisy clips of ``eval_dataset`` (default: of ``dataset``), enhanced. Their
    ``samples/step-*.npz`` hold ``examples`` (float32 [n, samples, 1]), ``audio`` (the
    same as [n, samples]) and ``labels``; ``eval_noisy`` and ``eval_clean`` are the inputs
    and targets.

    Args:
        config: the run's :class:`EnhancerTrainConfig`.
        dataset: training pairs: a :class:`~audiogan_kit.data.NoisyDataset` or
            ``(noisy, clean)`` float32 [n, model.num_samples] in [-1, 1].
        eval_dataset: where the evaluation clips come from (e.g. the held-out test pairs).
    """

    def __init__(
        self,
        config: EnhancerTrainConfig,
        dataset: Any,
        run_dir: str | Path,
        callbacks: Any = (),
        log: Callable[[str], None] = print,
        eval_dataset: Any | None = None,
    ) -> None:
        self._eval_source = dataset if eval_dataset is None else eval_dataset
        super().__init__(config, dataset, run_dir, callbacks, log)

    def _prepare_data(self, dataset: Any) -> None:
        noisy, clean, labels = _pair_arrays(dataset)
        samples = self.config.model.num_samples
        if noisy.shape[1] != samples:
            raise ValueError(
                f"the pairs are {noisy.shape[1]} samples long but the enhancer takes windows of "
                f"{samples}; build the NoisyDataset with AudioConfig(num_samples={samples})."
            )
        _check_batch_size(len(noisy), self.config.batch_size)
        self.noisy, self.clean = noisy[..., None], clean[..., None]
        self.examples, self.labels, self.stats = self.clean, labels, None

    def _build_gan(self) -> EnhancementGAN:
        return build_enhancement_gan(self.config)

    def _prepare_eval(self) -> None:
        noisy, clean, labels = _pair_arrays(self._eval_source)
        count = min(self.config.num_eval_samples, len(noisy))
        rng = np.random.default_rng([self.config.seed, 7919])
        index = np.sort(rng.choice(len(noisy), size=count, replace=False))
        self.eval_noisy, self.eval_clean = noisy[index], clean[index]
        self.eval_labels = labels[index]
        self.eval_noise = self.eval_noisy

    def _batch(self, step: int):
        config = self.config
        index = _batch_indices(len(self.noisy), config.batch_size, config.seed, step)
        return self.noisy[index], self.clean[index]

    def samples(self, use_ema: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(enhanced eval clips float32 [n, samples, 1], the same as audio [n, samples])."""
        made = self.gan.generate(self.eval_noisy)
        return made, np.clip(made[..., 0], -1.0, 1.0)


def train_enhancer(
    config: EnhancerTrainConfig,
    dataset: Any,
    run_dir: str | Path,
    callbacks: Any = (),
    log: Callable[[str], None] = print,
    eval_dataset: Any | None = None,
) -> EnhancerTrainer:
    """Train (or resume, when ``run_dir`` has a checkpoint) an enhancer; the finished trainer.

    See :class:`EnhancerTrainer` for the arguments; ``trainer.gan.generator`` is the
    enhancer, ready for :func:`enhance`. Raises ``TrainingDiverged`` on a NaN loss.
    """
    trainer = EnhancerTrainer(config, dataset, run_dir, callbacks, log, eval_dataset)
    trainer.run()
    return trainer


def load_enhancer_run(run_dir: str | Path, log: Callable[[str], None] = print) -> keras.Model:
    """The generator of an enhancer run (its newest good checkpoint), for :func:`enhance`."""
    run_dir = Path(run_dir)
    path = run_dir / "config.json"
    if not path.is_file():
        raise ValueError(
            f"{run_dir} is not an enhancer run (no config.json); give the folder that "
            "train_enhancer wrote."
        )
    gan = build_enhancement_gan(EnhancerTrainConfig.load(path))
    if load_latest_checkpoint(gan, run_dir, log) is None:
        raise ValueError(f"{run_dir} has no usable checkpoint; train it first.")
    return gan.generator


# ---------------------------------------------------------------------------------------------
# 5. Comparing enhancers on held-out pairs
# ---------------------------------------------------------------------------------------------


def pick_per_condition(test: Any, per_condition: int) -> Any:
    """The first ``per_condition`` pairs of every (SNR, noise type) of a NoisyDataset.

    A balanced test subset for per-SNR and per-noise tables: at most ``per_condition`` *
    ``len(snrs)`` * ``len(noise_types)`` pairs, in their original order.
    """
    if per_condition < 1:
        raise ValueError(f"per_condition must be at least 1 pair, got {per_condition}.")
    chosen = []
    for snr in sorted(set(test.snr_db.tolist())):
        for noise in sorted(set(test.noise_type.tolist())):
            cell = np.flatnonzero(np.isclose(test.snr_db, snr) & (test.noise_type == noise))
            chosen.extend(cell[:per_condition].tolist())
    return test.subset(np.sort(np.asarray(chosen, dtype=np.int64)))


def generator_enhancer(
    generator: keras.Model | str | Path, sample_rate: int = 8000, batch_size: int = 32
) -> Callable:
    """An enhancer function for :func:`score_enhancers` from a trained generator.

    Returns ``fn(noisy float [clips, samples] at sample_rate Hz) -> float32 [clips,
    samples]``: clips of exactly the generator's window length go through it in batches
    (z = 0); others through :func:`enhance` (overlap-add of windows at ``sample_rate``).
    """
    if isinstance(generator, str | Path):
        generator = load_enhancer(generator)
    window = int(generator.input_shape[1])

    def run(noisy: Any) -> np.ndarray:
        rows, _ = _rows(noisy)
        if rows.shape[1] == window:
            return _run_generator(generator, rows[..., None], batch_size)[..., 0]
        return np.stack(
            [enhance(row, sample_rate, generator, model_sample_rate=sample_rate) for row in rows]
        )

    return run


def score_enhancers(
    test: Any,
    enhancers: dict[str, Callable[[np.ndarray], np.ndarray]],
    metrics: tuple[str, ...] = ("pesq", "stoi", "si_sdr"),
) -> dict[str, dict[str, np.ndarray]]:
    """Per-clip speech scores of the noisy input and of every enhancer on held-out pairs.

    Args:
        test: a :class:`~audiogan_kit.data.NoisyDataset` (noisy, clean float32
            [clips, samples] at ``test.sample_rate`` Hz).
        enhancers: {name: fn(noisy [clips, samples]) -> [clips, samples]}, e.g.
            ``{"wiener": lambda x: wiener_filter(x, 8000), "gan": generator_enhancer(g)}``.
        metrics: names of :data:`audiogan_kit.metrics.SPEECH_METRICS`.

    Returns:
        {"noisy" and each enhancer name: {metric: float64 [clips]}}, NaN where a metric is
        undefined for a clip (see :func:`audiogan_kit.metrics.speech_scores`).
    """
    import warnings

    from .metrics import speech_scores

    outputs = {"noisy": test.noisy}
    outputs.update({name: np.asarray(fn(test.noisy), np.float32) for name, fn in enhancers.items()})
    scores = {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="speech_scores: clips left out")
        for name, processed in outputs.items():
            scores[name] = speech_scores(
                test.clean, processed, test.sample_rate, metrics=metrics, reduce=False
            )
    return scores


def scores_by(
    scores: dict[str, dict[str, np.ndarray]], test: Any, by: str = "snr_db"
) -> list[dict[str, Any]]:
    """Mean scores per method and per value of ``by`` (``"snr_db"`` or ``"noise_type"``).

    Returns:
        rows ``{"method", by, "clips", <metric>: mean over the clips where it is defined}``,
        ordered by method, then by value.
    """
    if by not in ("snr_db", "noise_type"):
        raise ValueError(f"by must be 'snr_db' or 'noise_type', got {by!r}.")
    keys = np.asarray(getattr(test, by))
    rows = []
    for method, per_metric in scores.items():
        for value in sorted(set(keys.tolist())):
            mask = keys == value
            row: dict[str, Any] = {"method": method, by: value, "clips": int(mask.sum())}
            for metric, values in per_metric.items():
                chosen = values[mask]
                row[metric] = float(np.nanmean(chosen)) if np.any(~np.isnan(chosen)) else None
            rows.append(row)
    return rows


def mean_gain(
    scores: dict[str, dict[str, np.ndarray]], method: str, reference: str,
    metric: str = "pesq", mask: Any | None = None,
) -> float:
    """Mean of ``method - reference`` per clip, over the clips (of ``mask``) both could score."""
    difference = scores[method][metric] - scores[reference][metric]
    if mask is not None:
        difference = difference[np.asarray(mask, dtype=bool)]
    if not np.any(np.isfinite(difference)):
        raise ValueError(f"no clip has a {metric} score for both {method} and {reference}.")
    return float(np.nanmean(difference))
