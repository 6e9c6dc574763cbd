"""SEGAN as a two-player model: an enhancer and a discriminator of (noisy, candidate) pairs.

Introduced in notebooks/06_enhancement.ipynb.

:class:`EnhancementGAN` is a sibling of :class:`~audiogan_kit.training.GAN` over
:class:`~audiogan_kit.training.two_player.TwoPlayerModel`: the same optimizers, update and
checkpoint state, with its own conditional (pair) step. :func:`build_enhancement_gan` makes one,
compiled, from an :class:`~audiogan_kit.training.EnhancerTrainConfig`.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from .. import losses, models
from ..arrays import to_numpy
from ..config import AudioConfig
from .configs import EnhancerTrainConfig
from .precision import build_compiled
from .two_player import TwoPlayerModel

__all__ = ["EnhancementGAN", "build_enhancement_gan", "enhance_windows"]


class EnhancementGAN(TwoPlayerModel):
    """SEGAN: a generator that enhances noisy speech and a discriminator of pairs.

    ``train_step(data)`` takes ``(noisy, clean)``, each float32 ``[batch, samples, 1]`` in
    [-1, 1]. With ``e = G(noisy)``:

    - discriminator (skipped when ``adversarial_weight == 0``): least squares,
      ``L_D = 1/2 E[(D(noisy, clean) - 1)^2] + 1/2 E[D(noisy, e)^2]``
      (:func:`~audiogan_kit.losses.lsgan_discriminator_loss`);
    - generator: ``L_G = adversarial_weight * 1/2 E[(D(noisy, e) - 1)^2] + l1_weight *
      mean|e - clean| + spectral_weight * S(e, clean)``
      (:func:`~audiogan_kit.losses.lsgan_generator_loss` + :func:`~audiogan_kit.losses.l1_loss`
      + :func:`~audiogan_kit.losses.spectral_loss` at ``spectral_fft_sizes``, skipped when
      ``spectral_weight == 0``).

    It returns float32 scalars ``d_loss`` (0 without the adversarial term), ``g_loss`` (the
    sum), ``g_adversarial``, ``l1`` (the weighted L1 term), ``spectral`` (the weighted
    spectral term, 0 when off), ``d_real``, ``d_fake`` (mean logits), ``d_grad_norm``,
    ``g_grad_norm``.

    Args:
        generator: from :func:`~audiogan_kit.models.build_enhancer_generator`.
        discriminator: from :func:`~audiogan_kit.models.build_pair_discriminator`.
        audio: the :class:`AudioConfig` of the pairs (the spectral term's STFT settings).
        l1_weight, adversarial_weight, spectral_weight, spectral_fft_sizes: as in
            :class:`~audiogan_kit.training.EnhancerTrainConfig`.
        seed: seeds the model's ``keras.random.SeedGenerator``.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        audio: AudioConfig,
        l1_weight: float = 100.0,
        adversarial_weight: float = 1.0,
        spectral_weight: float = 0.0,
        spectral_fft_sizes: tuple[int, ...] = (128, 256, 512),
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        self.audio = audio
        self.l1_weight = float(l1_weight)
        self.adversarial_weight = float(adversarial_weight)
        self.spectral_weight = float(spectral_weight)
        self.spectral_fft_sizes = tuple(int(n) for n in spectral_fft_sizes)

    def _pair_critic(self, noisy, candidate):
        return ops.cast(self.discriminator([noisy, candidate], training=True), "float32")

    def _pair_discriminator_update(self, noisy, clean):
        enhanced = ops.stop_gradient(ops.cast(self.generator(noisy, training=True), "float32"))

        def loss_fn():
            real_logits = self._pair_critic(noisy, clean)
            fake_logits = self._pair_critic(noisy, enhanced)
            aux = {"d_real": ops.mean(real_logits), "d_fake": ops.mean(fake_logits)}
            return losses.lsgan_discriminator_loss(real_logits, fake_logits), aux

        return self.optimize(self.d_optimizer, loss_fn, self.discriminator.trainable_variables)

    def _enhancer_update(self, noisy, clean):
        adversarial = self.adversarial_weight > 0

        def loss_fn():
            enhanced = ops.cast(self.generator(noisy, training=True), "float32")
            l1 = losses.l1_loss(clean, enhanced, self.l1_weight)
            spectral = ops.zeros((), "float32")
            if self.spectral_weight > 0:
                spectral = losses.spectral_loss(
                    clean, enhanced, self.audio, self.spectral_fft_sizes, self.spectral_weight
                )
            aux = {"g_adversarial": ops.zeros((), "float32"), "l1": l1, "spectral": spectral}
            if not adversarial:
                return l1 + spectral, aux
            fake_logits = self._pair_critic(noisy, enhanced)
            aux["g_adversarial"] = losses.lsgan_generator_loss(
                fake_logits, weight=self.adversarial_weight
            )
            return aux["g_adversarial"] + l1 + spectral, aux

        return self.optimize(self.g_optimizer, loss_fn, self.generator.trainable_variables)

    def train_step(self, data):
        """One discriminator update (unless L1-only) and one generator update; a dict."""
        noisy, clean = data
        noisy = ops.convert_to_tensor(noisy, dtype="float32")
        clean = ops.convert_to_tensor(clean, dtype="float32")
        zero = ops.zeros((), "float32")
        if self.adversarial_weight > 0:
            d_loss, d_aux, d_norm = self._pair_discriminator_update(noisy, clean)
        else:
            d_loss, d_aux, d_norm = zero, {"d_real": zero, "d_fake": zero}, zero
        g_loss, g_aux, g_norm = self._enhancer_update(noisy, clean)
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "g_adversarial": g_aux["g_adversarial"],
            "l1": g_aux["l1"],
            "spectral": g_aux["spectral"],
            "d_real": d_aux["d_real"],
            "d_fake": d_aux["d_fake"],
            "d_grad_norm": d_norm,
            "g_grad_norm": g_norm,
        }

    def enhance(self, noisy: Any, batch_size: int = 64) -> np.ndarray:
        """Enhance whole windows: float32 ``[n, samples, 1]`` (or ``[n, samples]``) -> same.

        The generator runs with ``training=False`` (SEGAN's z is 0), ``batch_size`` windows
        at a time.
        """
        return enhance_windows(self.generator, noisy, batch_size)


def enhance_windows(generator: keras.Model, noisy: Any, batch_size: int = 64) -> np.ndarray:
    """``generator`` (``training=False``) over whole windows, ``batch_size`` at a time.

    Args:
        noisy: float32 ``[n, samples, 1]`` or ``[n, samples]`` in [-1, 1].

    Returns:
        float32, the shape of ``noisy``.
    """
    noisy = to_numpy(noisy)
    shape = noisy.shape
    windows = noisy[..., None] if noisy.ndim == 2 else noisy
    outputs = [
        to_numpy(generator(windows[start : start + batch_size], training=False))
        for start in range(0, windows.shape[0], batch_size)
    ]
    return np.concatenate(outputs).reshape(shape)


def build_enhancement_gan(config: EnhancerTrainConfig) -> EnhancementGAN:
    """A compiled :class:`EnhancementGAN` for ``config``, with fresh weights.

    The weights are drawn from Keras' global random state: seed it first
    (``keras.utils.set_random_seed(config.seed)``, as
    :func:`~audiogan_kit.training.train_enhancer` does) for a reproducible start.
    """
    return build_compiled(
        EnhancementGAN,
        models.build_enhancer_generator(config.model),
        models.build_pair_discriminator(config.model),
        config,
        config.audio,
        l1_weight=config.l1_weight,
        adversarial_weight=config.adversarial_weight,
        spectral_weight=config.spectral_weight,
        spectral_fft_sizes=config.spectral_fft_sizes,
    )
