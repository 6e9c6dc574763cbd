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
   windows, by Hann-window overlap-add.

Shapes: waveforms are float32 ``[samples]`` in [-1, 1] at ``sample_rate`` Hz for the
baselines and :func:`enhance`; the models take channels-last batches ``[batch, samples, 1]``
(time before channels).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from .models import load_model, save_model

__all__ = [
    "BASELINES",
    "ENHANCER_PRESETS",
    "EnhancerConfig",
    "LatentNoise",
    "build_enhancer_generator",
    "build_pair_discriminator",
    "enhance",
    "load_enhancer",
    "save_enhancer",
    "spectral_subtraction",
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
    """

    num_samples: int = 8192
    sample_rate: int = 8000
    encoder_channels: tuple[int, ...] = (16, 32, 32, 64, 64, 128)
    kernel_size: int = 31
    latent_channels: int | None = None
    discriminator_channels: tuple[int, ...] | None = None
    discriminator_batch_norm: bool = False
    leaky_slope: float = 0.3

    def __post_init__(self) -> None:
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


def build_enhancer_generator(config: EnhancerConfig = ENHANCER_PRESETS["segan-cpu"]) -> keras.Model:
    """SEGAN's generator: a 1-D convolutional encoder-decoder with skip connections.

    Encoder: ``len(encoder_channels)`` convolutions of ``kernel_size`` and stride 2, each
    followed by a PReLU (one slope per channel), halving the length each time. Bottleneck:
    z (:class:`LatentNoise`) is concatenated on the channel axis. Decoder: as many
    transposed convolutions of stride 2, each doubling the length; after every one but the
    last a PReLU, then the output of the encoder layer of the same length is concatenated
    (skip connection). The last layer has one channel and a tanh.

    Input ``noisy``: float32 ``[batch, num_samples, 1]`` in [-1, 1].
    Output: the enhanced waveform, float32 ``[batch, num_samples, 1]`` in (-1, 1).
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
        x = layers.Conv1DTranspose(channels, k, strides=2, padding="same", name=f"dec{i}")(x)
        if i == len(decoder_channels):
            x = layers.Activation("tanh", name="dec_tanh")(x)
            break
        x = layers.PReLU(shared_axes=[1], name=f"dec{i}_prelu")(x)
        x = layers.Concatenate(axis=-1, name=f"dec{i}_skip")([x, skips[-1 - i]])
    model = keras.Model(noisy, x, name="segan_generator")
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
