"""MetricGAN+ as a two-player model: a mask enhancer against a discriminator that predicts PESQ.

Introduced in notebooks/06_enhancement.ipynb.

:class:`MetricEnhancementGAN` is a sibling of :class:`~audiogan_kit.training.EnhancementGAN`
over :class:`~audiogan_kit.training.two_player.TwoPlayerModel`. PESQ is not differentiable
and runs in C on the CPU, so it is computed outside the compiled step, by the batch source
:class:`MetricBatches`: it enhances each batch with the current generator, scores the
outputs (and, once per clip, the noisy inputs) with :func:`audiogan_kit.metrics.pesq_nb`, and
hands the step the clips together with their normalised scores. The step itself only
regresses the discriminator on those targets and moves the generator up the discriminator's
predicted score. :func:`build_metric_enhancement_gan` makes one, compiled, from a
:class:`~audiogan_kit.training.MetricEnhancerTrainConfig`.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from .. import losses, models
from ..layers import stft_magnitudes
from .configs import MetricEnhancerTrainConfig
from .examples import batch_indices
from .pair_gan import enhance_windows
from .precision import build_compiled
from .two_player import TwoPlayerModel

__all__ = [
    "MetricBatches",
    "MetricEnhancementGAN",
    "build_metric_enhancement_gan",
    "metric_discriminator_loss",
    "metric_generator_loss",
]


def metric_discriminator_loss(predicted: Any, target: Any, weight: Any | None = None) -> Any:
    """The metric discriminator's regression: ``sum_i w_i (D_i - q_i)^2 / max(sum_i w_i, 1)``.

    Args:
        predicted: float32 ``[batch, 1]`` or ``[batch]``, the discriminator's scores.
        target: float32 ``[batch]``, the true normalised PESQ in [0, 1].
        weight: float32 ``[batch]``, 1 where the target is known and 0 where PESQ was
            undefined (no utterance found); ``None`` = all 1.

    Returns:
        A float32 scalar: the mean squared error over the clips with a target.
    """
    predicted = ops.reshape(ops.cast(predicted, "float32"), (-1,))
    target = ops.cast(target, "float32")
    weight = ops.ones_like(target) if weight is None else ops.cast(weight, "float32")
    return ops.sum(weight * ops.square(predicted - target)) / ops.maximum(ops.sum(weight), 1.0)


def metric_generator_loss(predicted: Any, weight: float = 1.0) -> Any:
    """MetricGAN's generator term: ``weight * mean((D(G(noisy), clean) - 1)^2)``: ask for the
    best score (1 = the clean clip's normalised PESQ)."""
    predicted = ops.cast(predicted, "float32")
    return weight * ops.mean(ops.square(predicted - 1.0))


class MetricEnhancementGAN(TwoPlayerModel):
    """A mask enhancer and a metric discriminator (MetricGAN+, Fu et al. 2021).

    ``train_step(data)``: with the adversarial term, ``data`` is what :class:`MetricBatches`
    returns: ``(noisy, clean, enhanced, enhanced_score, noisy_score, enhanced_known,
    noisy_known, generator_on)``, waveforms float32 ``[batch, samples, 1]``, scores
    (normalised PESQ in [0, 1]), "known" flags (1/0) and ``generator_on`` (all 0 during
    the discriminator's warm-up, else all 1) float32 ``[batch]``; ``enhanced`` is the
    generator's output at the start of the step. With ``M(x)`` the STFT magnitude and
    ``D(a, b)`` the discriminator:

    - discriminator: ``L_D = mse(D(M(enhanced), M(clean)), enhanced_score) +
      mean((D(M(clean), M(clean)) - 1)^2) + mse(D(M(noisy), M(clean)), noisy_score)``
      (:func:`metric_discriminator_loss`; MetricGAN+ added the noisy term);
    - generator: ``L_G = adversarial_weight * mean((D(M(G(noisy)), M(clean)) - 1)^2) +
      magnitude_weight * L(G(noisy), clean)`` (:func:`metric_generator_loss` and
      :func:`~audiogan_kit.losses.magnitude_loss` at the mask's STFT), times
      ``generator_on``: during the warm-up its gradients are 0, and Adam, whose moments
      are still 0, leaves the weights exactly as they are (an untrained critic would only
      lead the mask astray).

    Without the adversarial term (``adversarial_weight == 0``) ``data`` is ``(noisy, clean)``
    and only the generator is updated.

    It returns float32 scalars ``d_loss`` (0 without the adversarial term), ``g_loss``,
    ``g_adversarial``, ``magnitude`` (the weighted magnitude term), ``d_enhanced``,
    ``d_clean``, ``d_noisy`` (mean predicted scores), ``pesq_enhanced`` and
    ``pesq_noisy`` (the batch's mean true normalised PESQ, where known: the enhancer's real
    progress), ``d_grad_norm``, ``g_grad_norm``.

    Args:
        generator: from :func:`~audiogan_kit.models.build_mask_generator`.
        discriminator: from :func:`~audiogan_kit.models.build_metric_discriminator`.
        config: the run's :class:`~audiogan_kit.training.MetricEnhancerTrainConfig`.
        seed: seeds the model's ``keras.random.SeedGenerator``.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        config: MetricEnhancerTrainConfig,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        self.audio = config.audio
        self.n_fft = config.model.n_fft
        self.hop_length = config.model.hop_length
        self.adversarial_weight = float(config.adversarial_weight)
        self.magnitude_weight = float(config.magnitude_weight)

    def magnitude(self, waveform: Any) -> Any:
        """STFT magnitude float32 ``[batch, frames, bins]`` of ``[batch, samples, 1]`` audio."""
        return stft_magnitudes(waveform, self.n_fft, self.hop_length)

    def score(self, candidate: Any, clean: Any, training: bool = False) -> Any:
        """The discriminator's predicted normalised PESQ of ``candidate`` against ``clean``
        (waveforms ``[batch, samples, 1]``): float32 ``[batch]``."""
        magnitudes = [self.magnitude(candidate), self.magnitude(clean)]
        predicted = self.discriminator(magnitudes, training=training)
        return ops.reshape(ops.cast(predicted, "float32"), (-1,))

    def _discriminator_update(self, noisy, clean, enhanced, targets):
        enhanced_score, noisy_score, enhanced_known, noisy_known = targets
        ones = ops.ones_like(enhanced_score)

        def loss_fn():
            d_enhanced = self.score(enhanced, clean, training=True)
            d_clean = self.score(clean, clean, training=True)
            d_noisy = self.score(noisy, clean, training=True)
            loss = (
                metric_discriminator_loss(d_enhanced, enhanced_score, enhanced_known)
                + metric_discriminator_loss(d_clean, ones)
                + metric_discriminator_loss(d_noisy, noisy_score, noisy_known)
            )
            aux = {
                "d_enhanced": ops.mean(d_enhanced),
                "d_clean": ops.mean(d_clean),
                "d_noisy": ops.mean(d_noisy),
            }
            return loss, aux

        return self.optimize(self.d_optimizer, loss_fn, self.discriminator.trainable_variables)

    def _generator_update(self, noisy, clean, generator_on):
        adversarial = self.adversarial_weight > 0

        def loss_fn():
            enhanced = ops.cast(self.generator(noisy, training=True), "float32")
            total = ops.zeros((), "float32")
            aux = {"g_adversarial": total, "magnitude": total}
            if self.magnitude_weight > 0:
                aux["magnitude"] = losses.magnitude_loss(
                    clean, enhanced, self.n_fft, self.hop_length, self.magnitude_weight
                )
            if adversarial:
                predicted = self.score(enhanced, clean, training=True)
                aux["g_adversarial"] = metric_generator_loss(predicted, self.adversarial_weight)
            total = aux["g_adversarial"] + aux["magnitude"]
            return total * generator_on, {**aux, "unscaled": total}

        return self.optimize(self.g_optimizer, loss_fn, self.generator.trainable_variables)

    def train_step(self, data):
        """One discriminator update (unless the metric term is off), one generator update."""
        noisy = ops.convert_to_tensor(data[0], dtype="float32")
        clean = ops.convert_to_tensor(data[1], dtype="float32")
        zero = ops.zeros((), "float32")
        d_aux = {"d_enhanced": zero, "d_clean": zero, "d_noisy": zero}
        d_loss, d_norm, quality = zero, zero, {"pesq_enhanced": zero, "pesq_noisy": zero}
        generator_on = ops.ones((), "float32")
        if self.adversarial_weight > 0:
            generator_on = ops.mean(ops.convert_to_tensor(data[7], dtype="float32"))
            enhanced = ops.convert_to_tensor(data[2], dtype="float32")
            targets = [ops.convert_to_tensor(t, dtype="float32") for t in data[3:7]]
            d_loss, d_aux, d_norm = self._discriminator_update(noisy, clean, enhanced, targets)
            for name, score, known in (
                ("pesq_enhanced", targets[0], targets[2]),
                ("pesq_noisy", targets[1], targets[3]),
            ):
                quality[name] = ops.sum(score * known) / ops.maximum(ops.sum(known), 1.0)
        _, g_aux, g_norm = self._generator_update(noisy, clean, generator_on)
        return {
            "d_loss": d_loss,
            "g_loss": g_aux["unscaled"],  # also during the warm-up, when nothing is applied
            "g_adversarial": g_aux["g_adversarial"],
            "magnitude": g_aux["magnitude"],
            **d_aux,
            **quality,
            "d_grad_norm": d_norm,
            "g_grad_norm": g_norm,
        }

    def enhance(self, noisy: Any, batch_size: int = 64) -> np.ndarray:
        """Enhance whole windows: float32 ``[n, samples, 1]`` (or ``[n, samples]``) -> same."""
        return enhance_windows(self.generator, noisy, batch_size)


class MetricBatches:
    """The batches of a mask-enhancer run, with the true PESQ of what the enhancer makes now.

    ``batches(step)`` takes batch ``step`` of the seeded epoch order
    (:func:`~audiogan_kit.training.batch_indices`, as :class:`EpochBatches` does). With the
    metric term it also enhances the batch with ``gan``'s generator (``training=False``) and
    scores each output against its clean clip with narrow-band PESQ
    (:func:`audiogan_kit.metrics.pesq_nb`, on the CPU, outside the compiled step), and each
    noisy input once (cached: it never changes); scores are normalised by
    :func:`~audiogan_kit.models.normalised_pesq`. A clip PESQ cannot score (no utterance
    found) gets target 0 with "known" 0, so it is left out of the regression.

    The batch of a step depends on the step and on the generator's weights at that step;
    a resumed run restores those weights first, so it sees the same batches.

    Args:
        noisy, clean: float32 [n, samples] training pairs in [-1, 1].
        batch_size, seed: as for :class:`EpochBatches`.
        sample_rate: of the clips in Hz (8,000 or 16,000).
        gan: the :class:`MetricEnhancementGAN` whose generator makes the enhanced clips;
            ``None`` for a run without the metric term (then batches are ``(noisy, clean)``).
        warmup: steps at the start during which only the discriminator learns
            (``generator_on`` = 0).

    Returns (when called):
        ``(noisy, clean)`` float32 ``[batch, samples, 1]``, then with ``gan``: ``enhanced``
        ``[batch, samples, 1]``, ``enhanced_score``, ``noisy_score``, ``enhanced_known``,
        ``noisy_known``, ``generator_on`` float32 ``[batch]``.
    """

    def __init__(
        self,
        noisy: np.ndarray,
        clean: np.ndarray,
        batch_size: int,
        seed: int,
        sample_rate: int,
        gan: MetricEnhancementGAN | None = None,
        warmup: int = 0,
    ) -> None:
        if len(noisy) < batch_size:
            raise ValueError(
                f"the dataset has {len(noisy)} clips, fewer than batch_size={batch_size}; use "
                "a smaller batch."
            )
        self.noisy = np.asarray(noisy, np.float32)
        self.clean = np.asarray(clean, np.float32)
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.sample_rate = int(sample_rate)
        self.gan = gan
        self.warmup = int(warmup)
        self._noisy_scores: dict[int, float] = {}

    def _pesq(self, clean: np.ndarray, processed: np.ndarray) -> float:
        from ..metrics import pesq_nb

        try:
            return float(models.normalised_pesq(pesq_nb(clean, processed, self.sample_rate)))
        except ValueError:
            return float("nan")

    def noisy_score(self, index: int) -> float:
        """Normalised PESQ of training pair ``index``'s noisy clip (NaN if undefined)."""
        if index not in self._noisy_scores:
            self._noisy_scores[index] = self._pesq(self.clean[index], self.noisy[index])
        return self._noisy_scores[index]

    def __call__(self, step: int) -> tuple[np.ndarray, ...]:
        index = batch_indices(len(self.noisy), self.batch_size, self.seed, step)
        noisy, clean = self.noisy[index][..., None], self.clean[index][..., None]
        if self.gan is None:
            return noisy, clean
        enhanced = self.gan.enhance(noisy).astype(np.float32)
        enhanced_score = np.array(
            [self._pesq(c, e) for c, e in zip(clean[..., 0], enhanced[..., 0], strict=True)]
        )
        noisy_score = np.array([self.noisy_score(int(i)) for i in index])
        known = [np.isfinite(s) for s in (enhanced_score, noisy_score)]
        return (
            noisy,
            clean,
            enhanced,
            np.nan_to_num(enhanced_score).astype(np.float32),
            np.nan_to_num(noisy_score).astype(np.float32),
            known[0].astype(np.float32),
            known[1].astype(np.float32),
            np.full(len(index), 0.0 if step < self.warmup else 1.0, np.float32),
        )


def build_metric_enhancement_gan(config: MetricEnhancerTrainConfig) -> MetricEnhancementGAN:
    """A compiled :class:`MetricEnhancementGAN` for ``config``, with fresh weights.

    Seed Keras first (``keras.utils.set_random_seed(config.seed)``, as
    :func:`~audiogan_kit.training.train_enhancer` does) for a reproducible start.
    """
    return build_compiled(
        MetricEnhancementGAN,
        models.build_mask_generator(config.model),
        models.build_metric_discriminator(config.model),
        config,
        config,
    )
