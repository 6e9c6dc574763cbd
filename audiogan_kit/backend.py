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
  touches) under JAX;
- :func:`apply_gradients`, ``optimizer.apply`` that also works for a
  ``keras.optimizers.LossScaleOptimizer`` (mixed float16) inside a compiled JAX step;
- data parallelism over several devices (introduced in notebooks/04_training.ipynb):
  :func:`data_parallel` makes a :class:`DataParallel` (``tf.distribute.MirroredStrategy``
  under TensorFlow, ``keras.distribution.DataParallel`` under JAX), whose ``scope()`` the
  models and optimizers are built in and which :func:`compile_step` splits each batch with;
  :func:`replica_context` tells a step which share of the batch it holds;
  :func:`device_summary` says what the kit runs on.

TensorFlow records operations on a ``tf.GradientTape``; JAX differentiates a pure function,
so under JAX the weights are passed in through a ``keras.StatelessScope`` and every variable
the loss assigned to (batch-norm statistics, spectral-norm vectors, random-seed states) is
committed afterwards. Both functions nest: a gradient penalty computed inside
:func:`value_and_gradients` (or inside a Keras ``train_step``) is differentiated again with
respect to the weights. TensorFlow is imported lazily, only under its backend.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import ops

__all__ = [
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


# --- several devices --------------------------------------------------------------------------


def _devices() -> list[str]:
    """The accelerators Keras sees (GPUs/TPUs), or the CPUs when there is none."""
    found = keras.distribution.list_devices() if backend_name() == "jax" else None
    if found is None:
        import tensorflow as tf

        found = [d.name for d in tf.config.list_logical_devices("GPU")]
        found = found or [d.name for d in tf.config.list_logical_devices("CPU")]
    return [str(d) for d in found]


def device_summary() -> dict[str, Any]:
    """What the kit runs on: ``{"backend", "devices", "accelerator", "gpus"}``.

    ``devices`` lists the devices a step can be split over (GPUs when there are any, else
    the CPUs; a CPU split into logical devices counts each); ``accelerator`` is ``"gpu"``,
    ``"tpu"`` or ``"cpu"``; ``gpus`` counts the GPUs. Nothing is changed: Keras already
    places the models on the first GPU when one is visible.
    """
    devices = _devices()
    names = " ".join(devices).lower()
    accelerator = "gpu" if ("gpu" in names or "cuda" in names) else "tpu" if "tpu" in names else "cpu"
    return {
        "backend": backend_name(),
        "devices": devices,
        "accelerator": accelerator,
        "gpus": len(devices) if accelerator == "gpu" else 0,
    }


class DataParallel:
    """Data parallelism over ``num_replicas`` devices: each holds a copy of every variable.

    Build the models and optimizers inside :meth:`scope`, compile the step with
    ``compile_step(..., parallel=this)``. Under TensorFlow a
    ``tf.distribute.MirroredStrategy``: the step runs once per device on its share of the
    batch, the optimizers sum the replicas' gradients (so a step scales its loss by
    ``1 / num_replicas``, see :func:`replica_context`) and the returned numbers are averaged
    over the replicas. Under JAX a ``keras.distribution.DataParallel``: the variables are
    replicated, the batch is sharded along its batch axis and XLA splits the one compiled
    step (the step sees the whole batch: ``replica_context()`` is ``(0, 1)``).

    Attributes:
        num_replicas: devices the batch is split over.
        devices: their names.
        strategy: the ``tf.distribute.MirroredStrategy`` (TensorFlow) or the
            ``keras.distribution.DataParallel`` (JAX).
    """

    def __init__(self, devices: Sequence[str]) -> None:
        self.devices = list(devices)
        self.num_replicas = len(self.devices)
        if backend_name() == "tensorflow":
            import tensorflow as tf

            self.strategy = tf.distribute.MirroredStrategy(self.devices)
        else:
            self.strategy = keras.distribution.DataParallel(devices=self.devices)

    def scope(self) -> contextlib.AbstractContextManager:
        """Create variables inside it (models, optimizers, seed generators, metrics)."""
        return self.strategy.scope()

    def __repr__(self) -> str:
        return f"DataParallel({self.num_replicas} devices: {', '.join(self.devices)})"


def data_parallel(devices: int) -> DataParallel | None:
    """A :class:`DataParallel` over the first ``devices`` devices, or ``None`` for one device.

    Args:
        devices: how many GPUs (or, without a GPU, CPU devices) to split each batch over;
            1 = no split (Keras places everything on the first GPU if there is one).

    Raises:
        ValueError: fewer devices are visible than asked for (the message lists them).
    """
    if devices < 1:
        raise ValueError(f"devices must be a positive integer, got {devices}.")
    if devices == 1:
        return None
    found = _devices()
    if len(found) < devices:
        raise ValueError(
            f"devices={devices} asked for, but only {len(found)} are visible ({found}); set "
            "devices to at most that (on a CPU, TensorFlow can split it into logical devices "
            "with tf.config.set_logical_device_configuration before first use; JAX with "
            "XLA_FLAGS=--xla_force_host_platform_device_count=N)."
        )
    return DataParallel(found[:devices])


def replica_context() -> tuple[Any, int]:
    """``(replica_id, num_replicas)`` of the code that runs now.

    Inside a TensorFlow step split by a :class:`DataParallel` this is the replica's index (a
    scalar int32 tensor) and the number of replicas; everywhere else (one device, or JAX,
    where the compiled step sees the whole batch) it is ``(0, 1)``. A step uses it to take its
    share of anything drawn for the whole batch and to scale its loss by ``1 / num_replicas``.
    """
    if backend_name() == "tensorflow":
        import tensorflow as tf

        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            return context.replica_id_in_sync_group, int(context.num_replicas_in_sync)
    return 0, 1


def _split(batch: Any, parallel: DataParallel, batch_axis: int) -> Any:
    """Every array of ``batch`` split along ``batch_axis`` onto the devices of ``parallel``."""
    import numpy as np

    leaves = keras.tree.flatten(batch)
    for leaf in leaves:
        if np.shape(leaf)[batch_axis] % parallel.num_replicas:
            raise ValueError(
                f"a batch of {np.shape(leaf)[batch_axis]} examples cannot be split evenly over "
                f"{parallel.num_replicas} devices; make batch_size a multiple of "
                f"{parallel.num_replicas}."
            )
    if backend_name() == "tensorflow":

        def shard(context):
            share = np.shape(leaves[0])[batch_axis] // parallel.num_replicas
            start = context.replica_id_in_sync_group * share
            index = [slice(None)] * batch_axis + [slice(start, start + share)]
            return keras.tree.map_structure(lambda x: np.asarray(x)[tuple(index)], batch)

        return parallel.strategy.experimental_distribute_values_from_function(shard)

    import jax

    def put(x):
        axes = [None] * np.ndim(x)
        axes[batch_axis] = "batch"
        layout = keras.distribution.TensorLayout(axes, parallel.strategy.device_mesh)
        return jax.device_put(x, layout.backend_layout)

    return keras.tree.map_structure(put, batch)


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
        return lambda batch: compiled_replicated(_split(batch, parallel, batch_axis))

    import jax

    state = list(state)

    def pure(values, batch):
        with _ChainedScope(state_mapping=list(zip(state, values, strict=True))) as scope:
            outputs = step_fn(batch)
        return outputs, [scope.get_current_value(v) for v in state]

    compiled = jax.jit(pure)

    def run(batch):
        if parallel is not None:
            batch = _split(batch, parallel, batch_axis)
        outputs, values = compiled([v.value for v in state], batch)
        for variable, value in zip(state, values, strict=True):
            variable.assign(value)
        return outputs

    return run
