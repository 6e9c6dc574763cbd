"""Numeric precision of a run's models, and the Adam optimizers that go with it.

Introduced in notebooks/04_training.ipynb.

Mixed precision is set per model: :func:`set_precision` gives every layer of one model a Keras
dtype policy (``"mixed_bfloat16"``: compute in bfloat16, keep float32 weights), and leaves the
process-wide default policy alone, so models built later (or in another thread) are not
affected. With ``"mixed_float16"`` the losses are scaled
(``keras.optimizers.LossScaleOptimizer``), which :func:`adam` sets up.
"""

from __future__ import annotations

from typing import Any

import keras

from ..config import OptimizerConfig

__all__ = ["HalvingAfter", "adam", "build_compiled", "compile_with_adam", "set_precision"]


def set_precision(model: keras.Model, precision: str) -> keras.Model:
    """Give every layer of ``model`` the dtype policy ``precision``; returns ``model``.

    ``precision`` is one of :data:`audiogan_kit.config.PRECISIONS`. The weights stay float32
    (a mixed policy's variable dtype); each layer casts its inputs and weights to the policy's
    compute dtype when called. A wrapper layer (spectral normalisation) and the layer it wraps
    both get the policy. Call it before the model is traced into a step.
    """
    policy = keras.dtype_policies.get(precision)
    for layer in model.layers:
        layer.dtype_policy = policy
        inner = getattr(layer, "layer", None)  # keras.layers.Wrapper
        if isinstance(inner, keras.layers.Layer):
            inner.dtype_policy = policy
    return model


@keras.saving.register_keras_serializable(package="audiogan_kit")
class HalvingAfter(keras.optimizers.schedules.LearningRateSchedule):
    """A learning rate constant for ``start`` updates, then halving every ``half_life``."""

    def __init__(self, learning_rate: float, half_life: int, start: int = 0):
        self.learning_rate = float(learning_rate)
        self.half_life = int(half_life)
        self.start = int(start)

    def __call__(self, step):
        past = keras.ops.maximum(keras.ops.cast(step, "float32") - self.start, 0.0)
        return self.learning_rate * keras.ops.power(0.5, past / self.half_life)

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "half_life": self.half_life,
                "start": self.start}


def adam(
    config: OptimizerConfig, learning_rate: float, name: str, updates_per_step: int = 1
) -> keras.optimizers.Optimizer:
    """Adam with ``config``'s betas, wrapped for loss scaling when precision is float16.

    With ``config.lr_half_life`` the rate halves every ``lr_half_life`` generator steps
    after the first ``lr_decay_start`` (``updates_per_step`` of this optimizer's updates each:
    ``n_critic`` for a GAN's discriminator).
    """
    if config.lr_half_life:
        learning_rate = HalvingAfter(
            learning_rate, config.lr_half_life * updates_per_step,
            config.lr_decay_start * updates_per_step,
        )
    optimizer = keras.optimizers.Adam(
        learning_rate, beta_1=config.beta_1, beta_2=config.beta_2, name=f"{name}_adam"
    )
    if config.precision != "mixed_float16":
        return optimizer  # float32 and bfloat16 (float32's range) need no loss scaling
    return keras.optimizers.LossScaleOptimizer(optimizer, name=f"{name}_loss_scale")


def compile_with_adam(model: keras.Model, config: OptimizerConfig) -> None:
    """Give a two-player ``model`` its Adam optimizers from ``config``'s learning rates."""
    d_updates = int(getattr(config, "n_critic", 1))
    model.compile(
        d_optimizer=adam(config, config.d_learning_rate, "d", d_updates),
        g_optimizer=adam(config, config.g_learning_rate, "g"),
    )


def build_compiled(
    model_class: type,
    generator: keras.Model,
    discriminator: keras.Model,
    config: OptimizerConfig,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """``model_class(generator, discriminator, *args, seed=config.seed, **kwargs)`` with both
    networks in ``config.precision`` (:func:`set_precision`), compiled with Adam from
    ``config`` (:func:`compile_with_adam`): what building any two-player run ends with."""
    model = model_class(
        set_precision(generator, config.precision),
        set_precision(discriminator, config.precision),
        *args,
        seed=config.seed,
        **kwargs,
    )
    compile_with_adam(model, config)
    return model
