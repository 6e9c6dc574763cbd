"""Gradients under TensorFlow and JAX: of a critic with respect to its input, and of a loss
with respect to a list of weights.

Keras 3 has no backend-neutral ``grad``. TensorFlow records operations on a
``tf.GradientTape``; JAX differentiates a pure function, so under JAX the weights are passed
in through a ``keras.StatelessScope`` and every variable the loss assigned to (batch-norm
statistics, spectral-norm vectors, random-seed states) is committed afterwards. The functions
nest: a gradient penalty computed inside :func:`loss_and_gradients` (or inside a compiled
training step) is differentiated again with respect to the weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import ops

from .active import backend_name

__all__ = ["ChainedScope", "input_gradient", "loss_and_gradients", "value_and_gradients"]


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


class ChainedScope(keras.StatelessScope):
    """A ``StatelessScope`` that falls back to the enclosing scope for unmapped variables.

    Keras' own scope falls back to a variable's stored value; inside a step that is itself
    traced in a stateless scope, the inner scope must see the step's current (traced) values.
    """

    def get_current_value(self, variable):
        value = super().get_current_value(variable)
        if value is None and self.original_scope is not None:
            value = self.original_scope.get_current_value(variable)
        return value


def loss_and_gradients(
    loss_fn: Callable[[], tuple[Any, dict[str, Any]]], variables: Sequence[keras.Variable]
) -> tuple[Any, dict[str, Any], list[Any]]:
    """``loss_fn()`` -> ``(loss, aux)`` and the gradient of ``loss`` with respect to ``variables``.

    Like :func:`value_and_gradients`, with auxiliary outputs, and usable inside a step
    compiled by :func:`~audiogan_kit.backend.compile_step` under both backends (under JAX
    the step is itself a stateless scope: the values of variables not differentiated come
    from it). A variable the loss does not depend on gets a zero gradient under both
    backends.

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
        grads = [
            ops.zeros_like(v.value) if g is None else g
            for g, v in zip(grads, variables, strict=True)
        ]
        return loss, aux, grads

    import jax

    assigned = {}  # id -> variable assigned inside the loss (no annotation: AutoGraph)

    class _RecordingScope(ChainedScope):
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
