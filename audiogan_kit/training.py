"""Training a GAN: the configuration, the GAN as a Keras model, checkpoints and the loop.

Introduced in notebooks/04_training.ipynb.

One trainer serves every architecture and loss of the kit:

- :class:`TrainConfig` (frozen, saved as ``config.json`` in the run folder and inside every
  checkpoint) and :data:`PRESETS` (``"quick"``: a small conditional mel-spectrogram GAN for a
  laptop CPU; ``"paper"``: the WaveGAN paper's hyperparameters, for a GPU).
- :class:`GAN`, a ``keras.Model`` with its own ``compile(d_optimizer, g_optimizer)`` and a
  ``train_step`` that makes ``n_critic`` discriminator updates and one generator update, keeps
  an exponential moving average (EMA) of the generator's weights for sampling, and returns a
  dict of numbers. The step is written once with ``keras.ops``; :func:`compile_step` in
  :mod:`audiogan_kit.backend` compiles it with ``tf.function`` (TensorFlow) or ``jax.jit``
  (JAX).
- Checkpoints (:func:`save_checkpoint`, :func:`load_latest_checkpoint`): one ``.npz`` file
  per checkpoint holding every variable (both models, the EMA generator, both optimizers, the
  random-seed states), the step and the run's config, written to a temporary name and renamed,
  so a run killed at any moment leaves only whole checkpoints; a corrupt file is skipped with
  a message and the previous one is used.
- :func:`train` runs (or resumes) a run in a folder: data order is a function of the seed and
  the step, so a resumed run produces the same losses as an uninterrupted one.

Data shapes (channels last, as everywhere in the kit): a waveform model trains on
``float32 [batch, num_samples, 1]`` in [-1, 1]; a SpecGAN on normalised log-magnitude
``float32 [batch, num_frames, num_bins, 1]`` in [-1, 1] (``spectrogram="linear"``, 128 bins)
or normalised log-mel ``[batch, num_frames, n_mels, 1]`` (``spectrogram="mel"``, 64 bands).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from . import backend, losses, models
from .config import AudioConfig, from_dict, load_config
from .models import ModelConfig

__all__ = [
    "GAN",
    "PRESETS",
    "CheckpointError",
    "RunGenerator",
    "TrainCallback",
    "TrainConfig",
    "TrainingDiverged",
    "Trainer",
    "checkpoint_paths",
    "compile_step",
    "dtype_policy",
    "load_latest_checkpoint",
    "load_run",
    "prepare_examples",
    "read_history",
    "save_checkpoint",
    "train",
]

SPECTROGRAMS = ("linear", "mel")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")

#: Compile a step written with Keras ops (``tf.function`` or ``jax.jit``); see backend.py.
compile_step = backend.compile_step


# --- configuration --------------------------------------------------------------------------


def _check_optimizer_fields(config: Any, extra_positive: Sequence[str] = ()) -> None:
    """The checks every training config shares; raises ``ValueError`` naming the field.

    ``config`` needs ``batch_size``, ``num_steps``, ``checkpoint_every``,
    ``keep_checkpoints``, ``log_every``, ``num_eval_samples`` (and ``extra_positive``:
    positive integers), ``sample_every`` (>= 0 steps), ``g_learning_rate`` and
    ``d_learning_rate`` (positive, finite), ``beta_1`` and ``beta_2`` (in [0, 1)) and
    ``precision`` (one of :data:`PRECISIONS`). Used by :class:`TrainConfig` and
    :class:`audiogan_kit.enhance.EnhancerTrainConfig`.
    """
    positive = ("batch_size", "num_steps", "checkpoint_every", "keep_checkpoints", "log_every")
    for name in (*extra_positive, *positive, "num_eval_samples"):
        if int(getattr(config, name)) < 1:
            raise ValueError(f"{name} must be a positive integer, got {getattr(config, name)}.")
    if config.sample_every < 0:
        raise ValueError(f"sample_every must be >= 0 steps, got {config.sample_every}.")
    for name in ("g_learning_rate", "d_learning_rate"):
        value = getattr(config, name)
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value}.")
    for name in ("beta_1", "beta_2"):
        if not 0 <= getattr(config, name) < 1:
            raise ValueError(f"{name} must be in [0, 1), got {getattr(config, name)}.")
    if config.precision not in PRECISIONS:
        raise ValueError(
            f"precision must be one of {PRECISIONS}, got {config.precision!r}; "
            "'mixed_bfloat16' or 'mixed_float16' compute in 16 bits on a GPU."
        )


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run; frozen, saved with the run and every checkpoint.

    Attributes:
        model: the generator/discriminator pair (:class:`~audiogan_kit.models.ModelConfig`).
        audio: how clips are read and turned into spectrograms.
        spectrogram: for the SpecGANs (``"specgan"``, ``"specgan1d"``): ``"linear"`` (log-magnitude STFT,
            ``model.num_bins == audio.num_bins``, 128 bins) or ``"mel"`` (log-mel,
            ``model.num_bins == audio.n_mels``, 64 bands). Ignored by waveform models.
        loss: a key of :data:`audiogan_kit.losses.LOSSES` (``"minimax"``,
            ``"nonsaturating"``, ``"lsgan"``, ``"hinge"``, ``"wgan-gp"``).
        gp_weight: weight of the loss's own penalty (``wgan-gp``: lambda, 10 by default);
            ``None`` means the default of :data:`audiogan_kit.losses.PENALTIES`.
        r1_weight: gamma of an optional R1 penalty on real data (0 = off).
        n_critic: discriminator updates per generator update (5 in the WaveGAN paper).
        g_learning_rate, d_learning_rate: Adam learning rates (1e-4 in the WaveGAN paper).
        beta_1, beta_2: Adam moment decays (0.5 and 0.9 in the WaveGAN paper).
        batch_size: examples per discriminator batch (64 in the paper).
        num_steps: generator updates to train for (one "step" = ``n_critic`` discriminator
            updates + one generator update).
        ema_decay: decay of the exponential moving average of the generator's weights used
            for sampling (e.g. 0.999); ``None`` samples from the raw weights.
        seed: seeds the weights, the noise and the data order; a run is a function of it.
        checkpoint_every: steps between checkpoints.
        keep_checkpoints: how many of the newest checkpoints to keep (>= 1).
        sample_every: steps between evaluation samples (0 = only at the end).
        log_every: steps between history rows (losses are averaged over the interval).
        num_eval_samples: evaluation samples made from fixed noise (and labels
            ``0, 1, ..., num_classes - 1, 0, ...`` when conditional).
        jit_compile: compile the TensorFlow step with XLA; ``None`` = on with a GPU, off on
            a CPU (XLA measured about 3x slower on a 2-core CPU). Ignored under JAX.
        griffin_lim_iters: Griffin-Lim iterations when SpecGAN samples are made audible.
        precision: ``"float32"`` (default); ``"mixed_bfloat16"`` or ``"mixed_float16"``: the
            models compute in 16 bits and keep float32 weights (Keras dtype policies, set for
            these models only); logits and losses stay float32, and float16 scales the losses
            (``keras.optimizers.LossScaleOptimizer``, whose scale is saved in checkpoints).
            Faster and lighter on GPUs with tensor cores (bfloat16 needs an A100/H100 or
            newer, float16 any recent GPU); on a CPU usually slower (see notebook 04).
        devices: how many devices to split each batch over (data parallelism: every device
            holds a copy of the models; ``tf.distribute.MirroredStrategy`` under TensorFlow,
            ``keras.distribution.DataParallel`` under JAX). 1 = one device (the first GPU
            when there is one); ``batch_size`` is the global batch and must be a multiple.
    """

    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    audio: AudioConfig = dataclasses.field(default_factory=AudioConfig)
    spectrogram: str = "linear"
    loss: str = "wgan-gp"
    gp_weight: float | None = None
    r1_weight: float = 0.0
    n_critic: int = 5
    g_learning_rate: float = 1e-4
    d_learning_rate: float = 1e-4
    beta_1: float = 0.5
    beta_2: float = 0.9
    batch_size: int = 64
    num_steps: int = 1000
    ema_decay: float | None = 0.999
    seed: int = 0
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    sample_every: int = 500
    log_every: int = 10
    num_eval_samples: int = 10
    jit_compile: bool | None = None
    griffin_lim_iters: int = 32
    precision: str = "float32"
    devices: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.model, dict):
            object.__setattr__(self, "model", from_dict(ModelConfig, self.model))
        if isinstance(self.audio, dict):
            object.__setattr__(self, "audio", from_dict(AudioConfig, self.audio))
        if self.loss not in losses.LOSSES:
            raise ValueError(f"loss must be one of {sorted(losses.LOSSES)}, got {self.loss!r}.")
        if self.spectrogram not in SPECTROGRAMS:
            raise ValueError(
                f"spectrogram must be one of {SPECTROGRAMS}, got {self.spectrogram!r}."
            )
        _check_optimizer_fields(self, extra_positive=("n_critic", "griffin_lim_iters"))
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in (0, 1) or None, got {self.ema_decay}.")
        if self.r1_weight < 0 or (self.gp_weight is not None and self.gp_weight < 0):
            raise ValueError("gp_weight and r1_weight must be >= 0.")
        if int(self.devices) < 1 or self.batch_size % int(self.devices):
            raise ValueError(
                f"devices must be a positive integer that divides batch_size={self.batch_size} "
                f"(each device gets batch_size / devices examples), got devices={self.devices}."
            )
        self._check_shapes()

    def _check_shapes(self) -> None:
        model, audio = self.model, self.audio
        if model.is_spectrogram:
            bins = audio.n_mels if self.spectrogram == "mel" else audio.num_bins
            if (model.num_frames, model.num_bins) != (audio.num_frames, bins):
                raise ValueError(
                    f"the SpecGAN model expects {model.num_frames} x {model.num_bins} "
                    f"spectrograms but the audio config gives {audio.num_frames} frames x {bins} "
                    f"{'mel bands' if self.spectrogram == 'mel' else 'bins'}; set "
                    f"ModelConfig(num_frames={audio.num_frames}, num_bins={bins})."
                )
        elif model.num_samples != audio.num_samples:
            raise ValueError(
                f"the {model.architecture} model makes {model.num_samples} samples but the audio "
                f"config has num_samples={audio.num_samples}; make them equal."
            )

    @property
    def penalty_weight(self) -> float:
        """The weight of the loss's own penalty (0 when the loss has none)."""
        if self.loss not in losses.PENALTIES:
            return 0.0
        return losses.PENALTIES[self.loss][1] if self.gp_weight is None else float(self.gp_weight)

    @property
    def is_spectrogram(self) -> bool:
        return self.model.is_spectrogram

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (nested configs as dicts with their class names)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        values["model"] = {"__class__": "ModelConfig", **dataclasses.asdict(self.model)}
        values["audio"] = {"__class__": "AudioConfig", **dataclasses.asdict(self.audio)}
        return {"__class__": "TrainConfig", **values}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        return from_dict(cls, values)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        return load_config(cls, path)


_QUICK_AUDIO = AudioConfig()
PRESETS: dict[str, TrainConfig] = {
    # A small conditional 1-D SpecGAN on 64 frames x 64 log-mel bands with an EMA generator:
    # see benchmarks/presets.md for the measurements behind every choice.
    "quick": TrainConfig(
        model=ModelConfig(
            architecture="specgan1d",
            num_frames=_QUICK_AUDIO.num_frames,
            num_bins=_QUICK_AUDIO.n_mels,
            latent_dim=64,
            model_dim=16,
            num_classes=10,
            label_dim=16,
            conditioning="concat",
            upsample="nearest",
            batch_norm=True,
            spectral_norm=False,
        ),
        audio=_QUICK_AUDIO,
        spectrogram="mel",
        loss="nonsaturating",
        n_critic=1,
        g_learning_rate=1e-3,
        d_learning_rate=1e-3,
        beta_2=0.99,
        batch_size=32,
        num_steps=6000,
        ema_decay=0.995,
        checkpoint_every=500,
        sample_every=500,
        log_every=20,
    ),
    # The WaveGAN paper (Donahue et al. 2019): d = 64, batch 64, WGAN-GP (lambda 10),
    # 5 critic updates per generator update, Adam 1e-4 (0.5, 0.9), phase shuffle 2, no EMA.
    # The kit's clips are 8,192 samples at 8 kHz (the paper: 16,384 at 16 kHz).
    "paper": TrainConfig(
        model=ModelConfig(architecture="wavegan", num_samples=8192, model_dim=64, num_classes=0),
        audio=AudioConfig(),
        loss="wgan-gp",
        n_critic=5,
        batch_size=64,
        num_steps=100_000,
        ema_decay=None,
        checkpoint_every=1000,
        sample_every=1000,
        log_every=50,
    ),
}
"""Named runs; change one option with ``dataclasses.replace(PRESETS["quick"], num_steps=...)``."""


# --- training examples ----------------------------------------------------------------------


def prepare_examples(
    audio: np.ndarray, config: TrainConfig, stats: Any | None = None, batch_size: int = 256
) -> tuple[np.ndarray, Any]:
    """What the discriminator sees as real: waveforms or normalised spectrograms.

    Args:
        audio: float32 [clips, num_samples] in [-1, 1] at ``config.audio.sample_rate`` Hz.
        config: the run's config (architecture, spectrogram kind, STFT settings).
        stats: :class:`~audiogan_kit.features.SpectrogramStats` to normalise with; ``None``
            computes them from ``audio`` (spectrogram models only).
        batch_size: clips per feature batch (bounds memory, not the result).

    Returns:
        ``(examples, stats)``: float32 ``[clips, *config.model.sample_shape]`` in [-1, 1],
        and the statistics used (``None`` for waveform models).
    """
    from . import features

    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 2 or audio.shape[1] != config.audio.num_samples:
        raise ValueError(
            f"audio must be float32 [clips, {config.audio.num_samples}], got {audio.shape}."
        )
    if not config.is_spectrogram:
        return audio[..., None], None
    if config.spectrogram == "mel":
        feature = features.log_mel
        if stats is None:
            stats = features.compute_log_mel_stats(audio, config.audio, batch_size)
    else:
        feature = features.log_magnitude
        if stats is None:
            stats = features.compute_spectrogram_stats(audio, config.audio, batch_size)
    parts = []
    for start in range(0, audio.shape[0], batch_size):
        logs = feature(audio[start : start + batch_size], config.audio)
        parts.append(ops.convert_to_numpy(features.normalize_spectrogram(logs, stats)))
    return np.concatenate(parts)[..., None].astype(np.float32), stats


def examples_to_audio(examples: Any, config: TrainConfig, stats: Any | None) -> np.ndarray:
    """Generator outputs as audio: float32 [n, num_samples] in [-1, 1] at the config's rate.

    Waveforms pass through; spectrograms are denormalised and inverted with Griffin-Lim
    (``config.griffin_lim_iters`` iterations; mel bands first mapped back to STFT bins).
    """
    from . import features

    x = np.asarray(examples if isinstance(examples, np.ndarray) else ops.convert_to_numpy(examples))
    if not config.is_spectrogram:
        return np.clip(x.reshape(x.shape[0], -1), -1.0, 1.0).astype(np.float32)
    if stats is None:
        raise ValueError("spectrogram samples need the run's SpectrogramStats to become audio.")
    if config.spectrogram == "mel":
        return features.mel_to_audio(x, stats, config.audio, n_iter=config.griffin_lim_iters)
    return features.spectrogram_to_audio(x, stats, config.audio, n_iter=config.griffin_lim_iters)


def _batch_indices(num_examples: int, batch_size: int, seed: int, batch: int) -> np.ndarray:
    """Indices of global batch number ``batch``: a fresh seeded permutation every epoch."""
    per_epoch = num_examples // batch_size
    epoch, position = divmod(batch, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(num_examples)
    return order[position * batch_size : (position + 1) * batch_size]


# --- the GAN as a Keras model ---------------------------------------------------------------


def _global_norm(gradients: Sequence[Any]) -> Any:
    return ops.sqrt(sum(ops.sum(ops.square(g)) for g in gradients))


class GAN(keras.Model):
    """A generator, a discriminator and (optionally) an EMA copy of the generator.

    ``train_step(data)`` takes ``(real, labels)``: ``real`` float32
    ``[n_critic, batch, *sample_shape]`` (one batch per discriminator update) and ``labels``
    int32 ``[n_critic, batch]``; it returns float32 scalars ``d_loss``, ``g_loss``,
    ``penalty`` (gradient penalty and/or R1, included in ``d_loss``), ``d_real`` and
    ``d_fake`` (mean discriminator logits on the last real and fake batch), ``d_grad_norm`` and
    ``g_grad_norm`` (global L2 norms of the last gradients, unscaled).

    Under a 16-bit dtype policy (models built by :func:`build_gan` with ``precision``) the
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
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.model_config = model_config
        self.loss_name = loss
        self.d_loss_fn, self.g_loss_fn = losses.LOSSES[loss]
        self.penalty_fn = losses.PENALTIES[loss][0] if loss in losses.PENALTIES else None
        self.n_critic = int(n_critic)
        self.penalty_weight = float(penalty_weight)
        self.r1_weight = float(r1_weight)
        self.ema_decay = ema_decay
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.ema_generator = None
        if ema_decay is not None:
            self.ema_generator = models.build_generator(model_config)
            self.ema_generator.trainable = False
            for target, source in zip(
                self.ema_generator.weights, generator.weights, strict=True
            ):
                target.assign(source.value)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        #: the DataParallel the models were built under (set by build_gan), or None.
        self.parallel = None

    #: the axis of ``train_step``'s arrays that holds the examples (axis 0 is n_critic)
    batch_axis = 1

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer, **kwargs):  # noqa: E501
        """Attach the two optimizers and create their state (slots) right away."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    # The pieces of a step -------------------------------------------------------------------

    def _generator_inputs(self, noise, labels):
        return [noise, labels] if self.model_config.conditional else noise

    def _critic(self, x, labels):
        inputs = [x, labels] if self.model_config.conditional else x
        return ops.cast(self.discriminator(inputs, training=True), "float32")

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

    def _update(self, optimizer, loss_fn, variables):
        """Differentiate ``loss_fn() -> (loss, aux)`` and apply; ``(loss, aux, grad_norm)``.

        The loss is scaled by the optimizer (float16 loss scaling; 1 otherwise) and divided
        by the number of replicas before differentiation; the returned loss and gradient
        norm are unscaled.
        """
        _, replicas = backend.replica_context()
        scale = optimizer.scale_loss(ops.ones((), "float32"))  # read before apply changes it

        def scaled_loss_fn():
            loss, aux = loss_fn()
            return optimizer.scale_loss(loss) / replicas, {**aux, "loss": loss}

        _, aux, grads = backend.loss_and_gradients(scaled_loss_fn, variables)
        backend.apply_gradients(optimizer, grads, variables)
        loss = aux.pop("loss")
        return loss, aux, _global_norm(grads) * (replicas / scale)

    def _discriminator_update(self, real, labels):
        batch = ops.shape(real)[0]
        fake = ops.stop_gradient(self._generate(self._noise(batch), labels))

        def loss_fn():
            real_logits = self._critic(real, labels)
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
            return loss + penalty, aux

        return self._update(self.d_optimizer, loss_fn, self.discriminator.trainable_variables)

    def _generator_update(self, labels):
        batch = ops.shape(labels)[0]
        noise = self._noise(batch)

        def loss_fn():
            return self.g_loss_fn(self._critic(self._generate(noise, labels), labels)), {}

        loss, _, norm = self._update(self.g_optimizer, loss_fn, self.generator.trainable_variables)
        return loss, norm

    def _update_ema(self) -> None:
        if self.ema_generator is None:
            return
        decay = self.ema_decay
        for target, source in zip(self.ema_generator.weights, self.generator.weights, strict=True):
            target.assign(decay * target.value + (1.0 - decay) * source.value)

    def train_step(self, data):
        """``n_critic`` discriminator updates, one generator update, the EMA; a dict of scalars."""
        real, labels = data
        real = ops.convert_to_tensor(real, dtype="float32")
        labels = ops.convert_to_tensor(labels, dtype="int32")
        for k in range(self.n_critic):
            d_loss, aux, d_norm = self._discriminator_update(real[k], labels[k])
        g_loss, g_norm = self._generator_update(labels[self.n_critic - 1])
        self._update_ema()
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "penalty": aux["penalty"],
            "d_real": aux["d_real"],
            "d_fake": aux["d_fake"],
            "d_grad_norm": d_norm,
            "g_grad_norm": g_norm,
        }

    def generate(self, noise: Any, labels: Any | None = None, use_ema: bool = True) -> np.ndarray:
        """Samples from the EMA generator (or the raw one): float32 [n, *sample_shape]."""
        model = self.ema_generator if (use_ema and self.ema_generator is not None) else self.generator
        noise = ops.convert_to_tensor(np.asarray(noise, dtype=np.float32))
        if self.model_config.conditional:
            if labels is None:
                raise ValueError("a conditional GAN needs labels int [n] to generate.")
            labels = ops.convert_to_tensor(np.asarray(labels, dtype=np.int32))
        made = model(self._generator_inputs(noise, labels), training=False)
        return np.asarray(ops.convert_to_numpy(made), dtype=np.float32)

    # The state a checkpoint holds ------------------------------------------------------------

    def state_groups(self) -> dict[str, list[keras.Variable]]:
        """Every variable of the run, by group, in a fixed order (what a checkpoint saves)."""
        groups = {
            "generator": list(self.generator.variables),
            "discriminator": list(self.discriminator.variables),
            "d_optimizer": list(self.d_optimizer.variables),
            "g_optimizer": list(self.g_optimizer.variables),
            "seed": [self.seed_generator.state],
        }
        if self.ema_generator is not None:
            groups["ema_generator"] = list(self.ema_generator.variables)
        return groups

    def all_state(self) -> list[keras.Variable]:
        """Every variable a step reads or writes, each once (the compiled step's state)."""
        seen: dict[int, keras.Variable] = {}
        for group in self.state_groups().values():
            for variable in group:
                seen.setdefault(id(variable), variable)
        for variable in self.d_loss_tracker.variables + self.g_loss_tracker.variables:
            seen.setdefault(id(variable), variable)
        return list(seen.values())


@contextlib.contextmanager
def dtype_policy(name: str):
    """Layers created inside compute in ``name`` (a Keras dtype policy); restored on exit.

    Keras reads its default policy when a layer is created, so building models inside this
    block sets their precision without leaving a global setting behind for later models.
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _adam(config: TrainConfig, learning_rate: float, name: str) -> keras.optimizers.Optimizer:
    adam = keras.optimizers.Adam(
        learning_rate, beta_1=config.beta_1, beta_2=config.beta_2, name=f"{name}_adam"
    )
    if config.precision != "mixed_float16":
        return adam  # float32 and bfloat16 (float32's range) need no loss scaling
    return keras.optimizers.LossScaleOptimizer(adam, name=f"{name}_loss_scale")


def _compile_with_adam(gan: GAN, config: Any) -> None:
    """Give ``gan`` its two Adam optimizers from ``config``'s learning rates and betas."""
    gan.compile(
        d_optimizer=_adam(config, config.d_learning_rate, "d"),
        g_optimizer=_adam(config, config.g_learning_rate, "g"),
    )


def build_gan(config: TrainConfig, devices: int | None = None) -> GAN:
    """A compiled :class:`GAN` for ``config``: fresh weights seeded by ``config.seed``.

    The models are built under ``config.precision`` (see :func:`dtype_policy`) and, with
    several devices, inside a :class:`~audiogan_kit.backend.DataParallel` scope (kept as
    ``gan.parallel`` for :func:`compile_step`).

    Args:
        config: the run's config.
        devices: devices to split training over; ``None`` = ``config.devices``. Sampling
            from a trained run needs only 1.

    Raises:
        ValueError: fewer devices are visible than asked for.
    """
    devices = config.devices if devices is None else devices
    parallel = backend.data_parallel(devices)
    keras.utils.set_random_seed(config.seed)
    with dtype_policy(config.precision), (parallel.scope() if parallel else contextlib.nullcontext()):  # noqa: E501
        gan = GAN(
            models.build_generator(config.model),
            models.build_discriminator(config.model),
            config.model,
            loss=config.loss,
            n_critic=config.n_critic,
            penalty_weight=config.penalty_weight,
            r1_weight=config.r1_weight,
            ema_decay=config.ema_decay,
            seed=config.seed,
        )
        _compile_with_adam(gan, config)
    gan.parallel = parallel
    return gan


# --- checkpoints ----------------------------------------------------------------------------


class CheckpointError(ValueError):
    """A checkpoint file is missing, partial, corrupt or from another run."""


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the run stopped and its last good checkpoint is kept."""


_CHECKPOINT_NAME = re.compile(r"ckpt-(\d{8})\.npz")


def checkpoint_paths(run_dir: str | Path) -> list[Path]:
    """The run's checkpoint files, oldest first (temporary files are never listed)."""
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if _CHECKPOINT_NAME.fullmatch(p.name)]
    return sorted(found, key=lambda p: int(_CHECKPOINT_NAME.fullmatch(p.name)[1]))


def save_checkpoint(gan: GAN, config: TrainConfig, step: int, run_dir: str | Path, keep: int = 3) -> Path:  # noqa: E501
    """Write ``checkpoints/ckpt-<step>.npz`` atomically and keep only the newest ``keep``.

    The file holds every variable of :meth:`GAN.state_groups` (``<group>/<index>``), and a
    JSON ``meta`` entry with the step, the config and the variables' paths and shapes. It is
    written to a temporary name in the same folder, flushed to disk, then renamed, so the
    checkpoint either exists whole or not at all.
    """
    folder = Path(run_dir) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    layout: dict[str, list[list[Any]]] = {}
    for group, variables in gan.state_groups().items():
        layout[group] = []
        for i, variable in enumerate(variables):
            value = ops.convert_to_numpy(variable.value)
            arrays[f"{group}/{i}"] = value
            layout[group].append([variable.path, list(value.shape)])
    meta = {"step": int(step), "config": config.to_dict(), "layout": layout, "format": 1}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    final = folder / f"ckpt-{int(step):08d}.npz"
    temporary = folder / f".{final.name}.{os.getpid()}.tmp"
    with open(temporary, "wb") as handle:
        np.savez(handle, **arrays)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, final)
    for old in checkpoint_paths(run_dir)[:-keep]:
        old.unlink(missing_ok=True)
    return final


def _read_checkpoint(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    try:
        with np.load(path, allow_pickle=False) as content:
            arrays = {name: content[name] for name in content.files}  # reads and CRC-checks all
        meta = json.loads(arrays.pop("meta").tobytes().decode())
    except Exception as error:  # zip, CRC, truncation, JSON: all mean "unusable"
        raise CheckpointError(f"checkpoint {path} is unreadable ({error}).") from error
    return meta, arrays


def _restore(gan: GAN, meta: dict[str, Any], arrays: dict[str, np.ndarray], path: Path) -> None:
    groups = gan.state_groups()
    if sorted(groups) != sorted(meta.get("layout", {})):
        raise CheckpointError(
            f"checkpoint {path} holds the groups {sorted(meta.get('layout', {}))}, but this run "
            f"has {sorted(groups)}; it was written by a run with another config."
        )
    pending = []
    for group, variables in groups.items():
        for i, variable in enumerate(variables):
            value = arrays.get(f"{group}/{i}")
            if value is None or tuple(value.shape) != tuple(variable.shape):
                raise CheckpointError(
                    f"checkpoint {path}: {group}/{i} ({variable.path}) is missing or has the "
                    f"wrong shape; it was written by a run with another config."
                )
            pending.append((variable, value))
    for variable, value in pending:
        variable.assign(value)


def load_latest_checkpoint(gan: GAN, run_dir: str | Path, log: Callable[[str], None] = print) -> int | None:  # noqa: E501
    """Restore the newest readable checkpoint of ``run_dir`` into ``gan``; return its step.

    A corrupt or partial checkpoint is reported through ``log`` and the previous one is
    tried. Returns ``None`` when the run has no usable checkpoint (nothing is changed).
    """
    for path in reversed(checkpoint_paths(run_dir)):
        try:
            meta, arrays = _read_checkpoint(path)
            _restore(gan, meta, arrays, path)
        except CheckpointError as error:
            log(f"skipping checkpoint: {error} Trying the previous one.")
            continue
        return int(meta["step"])
    return None


# --- history --------------------------------------------------------------------------------


def read_history(run_dir: str | Path) -> list[dict[str, float]]:
    """The run's ``history.jsonl`` rows (one dict per logged step), oldest first."""
    path = Path(run_dir) / "history.jsonl"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line cut by a kill: everything before it is good
    return rows


def _truncate_history(run_dir: Path, step: int) -> None:
    rows = [row for row in read_history(run_dir) if row["step"] <= step]
    text = "".join(json.dumps(row) + "\n" for row in rows)
    (run_dir / "history.jsonl").write_text(text)


# --- callbacks ------------------------------------------------------------------------------


class TrainCallback:
    """Hooks into :func:`train`; subclass and override what you need.

    ``trainer`` is the running :class:`Trainer` (its ``gan``, ``config``, ``run_dir``,
    ``history`` and ``stop()``). ``logs`` holds the step's numbers as floats.
    """

    def on_train_begin(self, trainer: Trainer) -> None: ...

    def on_step_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None: ...

    def on_log(self, trainer: Trainer, row: dict[str, float]) -> None: ...

    def on_samples(self, trainer: Trainer, step: int, samples: np.ndarray, audio: np.ndarray) -> None: ...  # noqa: E501

    def on_checkpoint(self, trainer: Trainer, step: int, path: Path) -> None: ...

    def on_train_end(self, trainer: Trainer) -> None: ...


# --- the trainer ----------------------------------------------------------------------------


class Trainer:
    """Runs (or resumes) one training run in ``run_dir``; :func:`train` is the short form.

    Run folder: ``config.json``, ``stats.json`` (spectrogram models), ``checkpoints/``,
    ``history.jsonl`` (one JSON row per ``log_every`` steps: step, the mean of each number
    of :meth:`GAN.train_step` over the interval, steps_per_s, wall_s), ``samples/`` (the
    evaluation samples as ``.npz``: spectrograms or waveforms and their audio).
    """

    def __init__(
        self,
        config: TrainConfig,
        dataset: Any,
        run_dir: str | Path,
        callbacks: Iterable[TrainCallback] = (),
        log: Callable[[str], None] = print,
    ) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.callbacks = list(callbacks)
        self.log = log
        self._stop = False
        self.history: list[dict[str, float]] = []
        self.step = 0
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._check_same_run()
        self._prepare_data(dataset)
        self.gan = self._build_gan()
        self._prepare_eval()
        self._step_fn = backend.compile_step(
            self.gan.train_step, self.gan.all_state(), jit_compile=config.jit_compile,
            parallel=self.gan.parallel, batch_axis=self.gan.batch_axis,
        )

    # set-up helpers: a trainer for another kind of GAN (enhance.EnhancerTrainer) overrides
    # _prepare_data, _build_gan, _prepare_eval, _batch and samples; run() stays shared.
    def _prepare_data(self, dataset: Any) -> None:
        """Set ``examples`` (what D sees as real), ``labels`` and ``stats`` from ``dataset``."""
        config = self.config
        audio, labels = _dataset_arrays(dataset)
        self.examples, self.stats = prepare_examples(audio, config, self._load_stats())
        self.labels = labels.astype(np.int32)
        if config.model.conditional and (labels.min() < 0 or labels.max() >= config.model.num_classes):
            raise ValueError(
                f"labels must be in 0..{config.model.num_classes - 1} for this conditional "
                f"model, got {labels.min()}..{labels.max()}."
            )
        _check_batch_size(len(self.examples), config.batch_size)

    def _build_gan(self) -> GAN:
        return build_gan(self.config)

    def _prepare_eval(self) -> None:
        """The fixed inputs of the evaluation samples: ``eval_noise`` and ``eval_labels``."""
        config = self.config
        eval_rng = np.random.default_rng([config.seed, 7919])
        self.eval_noise = eval_rng.standard_normal(
            (config.num_eval_samples, config.model.latent_dim)
        ).astype(np.float32)
        self.eval_labels = (
            np.arange(config.num_eval_samples) % max(config.model.num_classes, 1)
        ).astype(np.int32)

    def _check_same_run(self) -> None:
        path = self.run_dir / "config.json"
        if path.is_file():
            previous = type(self.config).load(path)
            if dataclasses.replace(previous, num_steps=self.config.num_steps) != self.config:
                raise ValueError(
                    f"{self.run_dir} holds a run with another config (only num_steps may change "
                    "on resume); choose a new run folder or pass the saved config "
                    f"({type(self.config).__name__}.load('{path}'))."
                )
        self.config.save(path)

    def _load_stats(self):
        from .features import SpectrogramStats

        path = self.run_dir / "stats.json"
        return SpectrogramStats.load(path) if path.is_file() else None

    def stop(self) -> None:
        """Ask the run to end cleanly after the current step (a checkpoint is written)."""
        self._stop = True

    def _batch(self, step: int):
        config = self.config
        index = np.stack(
            [
                _batch_indices(len(self.examples), config.batch_size, config.seed, step * config.n_critic + k)  # noqa: E501
                for k in range(config.n_critic)
            ]
        )
        return self.examples[index], self.labels[index]

    def samples(self, use_ema: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(generated examples, their audio float32 [n, num_samples]) from the fixed noise."""
        made = self.gan.generate(self.eval_noise, self.eval_labels, use_ema=use_ema)
        return made, examples_to_audio(made, self.config, self.stats)

    def _checkpoint(self) -> None:
        for variable in self.gan.generator.weights + self.gan.discriminator.weights:
            if not np.all(np.isfinite(ops.convert_to_numpy(variable.value))):
                raise TrainingDiverged(
                    f"step {self.step}: the weight {variable.path} holds NaN or inf; the run "
                    f"stopped without overwriting the last good checkpoint in "
                    f"{self.run_dir / 'checkpoints'}. Lower the learning rates and resume."
                )
        path = save_checkpoint(
            self.gan, self.config, self.step, self.run_dir, keep=self.config.keep_checkpoints
        )
        for callback in self.callbacks:
            callback.on_checkpoint(self, self.step, path)

    def _write_samples(self) -> None:
        made, audio = self.samples()
        folder = self.run_dir / "samples"
        folder.mkdir(exist_ok=True)
        np.savez(folder / f"step-{self.step:08d}.npz", examples=made, audio=audio, labels=self.eval_labels)  # noqa: E501
        for callback in self.callbacks:
            callback.on_samples(self, self.step, made, audio)

    def run(self) -> list[dict[str, float]]:
        """Train until ``config.num_steps`` (or :meth:`stop`); returns the history rows."""
        config = self.config
        if self.stats is not None and not (self.run_dir / "stats.json").is_file():
            self.stats.save(self.run_dir / "stats.json")
        resumed = load_latest_checkpoint(self.gan, self.run_dir, self.log)
        if resumed is not None:
            self.step = resumed
            _truncate_history(self.run_dir, resumed)
            self.log(f"resuming {self.run_dir} from step {resumed}")
        elif (self.run_dir / "history.jsonl").exists():
            (self.run_dir / "history.jsonl").unlink()
        self.history = read_history(self.run_dir)
        for callback in self.callbacks:
            callback.on_train_begin(self)
        sums: dict[str, float] = {}
        count = 0
        interval_start = time.perf_counter()
        try:
            while self.step < config.num_steps and not self._stop:
                data = self._batch(self.step)
                outputs = self._step_fn(data)
                logs = {k: float(ops.convert_to_numpy(v)) for k, v in outputs.items()}
                bad = [k for k in ("d_loss", "g_loss") if not math.isfinite(logs[k])]
                if bad:
                    last = checkpoint_paths(self.run_dir)
                    raise TrainingDiverged(
                        f"step {self.step + 1}: {', '.join(bad)} is {logs[bad[0]]}; the run "
                        "stopped. The last good checkpoint is "
                        f"{last[-1] if last else 'none (none was written yet)'}; lower the "
                        "learning rates (or use wgan-gp / hinge) and resume."
                    )
                self.step += 1
                for key, value in logs.items():
                    sums[key] = sums.get(key, 0.0) + value
                count += 1
                for callback in self.callbacks:
                    callback.on_step_end(self, self.step, logs)
                if self.step % config.log_every == 0 or self.step == config.num_steps:
                    elapsed = time.perf_counter() - interval_start
                    row = {"step": self.step, **{k: v / count for k, v in sums.items()}}
                    row["steps_per_s"] = count / max(elapsed, 1e-9)
                    self._append_history(row)
                    sums, count, interval_start = {}, 0, time.perf_counter()
                if self.step % config.checkpoint_every == 0:
                    self._checkpoint()
                if config.sample_every and self.step % config.sample_every == 0:
                    self._write_samples()
            if self.step % config.checkpoint_every != 0 and (
                not checkpoint_paths(self.run_dir) or self._stop or self.step == config.num_steps
            ):
                self._checkpoint()
            if not config.sample_every or self.step % config.sample_every != 0:
                self._write_samples()
        finally:
            for callback in self.callbacks:
                callback.on_train_end(self)
        return self.history

    def _append_history(self, row: dict[str, float]) -> None:
        self.history.append(row)
        with open(self.run_dir / "history.jsonl", "a") as handle:
            handle.write(json.dumps(row) + "\n")
        for callback in self.callbacks:
            callback.on_log(self, row)


def _dataset_arrays(dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    """(audio float32 [n, samples], labels int [n]) from an AudioDataset or a pair of arrays."""
    if hasattr(dataset, "audio") and hasattr(dataset, "labels"):
        return np.asarray(dataset.audio, np.float32), np.asarray(dataset.labels)
    if isinstance(dataset, tuple | list) and len(dataset) == 2:
        return np.asarray(dataset[0], np.float32), np.asarray(dataset[1])
    raise ValueError(
        "dataset must be an AudioDataset (data.load_fsdd) or a pair (audio [n, samples], "
        f"labels [n]); got {type(dataset).__name__}."
    )


def _check_batch_size(num_examples: int, batch_size: int) -> None:
    if num_examples < batch_size:
        raise ValueError(
            f"the dataset has {num_examples} clips, fewer than batch_size={batch_size}; use a "
            "smaller batch."
        )


def train(
    config: TrainConfig,
    dataset: Any,
    run_dir: str | Path,
    callbacks: Iterable[TrainCallback] = (),
    log: Callable[[str], None] = print,
) -> Trainer:
    """Train (or resume, when ``run_dir`` has a checkpoint) and return the finished Trainer.

    Args:
        config: the run's :class:`TrainConfig`; on resume only ``num_steps`` may differ
            from the saved one.
        dataset: the training clips: an :class:`~audiogan_kit.data.AudioDataset` or
            ``(audio float32 [n, num_samples], labels int [n])``.
        run_dir: the run folder (created if missing).
        callbacks: :class:`TrainCallback` objects (dashboard, progress bar, TensorBoard).
        log: where messages (resume, skipped checkpoints) go.

    Raises:
        TrainingDiverged: a loss became non-finite (the last good checkpoint is kept).
    """
    trainer = Trainer(config, dataset, run_dir, callbacks, log)
    trainer.run()
    return trainer


# --- using a trained run --------------------------------------------------------------------


class RunGenerator:
    """A trained run's generator (EMA weights when the run kept them), ready to make audio."""

    def __init__(self, run_dir: str | Path, log: Callable[[str], None] = print) -> None:
        from .features import SpectrogramStats

        self.run_dir = Path(run_dir)
        config_path = self.run_dir / "config.json"
        if not config_path.is_file():
            raise ValueError(
                f"{self.run_dir} is not a training run (no config.json); give the folder that "
                "`audiogan train --out` wrote."
            )
        self.config = TrainConfig.load(config_path)
        stats_path = self.run_dir / "stats.json"
        self.stats = SpectrogramStats.load(stats_path) if stats_path.is_file() else None
        self.gan = build_gan(self.config, devices=1)
        step = load_latest_checkpoint(self.gan, self.run_dir, log)
        if step is None:
            raise ValueError(f"{self.run_dir} has no usable checkpoint; train it first.")
        self.step = step

    def generate(self, n: int, digit: int | None = None, seed: int = 0) -> np.ndarray:
        """``n`` clips: float32 [n, num_samples] in [-1, 1] at ``config.audio.sample_rate`` Hz.

        ``digit`` (0-9) is required by a conditional run and refused by an unconditional one.
        """
        model = self.config.model
        if model.conditional and digit is None:
            raise ValueError(f"this run is conditional: give a digit 0..{model.num_classes - 1}.")
        if digit is not None and not model.conditional:
            raise ValueError("this run is unconditional: it cannot be asked for a digit.")
        if digit is not None and not 0 <= digit < model.num_classes:
            raise ValueError(f"digit must be in 0..{model.num_classes - 1}, got {digit}.")
        noise = np.random.default_rng(seed).standard_normal((n, model.latent_dim)).astype(np.float32)
        labels = np.full(n, digit if digit is not None else 0, dtype=np.int32)
        return examples_to_audio(self.gan.generate(noise, labels), self.config, self.stats)


def load_run(run_dir: str | Path, log: Callable[[str], None] = print) -> RunGenerator:
    """The generator of a finished (or interrupted) run, from its newest good checkpoint."""
    return RunGenerator(run_dir, log)
