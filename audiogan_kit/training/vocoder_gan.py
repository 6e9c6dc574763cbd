"""A GAN vocoder as a two-player model: log-mel frames to waveforms (MelGAN / HiFi-GAN).

:class:`VocoderGAN` is a sibling of :class:`~audiogan_kit.training.EnhancementGAN` over
:class:`~audiogan_kit.training.two_player.TwoPlayerModel`: a conditional generator trained on
(input, target) pairs, here (log-mel frames, the clip they came from), with the same
optimizers, update and checkpoint state. :func:`build_vocoder_gan` makes one, compiled, from
a :class:`~audiogan_kit.training.VocoderTrainConfig`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import keras
import numpy as np
from keras import ops

from .. import losses, models
from ..arrays import to_numpy
from ..config import AudioConfig
from ..models.vocoder import VocoderConfig, split_discriminator_outputs
from .configs import VocoderTrainConfig
from .precision import build_compiled
from .two_player import TwoPlayerModel

__all__ = ["VocoderGAN", "build_vocoder_gan", "vocode"]


class VocoderGAN(TwoPlayerModel):
    """A vocoder generator against multi-scale / multi-period discriminators.

    ``train_step(data)`` takes ``(mel, wave)``: log-mel frames float32 ``[batch, frames,
    n_mels]`` (:func:`audiogan_kit.features.log_mel`) and the clips they came from, float32
    ``[batch, frames * hop, 1]`` in [-1, 1]. With ``y = G(mel)`` and ``D_k`` the
    sub-discriminators (logit maps, feature maps ``D_k^l``):

    - discriminator (skipped when ``adversarial_weight == 0``): ``L_D = sum_k 1/2
      E[(D_k(wave) - 1)^2] + 1/2 E[D_k(y)^2]``
      (:func:`~audiogan_kit.losses.multiscale_lsgan_discriminator_loss`);
    - generator: ``L_G = a * (adversarial_weight * sum_k 1/2 E[(D_k(y) - 1)^2] +
      feature_weight * mean_{k,l} |D_k^l(y) - D_k^l(wave)|) + stft_weight * STFT(y, wave)``
      (:func:`~audiogan_kit.losses.multiscale_lsgan_generator_loss`,
      :func:`~audiogan_kit.losses.discriminator_feature_loss`,
      :func:`~audiogan_kit.losses.multi_resolution_stft_loss`), where ``a`` is 0 for the
      generator's first ``adversarial_start`` updates and 1 after (Parallel WaveGAN's
      warm-up on the STFT loss alone; the count is the optimizer's, so it resumes exactly).

    It returns float32 scalars ``d_loss``, ``g_loss`` (the sum), ``g_adversarial``,
    ``feature`` and ``stft`` (the weighted terms), ``d_real``, ``d_fake`` (mean logits over
    the sub-discriminators), ``d_grad_norm`` and ``g_grad_norm``.

    Args:
        generator: from :func:`~audiogan_kit.models.build_vocoder_generator`.
        discriminator: from :func:`~audiogan_kit.models.build_vocoder_discriminator`.
        model: their :class:`~audiogan_kit.models.VocoderConfig` (how the outputs group).
        audio: the training examples' :class:`AudioConfig` (the STFT term's length:
            :attr:`VocoderTrainConfig.train_audio`, the segment when there is one; a batch
            of another static length uses its own).
        stft_weight, feature_weight, adversarial_weight, stft_resolutions,
        adversarial_start: as in :class:`~audiogan_kit.training.VocoderTrainConfig`.
        seed: seeds the model's ``keras.random.SeedGenerator``.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        model: VocoderConfig,
        audio: AudioConfig,
        stft_weight: float = 1.0,
        feature_weight: float = 2.0,
        adversarial_weight: float = 1.0,
        stft_resolutions: tuple[tuple[int, int], ...] = losses.STFT_RESOLUTIONS,
        adversarial_start: int = 0,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        self.model_config = model
        self.audio = audio
        self.stft_weight = float(stft_weight)
        self.feature_weight = float(feature_weight)
        self.adversarial_weight = float(adversarial_weight)
        self.stft_resolutions = tuple((int(n), int(h)) for n, h in stft_resolutions)
        self.adversarial_start = int(adversarial_start)

    @property
    def adversarial(self) -> bool:
        """Whether the discriminator plays (an adversarial or feature-matching term is on)."""
        return self.adversarial_weight > 0 or self.feature_weight > 0

    def _judge(self, wave):
        """``[(logits float32, [feature maps]), ...]`` of every sub-discriminator."""
        outputs = self.discriminator(wave, training=True)
        return [
            (ops.cast(logits, "float32"), features)
            for logits, features in split_discriminator_outputs(outputs, self.model_config)
        ]

    def _discriminator_update(self, mel, wave):
        made = ops.stop_gradient(ops.cast(self.generator(mel, training=True), "float32"))

        def loss_fn():
            real = [logits for logits, _ in self._judge(wave)]
            fake = [logits for logits, _ in self._judge(made)]
            aux = {
                "d_real": sum(ops.mean(r) for r in real) / len(real),
                "d_fake": sum(ops.mean(f) for f in fake) / len(fake),
            }
            return losses.multiscale_lsgan_discriminator_loss(real, fake), aux

        return self.optimize(self.d_optimizer, loss_fn, self.discriminator.trainable_variables)

    def _generator_update(self, mel, wave):
        zero = ops.zeros((), "float32")
        warm = ops.cast(self.g_optimizer.iterations >= self.adversarial_start, "float32")

        def loss_fn():
            made = ops.cast(self.generator(mel, training=True), "float32")
            stft = zero
            if self.stft_weight > 0:
                audio = self.audio  # the clips' length when the trace knows it
                if wave.shape[1] is not None and wave.shape[1] != audio.num_samples:
                    audio = dataclasses.replace(audio, num_samples=int(wave.shape[1]))
                stft = losses.multi_resolution_stft_loss(
                    wave, made, audio, self.stft_resolutions, self.stft_weight
                )
            aux = {"g_adversarial": zero, "feature": zero, "stft": stft}
            if not self.adversarial:
                return stft, aux
            fake = self._judge(made)
            real = self._judge(wave)
            aux["g_adversarial"] = warm * losses.multiscale_lsgan_generator_loss(
                [logits for logits, _ in fake], self.adversarial_weight
            )
            if self.feature_weight > 0:
                aux["feature"] = warm * losses.discriminator_feature_loss(
                    [m for _, maps in real for m in maps],
                    [m for _, maps in fake for m in maps],
                    self.feature_weight,
                )
            return aux["g_adversarial"] + aux["feature"] + stft, aux

        return self.optimize(self.g_optimizer, loss_fn, self.generator.trainable_variables)

    def train_step(self, data):
        """One discriminator update (when it plays) and one generator update; a dict."""
        mel, wave = data
        mel = ops.convert_to_tensor(mel, dtype="float32")
        wave = ops.convert_to_tensor(wave, dtype="float32")
        zero = ops.zeros((), "float32")
        if self.adversarial:
            d_loss, d_aux, d_norm = self._discriminator_update(mel, wave)
        else:
            d_loss, d_aux, d_norm = zero, {"d_real": zero, "d_fake": zero}, zero
        g_loss, g_aux, g_norm = self._generator_update(mel, wave)
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "g_adversarial": g_aux["g_adversarial"],
            "feature": g_aux["feature"],
            "stft": g_aux["stft"],
            "d_real": d_aux["d_real"],
            "d_fake": d_aux["d_fake"],
            "d_grad_norm": d_norm,
            "g_grad_norm": g_norm,
        }

    def vocode(self, mel: Any, batch_size: int = 32) -> np.ndarray:
        """Waveforms of log-mel frames: see :func:`vocode`."""
        return vocode(self.generator, mel, batch_size)


def vocode(generator: keras.Model, mel: Any, batch_size: int = 32) -> np.ndarray:
    """``generator`` (``training=False``) over log-mel frames, ``batch_size`` clips at a time.

    Args:
        mel: float32 ``[n, frames, n_mels]``, :func:`audiogan_kit.features.log_mel` of the
            vocoder's :class:`AudioConfig`.

    Returns:
        float32 ``[n, frames * hop]`` in [-1, 1].
    """
    mel = np.asarray(to_numpy(mel), dtype=np.float32)
    if mel.ndim != 3:
        raise ValueError(f"mel must be float32 [n, frames, n_mels], got shape {mel.shape}.")
    outputs = [
        to_numpy(generator(mel[start : start + batch_size], training=False))[..., 0]
        for start in range(0, mel.shape[0], batch_size)
    ]
    return np.concatenate(outputs).astype(np.float32)


def build_vocoder_gan(config: VocoderTrainConfig) -> VocoderGAN:
    """A compiled :class:`VocoderGAN` for ``config``, with fresh weights.

    The weights are drawn from Keras' global random state: seed it first
    (``keras.utils.set_random_seed(config.seed)``, as
    :func:`~audiogan_kit.training.train_vocoder` does) for a reproducible start.
    """
    return build_compiled(
        VocoderGAN,
        models.build_vocoder_generator(config.model),
        models.build_vocoder_discriminator(config.model),
        config,
        config.model,
        config.train_audio,
        stft_weight=config.stft_weight,
        feature_weight=config.feature_weight,
        adversarial_weight=config.adversarial_weight,
        stft_resolutions=config.stft_resolutions,
        adversarial_start=config.adversarial_start,
    )
