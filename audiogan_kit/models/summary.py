"""Looking inside a model: parameter counts, a layer table, the receptive field.

Introduced in notebooks/02_models.ipynb.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import layers

__all__ = ["layer_table", "parameter_count", "receptive_field"]


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
