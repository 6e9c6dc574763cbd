"""The few lines that differ between the TensorFlow and the JAX backends of Keras 3.

Introduced in notebooks/03_losses.ipynb (gradients) and notebooks/04_training.ipynb (compiled
steps, devices).

Everything else in the kit is written with ``keras.layers`` and ``keras.ops`` and runs
unchanged under ``KERAS_BACKEND=tensorflow`` (the default) and ``KERAS_BACKEND=jax``. What
cannot be written that way lives here, one job a file:

- :mod:`~audiogan_kit.backend.gradients`: :func:`input_gradient` (a critic's gradient with
  respect to its input, for WGAN-GP and R1), :func:`value_and_gradients` and
  :func:`loss_and_gradients` (a loss's gradient with respect to weights);
- :mod:`~audiogan_kit.backend.steps`: :func:`compile_step` (``tf.function`` or ``jax.jit`` of a
  training step), :func:`compile_function` (a small eager loop made a graph),
  :func:`apply_gradients` (also for loss scaling inside a compiled JAX step);
- :mod:`~audiogan_kit.backend.devices`: :func:`data_parallel` / :class:`DataParallel`
  (``tf.distribute.MirroredStrategy`` or ``keras.distribution.DataParallel``),
  :func:`replica_context`, :func:`device_summary`.

TensorFlow is imported lazily, only under its backend.
"""

from .active import backend_name
from .devices import (
    DataParallel,
    data_parallel,
    device_summary,
    replica_context,
    split_batch,
    visible_devices,
)
from .gradients import ChainedScope, input_gradient, loss_and_gradients, value_and_gradients
from .steps import apply_gradients, compile_function, compile_step, default_jit_compile

__all__ = [
    "ChainedScope",
    "DataParallel",
    "apply_gradients",
    "backend_name",
    "compile_function",
    "compile_step",
    "data_parallel",
    "default_jit_compile",
    "device_summary",
    "input_gradient",
    "loss_and_gradients",
    "replica_context",
    "split_batch",
    "value_and_gradients",
    "visible_devices",
]
