"""Building blocks shared by the kit's networks: inputs, the generator stem, upsampling,
spectral norm and the conditional logit head.

Each block takes explicit arguments (or the :class:`~audiogan_kit.models.ModelConfig` of a
GAN) and returns Keras tensors of a functional graph; shapes are channels last.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import layers

from ..layers import MinibatchStdDev

__all__ = [
    "UPSAMPLING",
    "generator_inputs",
    "logit_head",
    "maybe_batch_norm",
    "maybe_spectral_norm",
    "model_inputs",
    "noise_and_label",
    "project",
    "upsample_1d",
    "upsample_2d",
]

#: How a generator doubles (or multiplies) its length: a transposed convolution (the
#: papers'), or a resize (nearest / linear) followed by a stride-1 convolution.
UPSAMPLING = ("transpose", "nearest", "linear")


def generator_inputs(config: Any, first: keras.KerasTensor) -> list[keras.KerasTensor]:
    """``[first]``, plus an int32 ``label`` input ``[batch]`` when ``config`` is conditional."""
    if not config.conditional:
        return [first]
    return [first, keras.Input(shape=(), dtype="int32", name="label")]


def model_inputs(inputs: list[keras.KerasTensor]) -> Any:
    """A single input stays a single tensor, so an unconditional model is called with z alone."""
    return inputs if len(inputs) > 1 else inputs[0]


def noise_and_label(config: Any, inputs: list[keras.KerasTensor]) -> keras.KerasTensor:
    """The generator's input vector: noise, with the label embedding appended if conditional."""
    if not config.conditional:
        return inputs[0]
    embedding = layers.Embedding(config.num_classes, config.label_dim, name="label_embedding")
    return layers.Concatenate(name="noise_and_label")([inputs[0], embedding(inputs[1])])


def maybe_batch_norm(
    config: Any, x: keras.KerasTensor, name: str, inputs: list | None = None
) -> keras.KerasTensor:
    """``BatchNormalization`` named ``<name>_bn`` when ``config.batch_norm``, else ``x``.

    With ``config.conditional_batch_norm`` and the model's ``inputs`` (whose second entry is
    the label), the normalised ``x`` is scaled and shifted by per-class vectors instead of
    learned constants: ``x_hat * gamma[label] + beta[label]`` (``<name>_gamma``,
    ``<name>_beta`` embeddings, starting at 1 and 0).
    """
    if not config.batch_norm:
        return x
    if not (config.conditional_batch_norm and config.conditional and inputs):
        return layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.BatchNormalization(center=False, scale=False, name=f"{name}_bn")(x)
    channels = x.shape[-1]
    shape = (1,) * (len(x.shape) - 2) + (channels,)
    gamma = layers.Embedding(
        config.num_classes, channels, embeddings_initializer="ones", name=f"{name}_gamma"
    )(inputs[1])
    beta = layers.Embedding(
        config.num_classes, channels, embeddings_initializer="zeros", name=f"{name}_beta"
    )(inputs[1])
    gamma = layers.Reshape(shape, name=f"{name}_gamma_shape")(gamma)
    beta = layers.Reshape(shape, name=f"{name}_beta_shape")(beta)
    x = layers.Multiply(name=f"{name}_scale")([x, gamma])
    return layers.Add(name=f"{name}_shift")([x, beta])


def maybe_spectral_norm(config: Any, layer: layers.Layer) -> layers.Layer:
    """``layer`` wrapped in spectral normalisation when ``config.spectral_norm``."""
    if not config.spectral_norm:
        return layer
    return layers.SpectralNormalization(layer, name=f"{layer.name}_sn")


def project(config: Any, inputs, shape: tuple[int, ...]) -> keras.KerasTensor:
    """Every generator's stem: noise (+ label) -> dense -> ``[batch, *shape]`` -> (BN) -> ReLU."""
    x = noise_and_label(config, inputs)
    x = layers.Dense(math.prod(shape), name="project")(x)
    x = layers.Reshape(shape, name="project_reshape")(x)
    x = maybe_batch_norm(config, x, "project", inputs)
    return layers.ReLU(name="project_relu")(x)


def upsample_1d(x, filters: int, stride: int, name: str, upsample: str, kernel: int):
    """``[batch, length, c]`` -> ``[batch, length * stride, filters]``.

    ``upsample`` is one of :data:`UPSAMPLING`: a transposed convolution of ``kernel`` and
    ``stride``, or a resize by ``stride`` (nearest: repeat; linear: interpolate in time)
    followed by a stride-1 convolution of ``kernel``. The convolution is named ``name``.
    """
    if upsample == "transpose":
        return layers.Conv1DTranspose(
            filters, kernel, strides=stride, padding="same", name=name
        )(x)
    if upsample == "nearest":
        x = layers.UpSampling1D(stride, name=f"{name}_up")(x)
    else:  # linear: bilinear resize of a [length, 1] image is linear interpolation in time
        length, channels = x.shape[1], x.shape[2]
        x = layers.Reshape((length, 1, channels), name=f"{name}_to2d")(x)
        x = layers.UpSampling2D((stride, 1), interpolation="bilinear", name=f"{name}_up")(x)
        x = layers.Reshape((length * stride, channels), name=f"{name}_to1d")(x)
    return layers.Conv1D(filters, kernel, padding="same", name=name)(x)


def upsample_2d(x, filters: int, stride: int, name: str, upsample: str, kernel: int):
    """:func:`upsample_1d` for ``[batch, frames, bins, c]`` (both axes times ``stride``)."""
    if upsample == "transpose":
        return layers.Conv2DTranspose(
            filters, kernel, strides=stride, padding="same", name=name
        )(x)
    interpolation = "nearest" if upsample == "nearest" else "bilinear"
    x = layers.UpSampling2D(stride, interpolation=interpolation, name=f"{name}_up")(x)
    return layers.Conv2D(filters, kernel, padding="same", name=name)(x)


def logit_head(config: Any, features, inputs):
    """Flattened features -> one logit, plus the projection term when conditional.

    With ``config.minibatch_std`` the batch spread is appended to the features first; with
    ``config.aux_classifier`` the head returns ``[logit, class_logits]``, the second a dense
    layer to ``num_classes`` logits on the same features.
    """
    features = layers.Flatten(name="flatten")(features)
    if config.minibatch_std:
        features = MinibatchStdDev(name="minibatch_std")(features)
    logit = maybe_spectral_norm(config, layers.Dense(1, name="logit_dense"))(features)
    if config.conditional and config.conditioning == "projection":
        embedded = layers.Embedding(
            config.num_classes, features.shape[-1], name="label_projection"
        )(inputs[1])
        projection = layers.Dot(axes=1, name="projection")([embedded, features])
        logit = layers.Add(name="logit")([logit, projection])
    if config.aux_classifier:
        dense = layers.Dense(config.num_classes, name="class_logits")
        return [logit, maybe_spectral_norm(config, dense)(features)]
    return logit
