"""Compiled training steps: ``tf.function`` under TensorFlow, ``jax.jit`` under JAX.

A step is written once with Keras ops and variable assignments; :func:`compile_step` compiles
it (under JAX as a pure function of every variable it touches, whose new values are assigned
back after each call), optionally split over several devices. :func:`apply_gradients` is
``optimizer.apply`` that also works for loss scaling inside a compiled JAX step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras

from .active import backend_name
from .devices import DataParallel, split_batch
from .gradients import ChainedScope

__all__ = ["apply_gradients", "compile_function", "compile_step", "default_jit_compile"]


def compile_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled into a graph under TensorFlow (``tf.function``); unchanged under JAX.

    For a small training step that reads and assigns Keras variables (calls
    :func:`~audiogan_kit.backend.value_and_gradients` and ``optimizer.apply``): under
    TensorFlow the compiled step runs many times faster than eagerly. Call it with tensors
    of a fixed shape (e.g. ``keras.ops.convert_to_tensor(batch)``) so it is traced once;
    build optimizers first
    (``optimizer.build(model.trainable_weights)``). Under JAX, ``jax.jit`` needs the stateless
    API (``model.stateless_call``) instead, so ``fn`` is returned as it is and runs eagerly.
    AutoGraph is off: use Python control flow on Python values only, not on tensors.
    """
    if backend_name() == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, autograph=False)
    return fn


def default_jit_compile() -> bool:
    """XLA for TensorFlow steps: on when a GPU is visible, off on a CPU.

    On a CPU XLA did not pay in the kit's measurements (``benchmarks/presets.md``).
    """
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def apply_gradients(
    optimizer: keras.optimizers.Optimizer, grads: Sequence[Any], variables: Sequence[keras.Variable]
) -> None:
    """``optimizer.apply(grads, variables)``, also for loss scaling inside a compiled JAX step.

    A ``keras.optimizers.LossScaleOptimizer`` (mixed float16) chooses between "apply and
    maybe raise the scale" and "skip and halve the scale" with ``ops.cond``; under JAX that
    branch cannot assign variables inside a traced step, so its stateless form
    (``stateless_apply``) is used and the results are assigned afterwards. Every other case
    is the optimizer's own ``apply``. Under ``tf.distribute`` the optimizer sums the
    gradients of the replicas itself.
    """
    variables = list(variables)
    if backend_name() == "tensorflow" or not isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer
    ):
        optimizer.apply(grads, variables)
        return
    new_weights, new_slots = optimizer.stateless_apply(
        [v.value for v in optimizer.variables], list(grads), [v.value for v in variables]
    )
    for variable, value in zip(variables, new_weights, strict=True):
        variable.assign(value)
    for variable, value in zip(optimizer.variables, new_slots, strict=True):
        variable.assign(value)


def compile_step(
    step_fn: Callable[[Any], dict[str, Any]],
    state: Sequence[keras.Variable],
    jit_compile: bool | None = None,
    parallel: DataParallel | None = None,
    batch_axis: int = 0,
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
        parallel: a :class:`DataParallel` whose scope ``state`` was created in: each batch
            is split along ``batch_axis`` over its devices (TensorFlow: ``step_fn`` runs once
            per replica on its share and the returned scalars are averaged over the
            replicas; JAX: the batch is sharded and XLA splits the one step). ``None`` = one
            device. With TensorFlow, ``jit_compile`` is not used on a split step (XLA does
            not compile the replicas' gradient exchange).
        batch_axis: the axis of every batch array that holds the examples.

    Returns:
        ``run(batch) -> dict of backend scalars``.
    """
    name = backend_name()
    if name == "tensorflow":
        import tensorflow as tf

        if jit_compile is None:
            jit_compile = default_jit_compile()
        if parallel is None:
            return tf.function(step_fn, jit_compile=bool(jit_compile), reduce_retracing=True)
        strategy = parallel.strategy

        def replicated(batch):
            outputs = strategy.run(step_fn, args=(batch,))
            return {k: strategy.reduce("MEAN", v, axis=None) for k, v in outputs.items()}

        compiled_replicated = tf.function(replicated, reduce_retracing=True)
        return lambda batch: compiled_replicated(split_batch(batch, parallel, batch_axis))

    import jax

    state = list(state)

    def pure(values, batch):
        with ChainedScope(state_mapping=list(zip(state, values, strict=True))) as scope:
            outputs = step_fn(batch)
        return outputs, [scope.get_current_value(v) for v in state]

    compiled = jax.jit(pure)

    def run(batch):
        if parallel is not None:
            batch = split_batch(batch, parallel, batch_axis)
        outputs, values = compiled([v.value for v in state], batch)
        for variable, value in zip(state, values, strict=True):
            variable.assign(value)
        return outputs

    return run
