"""A generator and a discriminator trained against each other: what every kind of GAN shares.

Introduced in notebooks/04_training.ipynb.

:class:`TwoPlayerModel` is a ``keras.Model`` that holds the two networks, their two
optimizers (``compile(d_optimizer, g_optimizer)``) and a random-seed state, differentiates and
applies one player's loss (:meth:`TwoPlayerModel.optimize`), and lists every variable a
checkpoint must hold (:meth:`TwoPlayerModel.state_groups`). The kinds of GAN are siblings over
it: :class:`~audiogan_kit.training.GAN` (noise to audio) and
:class:`~audiogan_kit.training.EnhancementGAN` (noisy to clean audio); each writes its own
``train_step``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import ops

from .. import backend

__all__ = ["TwoPlayerModel", "global_norm"]


def global_norm(gradients: Sequence[Any]) -> Any:
    """The L2 norm of all gradients together: ``sqrt(sum_i ||g_i||^2)``, float32 scalar."""
    return ops.sqrt(sum(ops.sum(ops.square(g)) for g in gradients))


class TwoPlayerModel(keras.Model):
    """Two networks, two optimizers, one seed state; the base of every GAN of the kit.

    ``train_step(data)`` (written by each subclass) returns a dict of float32 scalars; it is
    compiled by :func:`audiogan_kit.backend.compile_step` with :meth:`all_state` as its state.

    Args:
        generator, discriminator: functional ``keras.Model``\\ s.
        seed: seeds the model's ``keras.random.SeedGenerator`` (noise drawn in a step).

    Attributes:
        parallel: the :class:`~audiogan_kit.backend.DataParallel` the models were built
            under (set by the builder), or ``None`` for one device.
        batch_axis: the axis of ``train_step``'s arrays that holds the examples.
    """

    batch_axis = 0

    def __init__(
        self, generator: keras.Model, discriminator: keras.Model, seed: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.parallel = None

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer,
        g_optimizer: keras.optimizers.Optimizer,
        **kwargs: Any,
    ) -> None:
        """Attach the two optimizers and create their state (slots) right away."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    def optimize(
        self,
        optimizer: keras.optimizers.Optimizer,
        loss_fn: Callable[[], tuple[Any, dict[str, Any]]],
        variables: Sequence[keras.Variable],
    ) -> tuple[Any, dict[str, Any], Any]:
        """Differentiate ``loss_fn() -> (loss, aux)`` and apply; ``(loss, aux, grad_norm)``.

        The loss is scaled by the optimizer (float16 loss scaling; 1 otherwise) and divided
        by the number of replicas before differentiation (the optimizers sum the replicas'
        gradients); the returned loss and gradient norm are unscaled.
        """
        _, replicas = backend.replica_context()
        scale = optimizer.scale_loss(ops.ones((), "float32"))  # read before apply changes it

        def scaled_loss_fn():
            loss, aux = loss_fn()
            return optimizer.scale_loss(loss) / replicas, {**aux, "loss": loss}

        _, aux, grads = backend.loss_and_gradients(scaled_loss_fn, variables)
        backend.apply_gradients(optimizer, grads, variables)
        loss = aux.pop("loss")
        return loss, aux, global_norm(grads) * (replicas / scale)

    def state_groups(self) -> dict[str, list[keras.Variable]]:
        """Every variable of the model, by group, in a fixed order (what a checkpoint saves)."""
        return {
            "generator": list(self.generator.variables),
            "discriminator": list(self.discriminator.variables),
            "d_optimizer": list(self.d_optimizer.variables),
            "g_optimizer": list(self.g_optimizer.variables),
            "seed": [self.seed_generator.state],
        }

    def all_state(self) -> list[keras.Variable]:
        """Every variable a step reads or writes, each once (the compiled step's state)."""
        seen: dict[int, keras.Variable] = {}
        for group in self.state_groups().values():
            for variable in group:
                seen.setdefault(id(variable), variable)
        return list(seen.values())
