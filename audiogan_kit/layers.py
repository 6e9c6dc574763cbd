"""Every custom Keras layer of the kit, registered in one place.

Introduced in notebooks/02_models.ipynb.

- :class:`PhaseShuffle` (WaveGAN's discriminator) and :class:`LabelChannels` (concatenation
  conditioning) for the GANs of :mod:`audiogan_kit.models.gan`;
- :class:`LatentNoise`, SEGAN's latent z (:mod:`audiogan_kit.models.segan`);
- :class:`LogMelFeatures` and :class:`MFCCFeatures`, features as layers, so that a classifier
  (:mod:`audiogan_kit.models.judge`) takes raw audio;
- :class:`MinibatchStdDev`, the batch spread as a discriminator feature, and
  :func:`random_time_shift` (phase shuffle and the discriminator-input augmentation);
- :class:`STFTMagnitude`, :class:`LogCompress`, :class:`OverNoiseFloor`, :class:`BoundedMask` and
  :class:`MaskedInverseSTFT`, the mask enhancer's way into and out of the STFT
  (:mod:`audiogan_kit.models.metricgan`).

Written with ``keras.ops`` and ``keras.random`` only, so they run under the TensorFlow and
JAX backends, and registered with Keras (package ``"audiogan_kit"``) so that a ``.keras``
file that contains them loads with ``safe_mode=True`` once this module is imported (importing
:mod:`audiogan_kit.models` does). Axis convention: channels last, time before channels
(``[batch, samples, channels]``; ``[batch, frames, bins, channels]``).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

from .config import DEFAULT_CONFIG, AudioConfig, from_dict, to_dict

__all__ = [
    "BoundedMask",
    "LabelChannels",
    "LatentNoise",
    "LogCompress",
    "LogMelFeatures",
    "MFCCFeatures",
    "MaskedInverseSTFT",
    "MinibatchStdDev",
    "OverNoiseFloor",
    "PhaseShuffle",
    "STFTMagnitude",
    "random_time_shift",
    "stft_magnitudes",
]


def random_time_shift(inputs, max_shift: int, seed: Any):
    """Shift each example along axis 1 by its own random integer ``s`` in ``-n..n``.

    ``output[b, t] = input[b, t - s_b]``; the ``|s_b|`` steps that enter at an edge are
    filled by reflection. Used by :class:`PhaseShuffle` and by the discriminator-input
    augmentation of :class:`audiogan_kit.training.GAN` (random shifts in time applied to
    real and generated examples alike).

    Args:
        inputs: float ``[batch, length, channels]``, ``length > max_shift``.
        max_shift: ``n``, the largest shift in steps.
        seed: a ``keras.random.SeedGenerator`` (needed inside a traced JAX step).

    Returns:
        The same shape and dtype.
    """
    n = int(max_shift)
    length = inputs.shape[1]
    shifts = keras.random.randint((ops.shape(inputs)[0],), -n, n + 1, seed=seed, dtype="int32")
    padded = ops.pad(inputs, [[0, 0], [n, n], [0, 0]], mode="reflect")
    # output[b, t] = padded[b, t + n - shifts[b]]
    index = ops.arange(length, dtype="int32")[None, :] + (n - shifts)[:, None]
    index = index[:, :, None] + ops.zeros_like(inputs, dtype="int32")
    return ops.take_along_axis(padded, index, axis=1)


@keras.saving.register_keras_serializable(package="audiogan_kit")
class PhaseShuffle(layers.Layer):
    """WaveGAN's phase shuffle: shift each example in time by a random ``-n..n`` samples.

    Donahue et al. (2019) add it after the discriminator's activations so that the
    discriminator cannot recognise generated audio by the exact phase of its periodic
    artefacts. Each example in the batch gets its own integer shift ``s`` drawn uniformly
    from ``{-n, ..., n}``; ``output[t] = input[t - s]``, and the ``|s|`` samples that enter at
    an edge are filled by reflection (``input[1], input[2], ...`` mirrored around the edge).
    The shape never changes. Active only when called with ``training=True``; at inference
    the layer is the identity.

    Args:
        shift: ``n``, the largest shift in samples (WaveGAN uses 2); 0 disables the layer.
            Must be smaller than the input length.
        seed: int seed of the layer's ``keras.random.SeedGenerator``, or ``None``.

    Input / output: float ``[batch, length, channels]``, same dtype.
    """

    def __init__(self, shift: int = 2, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if int(shift) != shift or shift < 0:
            raise ValueError(f"PhaseShuffle shift must be an integer >= 0, got {shift!r}.")
        self.shift = int(shift)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                "PhaseShuffle expects [batch, length, channels] input, got shape "
                f"{tuple(input_shape)}; use it after a Conv1D layer."
            )
        if input_shape[1] is not None and input_shape[1] <= self.shift:
            raise ValueError(
                f"PhaseShuffle(shift={self.shift}) needs inputs longer than {self.shift} "
                f"samples, got length {input_shape[1]}; use a smaller shift."
            )

    def call(self, inputs, training=False):
        if not training or self.shift == 0:
            return inputs
        return random_time_shift(inputs, self.shift, self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "shift": self.shift, "seed": self.seed}


@keras.saving.register_keras_serializable(package="audiogan_kit")
class LabelChannels(layers.Layer):
    """Append a one-hot class label as ``num_classes`` constant channels at every position.

    The "concatenation" conditioning of a conditional discriminator (Mirza & Osindero 2014):
    the label is shown to the first layer alongside the signal.

    Args:
        num_classes: number of classes (10 for the spoken digits).

    Call with ``[x, labels]``:
        x: float ``[batch, ..., channels]`` (waveform ``[batch, samples, 1]``, spectrogram
            ``[batch, frames, bins, 1]`` or features ``[batch, features]``).
        labels: int ``[batch]`` in ``0 .. num_classes - 1``.

    Returns:
        ``[batch, ..., channels + num_classes]``, dtype of ``x``.
    """

    def __init__(self, num_classes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if num_classes < 2:
            raise ValueError(f"LabelChannels needs num_classes >= 2, got {num_classes}.")
        self.num_classes = int(num_classes)

    def call(self, inputs):
        x, labels = inputs
        one_hot = ops.one_hot(ops.cast(labels, "int32"), self.num_classes, dtype=x.dtype)
        for _ in range(len(x.shape) - 2):
            one_hot = ops.expand_dims(one_hot, 1)
        # Broadcast [batch, 1, ..., classes] against [batch, ..., 1].
        one_hot = one_hot * ops.ones_like(x[..., :1])
        return ops.concatenate([x, one_hot], axis=-1)

    def compute_output_shape(self, input_shape):
        x_shape = tuple(input_shape[0])
        return (*x_shape[:-1], x_shape[-1] + self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="audiogan_kit")
class LatentNoise(layers.Layer):
    """Concatenate SEGAN's latent z, ``channels`` standard-normal channels, to the input.

    In ``training=True`` calls z is drawn afresh (its own ``keras.random.SeedGenerator``);
    at inference it is 0, the mean of z, unless ``sample_at_inference``, so that enhancing a
    clip is deterministic. (SEGAN samples z at test time too; its authors and later work
    found the generator learns to largely ignore it.)

    Input: float ``[batch, steps, features]``. Output: ``[batch, steps, features + channels]``.
    """

    def __init__(
        self,
        channels: int,
        seed: int | None = None,
        sample_at_inference: bool = False,
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


@keras.saving.register_keras_serializable(package="audiogan_kit")
class LogMelFeatures(layers.Layer):
    """:func:`audiogan_kit.features.log_mel` as a layer, so a classifier takes raw audio.

    Input: float32 ``[batch, num_samples]`` in [-1, 1]. Output: float32
    ``[batch, num_frames, n_mels]``, natural-log mel magnitudes (about -11.5 on silence).

    Args:
        audio_config: the :class:`AudioConfig` (or its :func:`~audiogan_kit.config.to_dict`).
    """

    def __init__(self, audio_config: AudioConfig | dict = DEFAULT_CONFIG, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(audio_config, dict):
            audio_config = from_dict(AudioConfig, audio_config)
        self.audio_config = audio_config

    def call(self, inputs):
        from .features import log_mel

        return log_mel(inputs, self.audio_config)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.audio_config.num_frames, self.audio_config.n_mels)

    def get_config(self):
        return {**super().get_config(), "audio_config": to_dict(self.audio_config)}


@keras.saving.register_keras_serializable(package="audiogan_kit")
class MinibatchStdDev(layers.Layer):
    """Append the spread of the batch as one more feature (Karras et al. 2018).

    The standard deviation of every feature over the batch, averaged over the features, is
    appended to each example: ``[batch, features] -> [batch, features + 1]``. A discriminator
    that sees it can tell a batch of near-identical generated clips (mode collapse) from a
    varied real batch. It makes an example's score depend on the rest of its batch, so it
    does not belong in a critic with a gradient penalty.
    """

    def call(self, inputs):
        std = ops.sqrt(ops.var(inputs, axis=0) + 1e-8)
        spread = ops.mean(std) * ops.ones_like(inputs[:, :1])
        return ops.concatenate([inputs, spread], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], input_shape[-1] + 1)


@keras.saving.register_keras_serializable(package="audiogan_kit")
class MFCCFeatures(layers.Layer):
    """:func:`audiogan_kit.features.mfcc_with_deltas` as a layer (a classifier on raw audio).

    Input: float32 ``[batch, num_samples]`` in [-1, 1]. Output: float32
    ``[batch, num_frames, 3 * n_mfcc]`` for ``audio_config``'s STFT and mel bands.

    Args:
        audio_config: the :class:`AudioConfig` of the features (its own ``n_fft``,
            ``hop_length`` and ``n_mels``), or its :func:`~audiogan_kit.config.to_dict`.
        n_mfcc: cepstral coefficients kept.
    """

    def __init__(
        self, audio_config: AudioConfig | dict = DEFAULT_CONFIG, n_mfcc: int = 20, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(audio_config, dict):
            audio_config = from_dict(AudioConfig, audio_config)
        self.audio_config = audio_config
        self.n_mfcc = int(n_mfcc)

    def call(self, inputs):
        from .features import mfcc_with_deltas

        return mfcc_with_deltas(inputs, self.audio_config, self.n_mfcc)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.audio_config.num_frames, 3 * self.n_mfcc)

    def get_config(self):
        return {
            **super().get_config(),
            "audio_config": to_dict(self.audio_config),
            "n_mfcc": self.n_mfcc,
        }


# --- the mask enhancer's STFT layers (models.metricgan) ----------------------------------------


def _stft(waveform, n_fft: int, hop_length: int):
    """(real, imag) of the STFT of ``[batch, samples]`` or ``[batch, samples, 1]`` audio:
    each float32 ``[batch, 1 + samples // hop_length, n_fft // 2 + 1]`` (Hann window,
    centred frames)."""
    if len(waveform.shape) == 3:
        waveform = waveform[..., 0]
    return ops.stft(
        ops.cast(waveform, "float32"),
        sequence_length=n_fft,
        sequence_stride=hop_length,
        fft_length=n_fft,
        window="hann",
        center=True,
    )


def stft_magnitudes(waveform, n_fft: int, hop_length: int):
    """Linear STFT magnitude of a batch of waveforms, all frames and bins, in the graph.

    Input ``[batch, samples]`` or ``[batch, samples, 1]`` in [-1, 1]; output float32
    ``[batch, 1 + samples // hop_length, n_fft // 2 + 1]`` (a full-scale sine peaks at
    about ``n_fft / 4``). Unlike :func:`audiogan_kit.features.stft_magnitude` it keeps the
    last frame and the Nyquist bin, so that a mask on it can be inverted exactly; takes any
    length (no config); and floors as ``sqrt(power + 1e-12)`` (silence: 1e-6), where
    ``features.stft_magnitude`` takes ``sqrt(max(power, 1e-20))`` (silence: 1e-10). The
    same STFT otherwise (Hann, centred frames). They stay two functions: one floor for both
    would move the numbers of the runs and models made with the other.
    """
    real, imag = _stft(waveform, n_fft, hop_length)
    return ops.sqrt(real * real + imag * imag + 1e-12)


@keras.saving.register_keras_serializable(package="audiogan_kit")
class STFTMagnitude(layers.Layer):
    """:func:`stft_magnitudes` as a layer: waveform ``[batch, samples, 1]`` to float32
    ``[batch, frames, bins]`` with ``frames = 1 + samples // hop_length`` and
    ``bins = n_fft // 2 + 1``."""

    def __init__(self, n_fft: int = 256, hop_length: int = 128, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_fft, self.hop_length = int(n_fft), int(hop_length)

    def call(self, inputs):
        return stft_magnitudes(inputs, self.n_fft, self.hop_length)

    def compute_output_shape(self, input_shape):
        frames = None if input_shape[1] is None else 1 + input_shape[1] // self.hop_length
        return (input_shape[0], frames, self.n_fft // 2 + 1)

    def get_config(self):
        return {**super().get_config(), "n_fft": self.n_fft, "hop_length": self.hop_length}


@keras.saving.register_keras_serializable(package="audiogan_kit")
class BoundedMask(layers.Layer):
    """MetricGAN+'s learnable sigmoid: ``beta * sigmoid(slope * x)``, a mask in (0, beta).

    ``slope`` is one trainable number per frequency bin (the last axis), starting at 1;
    ``beta`` slightly above 1 lets the mask also raise a bin a little (1.2 in MetricGAN+).
    Input and output float32 ``[batch, frames, bins]``.
    """

    def __init__(self, beta: float = 1.2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.beta = float(beta)

    def build(self, input_shape):
        self.slope = self.add_weight(
            shape=(input_shape[-1],), initializer="ones", name="slope", trainable=True
        )

    def call(self, inputs):
        return self.beta * ops.sigmoid(self.slope * inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


@keras.saving.register_keras_serializable(package="audiogan_kit")
class MaskedInverseSTFT(layers.Layer):
    """Apply a magnitude mask to a waveform's STFT, keep the noisy phase, resynthesise.

    Call with ``[noisy, mask]``: ``noisy`` float32 ``[batch, samples, 1]``, ``mask``
    float32 ``[batch, frames, bins]`` (the shapes of :class:`STFTMagnitude`). Both the real
    and the imaginary part of every bin are multiplied by the same real mask, so the phase
    is the noisy one; the inverse STFT (Hann, overlap-add) returns ``[batch, samples, 1]``.
    A mask of ones gives the input back (up to float rounding).
    """

    def __init__(self, n_fft: int = 256, hop_length: int = 128, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_fft, self.hop_length = int(n_fft), int(hop_length)

    def call(self, inputs):
        noisy, mask = inputs
        real, imag = _stft(noisy, self.n_fft, self.hop_length)
        mask = ops.cast(mask, "float32")
        audio = ops.istft(
            (real * mask, imag * mask),
            sequence_length=self.n_fft,
            sequence_stride=self.hop_length,
            fft_length=self.n_fft,
            length=noisy.shape[1],
            window="hann",
            center=True,
        )
        return audio[..., None]

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "n_fft": self.n_fft, "hop_length": self.hop_length}


@keras.saving.register_keras_serializable(package="audiogan_kit")
class LogCompress(layers.Layer):
    """``log(x + floor)``, elementwise: how the mask enhancer's networks see a magnitude.

    With the default floor 1e-3 a silent bin is about -6.9 and a full-scale 256-point STFT
    peak about +4.2. Any input shape; output float32, the same shape.
    """

    def __init__(self, floor: float = 1e-3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.floor = float(floor)

    def call(self, inputs):
        return ops.log(ops.cast(inputs, "float32") + self.floor)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "floor": self.floor}


@keras.saving.register_keras_serializable(package="audiogan_kit")
class OverNoiseFloor(layers.Layer):
    """A log magnitude and its height over each bin's floor: ``[x, x - min_t x]``.

    Input float32 ``[batch, frames, bins]`` (log magnitudes); output ``[batch, frames,
    2 * bins]``: the input, then the input minus each bin's minimum over the frames of its
    clip. The second half is a rough a-posteriori SNR in nepers (the quietest frame of a
    bin holds noise alone, as the classical baselines assume): a mask network that sees it
    need not learn the noise level of every clip from the absolute levels.
    """

    def call(self, inputs):
        inputs = ops.cast(inputs, "float32")
        floor = ops.min(inputs, axis=1, keepdims=True)
        return ops.concatenate([inputs, inputs - floor], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2 * input_shape[-1])
