"""Custom Keras layers used by the GAN architectures in :mod:`audiogan_kit.models`.

Introduced in notebooks/02_models.ipynb.

Written with ``keras.ops`` and ``keras.random`` only, so they run under the TensorFlow and
JAX backends, and registered with Keras (package ``"audiogan_kit"``) so that a ``.keras``
file that contains them loads with ``safe_mode=True`` once :mod:`audiogan_kit.models` (or this
module) is imported. Axis convention: channels last, time before channels
(``[batch, samples, channels]``; ``[batch, frames, bins, channels]``).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

__all__ = ["LabelChannels", "PhaseShuffle"]


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
        n = self.shift
        length = inputs.shape[1]
        shifts = keras.random.randint(
            (ops.shape(inputs)[0],), -n, n + 1, seed=self.seed_generator, dtype="int32"
        )
        padded = ops.pad(inputs, [[0, 0], [n, n], [0, 0]], mode="reflect")
        # output[b, t] = padded[b, t + n - shifts[b]]
        index = ops.arange(length, dtype="int32")[None, :] + (n - shifts)[:, None]
        index = index[:, :, None] + ops.zeros_like(inputs, dtype="int32")
        return ops.take_along_axis(padded, index, axis=1)

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
