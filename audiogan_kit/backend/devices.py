"""Devices and data parallelism: what the kit runs on, and splitting a batch over devices.

Introduced in notebooks/04_training.ipynb. Under TensorFlow a
``tf.distribute.MirroredStrategy``; under JAX a ``keras.distribution.DataParallel``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from .active import backend_name

__all__ = [
    "DataParallel",
    "data_parallel",
    "device_summary",
    "replica_context",
    "split_batch",
    "visible_devices",
]


def visible_devices() -> list[str]:
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
    devices = visible_devices()
    names = " ".join(devices).lower()
    accelerator = "cpu"
    if "gpu" in names or "cuda" in names:
        accelerator = "gpu"
    elif "tpu" in names:
        accelerator = "tpu"
    return {
        "backend": backend_name(),
        "devices": devices,
        "accelerator": accelerator,
        "gpus": len(devices) if accelerator == "gpu" else 0,
    }


class DataParallel:
    """Data parallelism over ``num_replicas`` devices: each holds a copy of every variable.

    Build the models and optimizers inside :meth:`scope`, compile the step with
    ``compile_step(..., parallel=this)`` (:mod:`audiogan_kit.backend.steps`). Under TensorFlow a
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
    found = visible_devices()
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


def split_batch(batch: Any, parallel: DataParallel, batch_axis: int) -> Any:
    """Every array of ``batch`` split along ``batch_axis`` onto the devices of ``parallel``."""
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
