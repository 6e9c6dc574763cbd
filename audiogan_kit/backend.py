"""The few lines that differ between the TensorFlow and the JAX backends of Keras 3.

Introduced in notebooks/03_losses.ipynb.

Everything else in the kit is written with ``keras.layers`` and ``keras.ops`` and runs
unchanged under ``KERAS_BACKEND=tensorflow`` (the default) and ``KERAS_BACKEND=jax``.
Two things cannot be written that way, because Keras 3 has no backend-neutral ``grad``:

- :func:`input_gradient`, the gradient of a critic with respect to its *input*, which the
  gradient penalties (WGAN-GP, R1) in :mod:`audiogan_kit.losses` need;
- :func:`value_and_gradients`, the gradient of a loss with respect to a list of *weights*, for
  small training loops outside ``model.fit`` (the toy GAN of notebook 03, the one-step tests);
- :func:`compile_function`, which turns such a training step into a graph where that is a
  one-line change (``tf.function``);
- :func:`loss_and_gradients` and :func:`compile_step`, the same for the trainer of
  :mod:`audiogan_kit.training`: gradients with auxiliary outputs, and a step compiled with
  ``tf.function`` under TensorFlow or ``jax.jit`` (as a pure function of every variable it
  touches) under JAX.

TensorFlow records operations on a ``tf.GradientTape``; JAX differentiates a pure function,
so under JAX the weights are passed in through a ``keras.StatelessScope`` and every variable
the loss assigned to (batch-norm statistics, spectral-norm vectors, random-seed states) is
committed afterwards. Both functions nest: a gradient penalty computed inside
:func:`value_and_gradients` (or inside a Keras ``train_step``) is differentiated again with
respect to the weights. TensorFlow is imported lazily, only under its backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import ops

__all__ = [
    "backend_name",
    "compile_function",
    "compile_step",
    "default_jit_compile",
    "input_gradient",
    "loss_and_gradients",
    "value_and_gradients",
]

_SUPPORTED = ("tensorflow", "jax")


def backend_name() -> str:
    """The active Keras backend, ``"tensorflow"`` or ``"jax"``.

    Raises:
        ValueError: under any other backend (e.g. torch), which the kit does not support;
            set ``KERAS_BACKEND=tensorflow`` or ``KERAS_BACKEND=jax`` before importing Keras.
    """
    name = keras.backend.backend()
    if name not in _SUPPORTED:
        raise ValueError(
            f"audiogan_kit supports the Keras backends {_SUPPORTED}, but KERAS_BACKEND is "
            f"{name!r}; set KERAS_BACKEND=tensorflow or KERAS_BACKEND=jax before importing keras."
        )
    return name


def input_gradient(fn: Callable[[Any], Any], inputs: Any) -> Any:
    """Gradient of ``sum(fn(inputs))`` with respect to ``inputs``.

    When ``fn`` treats every example independently (a critic without batch norm), row ``i``
    of the result is the gradient of ``fn(inputs)[i]`` with respect to ``inputs[i]``, which is
    what a gradient penalty needs.

    Args:
        fn: maps a float tensor ``[batch, ...]`` to scores ``[batch, 1]`` (a critic, or any
            function of Keras ops); it may read Keras weights, and the result stays
            differentiable with respect to them.
        inputs: float32 tensor or array ``[batch, ...]``.

    Returns:
        float32 backend tensor of the same shape as ``inputs``.
    """
    name = backend_name()
    inputs = ops.convert_to_tensor(inputs, dtype="float32")
    if name == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(inputs)
            total = ops.sum(fn(inputs))
        return tape.gradient(total, inputs)

    import jax

    return jax.grad(lambda x: ops.sum(fn(x)))(inputs)


class _ChainedScope(keras.StatelessScope):
    """A ``StatelessScope`` that falls back to the enclosing scope for unmapped variables.

    Keras' own scope falls back to a variable's stored value; inside a step that is itself
    traced in a stateless scope, the inner scope must see the step's current (traced) values.
    """

    def get_current_value(self, variable):
        value = super().get_current_value(variable)
        if value is None and self.original_scope is not None:
            value = self.original_scope.get_current_value(variable)
        return value


def value_and_gradients(
    loss_fn: Callable[[], Any], variables: Sequence[keras.Variable]
) -> tuple[Any, list[Any]]:
    """Evaluate ``loss_fn()`` and its gradient with respect to ``variables``, eagerly.

    Use it for small training loops outside ``model.fit``::

        loss, grads = value_and_gradients(lambda: d_loss_fn(...), disc.trainable_weights)
        optimizer.apply(grads, disc.trainable_weights)

    Variables that ``loss_fn`` assigns to while it runs (batch-norm moving statistics,
    spectral-norm power-iteration vectors, ``keras.random.SeedGenerator`` states) hold their
    new values afterwards under both backends. (With spectral normalisation, Keras stores the
    normalised kernel; under JAX the gradient also flows through the normalisation, under
    TensorFlow it does not.)

    Args:
        loss_fn: takes no argument and returns a scalar loss (float32).
        variables: the Keras variables to differentiate with respect to, e.g.
            ``model.trainable_weights``.

    It also works inside a step that is itself traced in a stateless scope (a Keras JAX
    ``train_step``, a ``jax.jit``-compiled step): variables that are not differentiated take
    their values from that enclosing scope.

    Returns:
        ``(loss, gradients)``: the scalar loss and one gradient per variable (same shapes),
        as backend tensors. A variable the loss does not depend on gets a zero gradient
        under both backends.
    """
    loss, _aux, grads = loss_and_gradients(lambda: (loss_fn(), {}), variables)
    return loss, grads


def compile_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled into a graph under TensorFlow (``tf.function``); unchanged under JAX.

    For a small training step that reads and assigns Keras variables (calls
    :func:`value_and_gradients` and ``optimizer.apply``): under TensorFlow the compiled step
    runs ~10-30x faster than eagerly. Call it with tensors of a fixed shape (e.g.
    ``keras.ops.convert_to_tensor(batch)``) so it is traced once; build optimizers first
    (``optimizer.build(model.trainable_weights)``). Under JAX, ``jax.jit`` needs the stateless
    API (``model.stateless_call``) instead, so ``fn`` is returned as it is and runs eagerly.
    AutoGraph is off: use Python control flow on Python values only, not on tensors.
    """
    if backend_name() == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, autograph=False)
    return fn


# --- compiled training steps (used by audiogan_kit.training) ----------------------------------


def loss_and_gradients(
    loss_fn: Callable[[], tuple[Any, dict[str, Any]]], variables: Sequence[keras.Variable]
) -> tuple[Any, dict[str, Any], list[Any]]:
    """``loss_fn()`` -> ``(loss, aux)`` and the gradient of ``loss`` with respect to ``variables``.

    Like :func:`value_and_gradients`, with auxiliary outputs, and usable inside a step
    compiled by :func:`compile_step` under both backends (under JAX the step is itself a
    stateless scope: the values of variables not differentiated come from it). A variable the
    loss does not depend on gets a zero gradient under both backends.

    Returns:
        ``(loss, aux, gradients)``: scalar float32, the dict ``loss_fn`` returned, one
        gradient per variable (same shapes).
    """
    name = backend_name()
    variables = list(variables)
    if name == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss, aux = loss_fn()
        grads = tape.gradient(loss, variables)
        grads = [ops.zeros_like(v.value) if g is None else g for g, v in zip(grads, variables, strict=True)]
        return loss, aux, grads

    import jax

    assigned = {}  # id -> variable assigned inside the loss (no annotation: AutoGraph)

    class _RecordingScope(_ChainedScope):
        def add_update(self, update):
            assigned[id(update[0])] = update[0]
            super().add_update(update)

    def pure_loss(values):
        assigned.clear()
        with _RecordingScope(state_mapping=list(zip(variables, values, strict=True))) as scope:
            loss, aux = loss_fn()
        updated = [scope.get_current_value(v) for v in assigned.values()]
        return loss, (aux, updated)

    (loss, (aux, updated)), grads = jax.value_and_grad(pure_loss, has_aux=True)(
        [v.value for v in variables]
    )
    for variable, value in zip(list(assigned.values()), updated, strict=True):
        variable.assign(value)
    return loss, aux, list(grads)


def default_jit_compile() -> bool:
    """XLA for TensorFlow steps: on when a GPU is visible, off on CPU (measured ~3x slower)."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def compile_step(
    step_fn: Callable[[Any], dict[str, Any]],
    state: Sequence[keras.Variable],
    jit_compile: bool | None = None,
) -> Callable[[Any], dict[str, Any]]:
    """Compile a training step written with Keras ops and variable assignments.

    Under TensorFlow: ``tf.function(step_fn, jit_compile=...)`` (``None`` = XLA only with a
    GPU). Under JAX: ``jax.jit`` of a pure function of every variable in ``state``, run in a
    stateless scope; the new values are assigned back after each call, so callers see the
    same stateful behaviour under both backends.

    Args:
        step_fn: takes one argument (the batch, a nest of arrays) and returns a dict of
            scalars; it may read and assign any variable of ``state``.
        state: every variable the step reads or writes (weights, optimizer slots,
            random-seed states, metric totals).
        jit_compile: see above; ignored under JAX (always compiled by XLA).

    Returns:
        ``run(batch) -> dict of backend scalars``.
    """
    name = backend_name()
    if name == "tensorflow":
        import tensorflow as tf

        if jit_compile is None:
            jit_compile = default_jit_compile()
        return tf.function(step_fn, jit_compile=bool(jit_compile), reduce_retracing=True)

    import jax

    state = list(state)

    def pure(values, batch):
        with _ChainedScope(state_mapping=list(zip(state, values, strict=True))) as scope:
            outputs = step_fn(batch)
        return outputs, [scope.get_current_value(v) for v in state]

    compiled = jax.jit(pure)

    def run(batch):
        outputs, values = compiled([v.value for v in state], batch)
        for variable, value in zip(state, values, strict=True):
            variable.assign(value)
        return outputs

    return run
