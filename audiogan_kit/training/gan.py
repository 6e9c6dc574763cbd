"""The GAN of the kit: noise (and a label) to audio, as a Keras model with its own step.

Introduced in notebooks/04_training.ipynb.

:class:`GAN` (a :class:`~audiogan_kit.training.two_player.TwoPlayerModel`) makes ``n_critic``
discriminator updates and one generator update per step with any loss of
:mod:`audiogan_kit.losses`, keeps an exponential moving average (EMA) of the generator's
weights for sampling, and returns a dict of numbers. The step is written once with
``keras.ops``; :func:`audiogan_kit.backend.compile_step` compiles it with ``tf.function``
(TensorFlow) or ``jax.jit`` (JAX). :func:`build_gan` makes one, compiled, from a
:class:`~audiogan_kit.training.TrainConfig`.
"""

from __future__ import annotations

import contextlib
from typing import Any

import keras
import numpy as np
from keras import ops

from .. import backend, losses, models
from ..layers import random_time_shift
from ..models import ModelConfig
from .configs import TrainConfig
from .precision import compile_with_adam, set_precision
from .two_player import TwoPlayerModel

__all__ = ["GAN", "build_gan"]


class GAN(TwoPlayerModel):
    """A generator, a discriminator and (optionally) an EMA copy of the generator.

    ``train_step(data)`` takes ``(real, labels)``: ``real`` float32
    ``[n_critic, batch, *sample_shape]`` (one batch per discriminator update) and ``labels``
    int32 ``[n_critic, batch]``; it returns float32 scalars ``d_loss``, ``g_loss``,
    ``penalty`` (gradient penalty and/or R1, included in ``d_loss``), ``d_real`` and
    ``d_fake`` (mean discriminator logits on the last real and fake batch), ``d_grad_norm`` and
    ``g_grad_norm`` (global L2 norms of the last gradients, unscaled).

    Under a 16-bit dtype policy (:func:`~audiogan_kit.training.precision.set_precision`) the
    models' outputs are cast to float32 before any loss; with a
    ``keras.optimizers.LossScaleOptimizer`` the losses are scaled before differentiation
    and the optimizer unscales (and skips a step whose gradients overflowed). Split over
    several devices (``parallel``, a :class:`~audiogan_kit.backend.DataParallel`), each
    TensorFlow replica takes its share of noise drawn for the whole batch, so a replica sees
    exactly the examples and noise a single device would, and divides its loss by the
    number of replicas (the optimizers sum the replicas' gradients); the reported numbers
    are averaged over the replicas, the gradient norms are the mean of the replicas' norms.

    Args:
        generator, discriminator: from :func:`audiogan_kit.models.build_generator` and
            :func:`~audiogan_kit.models.build_discriminator` (same :class:`ModelConfig`).
        model_config: their config.
        loss: a key of :data:`audiogan_kit.losses.LOSSES`.
        n_critic: discriminator updates per generator update.
        penalty_weight: weight of the loss's own penalty (WGAN-GP lambda); 0 = none.
        r1_weight: gamma of an R1 penalty on real data; 0 = none.
        ema_decay: EMA decay of the generator weights, or ``None``.
        seed: seeds the noise (a ``keras.random.SeedGenerator``).
        aux_weight: weight of the auxiliary classifier's cross-entropy (a discriminator with
            ``aux_classifier``): the discriminator learns the digit of real clips, the
            generator is pushed to make clips it classifies as the asked digit; 0 = off.
        augment_shift: the discriminator sees every example, real or generated, shifted in
            time by a random ``-n..n`` steps (frames or samples; DiffAugment-style, Zhao et
            al. 2020), so that it cannot memorise where things sit in the few training
            clips; 0 = off.
        ema_warmup: with ``w > 0`` the EMA decay at generator step ``t`` is
            ``min(ema_decay, (1 + t) / (w + t))``: the average follows the raw weights
            closely at the start, when they change fast.
        feature_matching: weight of :func:`audiogan_kit.losses.feature_matching_loss` in
            the generator's loss: the gap between the discriminator's mean features (per
            digit when conditional) on the step's real batch and on the generated one; 0 =
            off.

    With ``aux_weight > 0`` the step also returns ``aux_real`` (the discriminator's
    cross-entropy on real clips) and ``aux_fake`` (on the generator's, in its update); with
    ``feature_matching > 0``, ``feature_matching`` (the unweighted term).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        model_config: ModelConfig,
        loss: str = "wgan-gp",
        n_critic: int = 5,
        penalty_weight: float = 10.0,
        r1_weight: float = 0.0,
        ema_decay: float | None = 0.999,
        seed: int = 0,
        aux_weight: float = 0.0,
        augment_shift: int = 0,
        ema_warmup: int = 0,
        feature_matching: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        self.model_config = model_config
        self.loss_name = loss
        self.d_loss_fn, self.g_loss_fn = losses.LOSSES[loss]
        self.penalty_fn = losses.PENALTIES[loss][0] if loss in losses.PENALTIES else None
        self.n_critic = int(n_critic)
        self.penalty_weight = float(penalty_weight)
        self.r1_weight = float(r1_weight)
        self.ema_decay = ema_decay
        self.aux_weight = float(aux_weight)
        self.augment_shift = int(augment_shift)
        self.ema_warmup = int(ema_warmup)
        self.feature_matching = float(feature_matching)
        self.discriminator_features = None
        if self.feature_matching > 0:
            # The same layers as the discriminator, read at its penultimate layer.
            self.discriminator_features = keras.Model(
                discriminator.inputs, discriminator.get_layer("flatten").output
            )
        if self.aux_weight > 0 and not model_config.aux_classifier:
            raise ValueError("aux_weight > 0 needs a discriminator with aux_classifier=True.")
        self.ema_generator = None
        if ema_decay is not None:
            # A copy with the same layers and dtype policies, starting at the same weights.
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.trainable = False
            for target, source in zip(
                self.ema_generator.weights, generator.weights, strict=True
            ):
                target.assign(source.value)

    #: the axis of ``train_step``'s arrays that holds the examples (axis 0 is n_critic)
    batch_axis = 1

    # The pieces of a step -------------------------------------------------------------------

    def _generator_inputs(self, noise, labels):
        return [noise, labels] if self.model_config.conditional else noise

    def _critic_outputs(self, x, labels):
        """(logits float32 [batch, 1], class logits [batch, classes] or ``None``)."""
        inputs = [x, labels] if self.model_config.conditional else x
        out = self.discriminator(inputs, training=True)
        if self.model_config.aux_classifier:
            return ops.cast(out[0], "float32"), ops.cast(out[1], "float32")
        return ops.cast(out, "float32"), None

    def _critic(self, x, labels):
        return self._critic_outputs(x, labels)[0]

    def _class_loss(self, class_logits, labels):
        """The auxiliary classifier's mean cross-entropy, times ``aux_weight``."""
        entropy = ops.sparse_categorical_crossentropy(labels, class_logits, from_logits=True)
        return self.aux_weight * ops.mean(entropy)

    def _augment(self, x):
        """``x`` shifted in time by a random ``-n..n`` steps per example (``augment_shift``)."""
        if self.augment_shift == 0:
            return x
        shape = ops.shape(x)
        frames = ops.reshape(x, (shape[0], x.shape[1], -1))  # [batch, time, everything else]
        shifted = random_time_shift(frames, self.augment_shift, self.seed_generator)
        return ops.reshape(shifted, shape)

    def _generate(self, noise, labels):
        made = self.generator(self._generator_inputs(noise, labels), training=True)
        return ops.cast(made, "float32")

    def _noise(self, batch: int):
        """Standard normal float32 [batch, latent_dim]: this replica's share of the whole batch."""
        replica, replicas = backend.replica_context()
        latent = self.model_config.latent_dim
        noise = keras.random.normal((batch * replicas, latent), seed=self.seed_generator)
        if replicas == 1:
            return noise
        return ops.slice(noise, (replica * batch, 0), (batch, latent))

    def _discriminator_update(self, real, labels):
        batch = ops.shape(real)[0]
        fake = ops.stop_gradient(self._generate(self._noise(batch), labels))
        real, fake = self._augment(real), self._augment(fake)

        def loss_fn():
            real_logits, real_classes = self._critic_outputs(real, labels)
            fake_logits = self._critic(fake, labels)
            loss = self.d_loss_fn(real_logits, fake_logits)
            penalty = ops.zeros((), dtype="float32")
            critic = lambda x: self._critic(x, labels)  # noqa: E731
            if self.penalty_fn is not None and self.penalty_weight > 0:
                penalty = penalty + self.penalty_fn(
                    critic, real, fake, weight=self.penalty_weight, seed=self.seed_generator
                )
            if self.r1_weight > 0:
                penalty = penalty + losses.r1_penalty(critic, real, weight=self.r1_weight)
            aux = {
                "penalty": penalty,
                "d_real": ops.mean(real_logits),
                "d_fake": ops.mean(fake_logits),
            }
            if self.aux_weight > 0:
                aux["aux_real"] = self._class_loss(real_classes, labels)
                loss = loss + aux["aux_real"]
            return loss + penalty, aux

        return self.optimize(self.d_optimizer, loss_fn, self.discriminator.trainable_variables)

    def _features(self, x, labels):
        inputs = [x, labels] if self.model_config.conditional else x
        return ops.cast(self.discriminator_features(inputs, training=True), "float32")

    def _generator_update(self, labels, real):
        batch = ops.shape(labels)[0]
        noise = self._noise(batch)
        if self.feature_matching > 0:
            real_features = ops.stop_gradient(self._features(self._augment(real), labels))

        def loss_fn():
            made = self._augment(self._generate(noise, labels))
            logits, classes = self._critic_outputs(made, labels)
            loss = self.g_loss_fn(logits)
            aux = {}
            if self.feature_matching > 0:
                aux["feature_matching"] = losses.feature_matching_loss(
                    real_features,
                    self._features(made, labels),
                    labels if self.model_config.conditional else None,
                    self.model_config.num_classes,
                )
                loss = loss + self.feature_matching * aux["feature_matching"]
            if self.aux_weight > 0:
                aux["aux_fake"] = self._class_loss(classes, labels)
                loss = loss + aux["aux_fake"]
            return loss, aux

        return self.optimize(self.g_optimizer, loss_fn, self.generator.trainable_variables)

    def _update_ema(self) -> None:
        if self.ema_generator is None:
            return
        decay = self.ema_decay
        if self.ema_warmup > 0:
            t = ops.cast(self.g_optimizer.iterations, "float32")
            decay = ops.minimum(decay, (1.0 + t) / (self.ema_warmup + t))
        for target, source in zip(self.ema_generator.weights, self.generator.weights, strict=True):
            target.assign(decay * target.value + (1.0 - decay) * source.value)

    def train_step(self, data):
        """``n_critic`` discriminator updates, one generator update, the EMA; a dict of scalars."""
        real, labels = data
        real = ops.convert_to_tensor(real, dtype="float32")
        labels = ops.convert_to_tensor(labels, dtype="int32")
        for k in range(self.n_critic):
            d_loss, d_aux, d_norm = self._discriminator_update(real[k], labels[k])
        last = self.n_critic - 1
        g_loss, g_aux, g_norm = self._generator_update(labels[last], real[last])
        self._update_ema()
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            **d_aux,
            **g_aux,
            "d_grad_norm": d_norm,
            "g_grad_norm": g_norm,
        }

    def generate(self, noise: Any, labels: Any | None = None, use_ema: bool = True) -> np.ndarray:
        """Samples from the EMA generator (or the raw one): float32 [n, *sample_shape]."""
        model = self.generator
        if use_ema and self.ema_generator is not None:
            model = self.ema_generator
        noise = ops.convert_to_tensor(np.asarray(noise, dtype=np.float32))
        if self.model_config.conditional:
            if labels is None:
                raise ValueError("a conditional GAN needs labels int [n] to generate.")
            labels = ops.convert_to_tensor(np.asarray(labels, dtype=np.int32))
        made = model(self._generator_inputs(noise, labels), training=False)
        return np.asarray(ops.convert_to_numpy(made), dtype=np.float32)

    def state_groups(self) -> dict[str, list[keras.Variable]]:
        """The base groups, plus ``ema_generator`` when the GAN keeps one."""
        groups = super().state_groups()
        if self.ema_generator is not None:
            groups["ema_generator"] = list(self.ema_generator.variables)
        return groups


def build_gan(config: TrainConfig, devices: int | None = None) -> GAN:
    """A compiled :class:`GAN` for ``config``, with fresh weights.

    The models compute in ``config.precision`` (see :func:`set_precision`) and, with
    several devices, are built inside a
    :class:`~audiogan_kit.backend.DataParallel` scope (kept as ``gan.parallel`` for
    :func:`~audiogan_kit.backend.compile_step`). The weights are drawn from Keras' global
    random state: seed it first (``keras.utils.set_random_seed(config.seed)``, as
    :func:`~audiogan_kit.training.train` does) for a reproducible start.

    Args:
        config: the run's config.
        devices: devices to split training over; ``None`` = ``config.devices``. Sampling
            from a trained run needs only 1.

    Raises:
        ValueError: fewer devices are visible than asked for.
    """
    devices = config.devices if devices is None else devices
    parallel = backend.data_parallel(devices)
    with parallel.scope() if parallel else contextlib.nullcontext():
        generator = set_precision(models.build_generator(config.model), config.precision)
        discriminator = set_precision(models.build_discriminator(config.model), config.precision)
        gan = GAN(
            generator,
            discriminator,
            config.model,
            loss=config.loss,
            n_critic=config.n_critic,
            penalty_weight=config.penalty_weight,
            r1_weight=config.r1_weight,
            ema_decay=config.ema_decay,
            seed=config.seed,
            aux_weight=config.aux_weight,
            augment_shift=config.augment_shift,
            ema_warmup=config.ema_warmup,
            feature_matching=config.feature_matching,
        )
        compile_with_adam(gan, config)
    gan.parallel = parallel
    return gan
