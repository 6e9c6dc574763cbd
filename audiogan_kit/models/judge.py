"""The judge network: a small digit classifier on log-mel features, and its recipe.

Introduced in notebooks/05_evaluation.ipynb.

:class:`JudgeConfig` describes the network and how it is trained; :func:`build_judge_model`
builds the classifier on raw audio, and :func:`build_judge_networks` builds it together with
a second model that shares every layer after the features, for training on precomputed (and
augmented) log-mel features. Training, saving and scoring are
:mod:`audiogan_kit.metrics.judge` and the modules next to it.

Shapes: the judge maps a waveform float32 ``[batch, num_samples]`` in [-1, 1] to raw logits
float32 ``[batch, num_classes]``; the feature model maps log-mel features float32
``[batch, num_frames, n_mels]`` (natural-log magnitudes) to the same logits. Both are built
from ``keras.layers`` only, so they run under the TensorFlow and the JAX backends.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from ..config import DEFAULT_CONFIG, AudioConfig, Config
from ..layers import LogMelFeatures

__all__ = ["JudgeConfig", "build_judge_model", "build_judge_networks"]


@dataclasses.dataclass(frozen=True)
class JudgeConfig(Config):
    """How the judge (a digit classifier on log-mel features) is built and trained.

    The network: log-mel features ``[frames, n_mels]`` of the clip (64 x 64 at the default
    :class:`AudioConfig`), normalised by the training set's mean and variance, then
    ``len(filters)`` blocks of 1-D convolution over time (``kernel_size`` frames, the mel
    bands as channels), batch normalisation, ReLU and max pooling by 2, global average
    pooling over time, a dense ``embedding`` layer of ``embedding_dim`` ReLU
    units (the penultimate layer, used by the Fréchet distance and the diversity score),
    dropout and a dense layer to ``num_classes`` logits.

    Attributes:
        filters: convolution channels of each block.
        kernel_size: convolution width in frames (5 frames = 64 ms at the defaults).
        embedding_dim: size of the penultimate (embedding) layer.
        dropout: dropout rate before the logits, in [0, 1).
        epochs: passes over the training clips (each with fresh augmentations, see
            :func:`audiogan_kit.metrics.augment_log_mel`).
        batch_size: clips per training step.
        learning_rate: Adam's initial learning rate; it decays to 0 with a cosine schedule.
        max_shift_s: largest random time shift in seconds (to the right; up to a quarter of
            it to the left, which cuts the start of the word), zero-filled.
        max_attenuation_db: random gain between ``-max_attenuation_db`` and 0 dB.
        noise_db: (low, high) range of the level of added white noise, in dB re full scale
            (standard deviation ``10 ** (dB / 20)``); ``None`` adds none.
        held_out_speaker: a speaker for the generalisation check: a second network with the
            same recipe is trained on the other speakers (all takes) and tested on every clip
            of this one; ``None`` skips the check (half the training time).
        num_classes: number of digits.
        seed: seed of the initial weights, the augmentations and the batch order.
    """

    filters: tuple[int, ...] = (64, 128, 128)
    kernel_size: int = 5
    embedding_dim: int = 128
    dropout: float = 0.3
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 2e-3
    max_shift_s: float = 0.1
    max_attenuation_db: float = 12.0
    noise_db: tuple[float, float] | None = (-60.0, -30.0)
    held_out_speaker: str | None = "theo"
    num_classes: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "filters", tuple(int(f) for f in self.filters))
        if self.noise_db is not None:
            object.__setattr__(self, "noise_db", tuple(float(v) for v in self.noise_db))
        if not self.filters or min(self.filters) <= 0:
            raise ValueError(f"filters must be positive channel counts, got {self.filters}.")
        for name in ("kernel_size", "embedding_dim", "epochs", "batch_size", "num_classes"):
            if getattr(self, name) <= 0:
                raise ValueError(
                    f"JudgeConfig.{name} must be positive, got {getattr(self, name)}."
                )
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}.")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}.")
        if self.max_shift_s < 0 or self.max_attenuation_db < 0:
            raise ValueError(
                "max_shift_s and max_attenuation_db must be >= 0, got "
                f"{self.max_shift_s} and {self.max_attenuation_db}."
            )
        if self.noise_db is not None and (
            len(self.noise_db) != 2 or self.noise_db[0] > self.noise_db[1]
        ):
            raise ValueError(f"noise_db must be a (low, high) pair in dB, got {self.noise_db}.")


def _judge_layers(config: JudgeConfig, mean: float, variance: float) -> list[layers.Layer]:
    """The judge's layers after the log-mel features, in order (shared by both graphs)."""
    seed = config.seed
    stack: list[layers.Layer] = [
        layers.Normalization(axis=None, mean=mean, variance=variance, name="normalize")
    ]
    for i, filters in enumerate(config.filters, start=1):
        stack += [
            layers.Conv1D(
                filters,
                config.kernel_size,
                padding="same",
                use_bias=False,
                kernel_initializer=keras.initializers.HeNormal(seed=seed + i),
                name=f"conv{i}",
            ),
            layers.BatchNormalization(name=f"conv{i}_bn"),
            layers.ReLU(name=f"conv{i}_relu"),
            layers.MaxPooling1D(2, name=f"conv{i}_pool"),
        ]
    stack += [
        layers.GlobalAveragePooling1D(name="pool"),
        layers.Dense(
            config.embedding_dim,
            activation="relu",
            kernel_initializer=keras.initializers.HeNormal(seed=seed + 100),
            name="embedding",
        ),
        layers.Dropout(config.dropout, seed=seed + 200, name="dropout"),
        layers.Dense(
            config.num_classes,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 300),
            name="logits",
        ),
    ]
    return stack


def build_judge_networks(
    config: JudgeConfig, audio_config: AudioConfig, mean: float, variance: float
) -> tuple[keras.Model, keras.Model]:
    """The judge on raw audio and the same layers on precomputed log-mel features.

    The two models share every layer (and so every weight) after the features: training
    the second one, on features computed once and augmented per epoch, trains the first.

    Args:
        config: the network sizes and the seeds of its initial weights.
        audio_config: the clip length and feature settings.
        mean, variance: normalise the log-mel values (scalars, natural-log units).

    Returns:
        (``"judge"``: waveform float32 ``[batch, num_samples]`` -> logits
        ``[batch, num_classes]``; ``"judge_features"``: log-mel float32
        ``[batch, num_frames, n_mels]`` -> the same logits).
    """
    stack = _judge_layers(config, mean, variance)
    waveform = keras.Input(shape=(audio_config.num_samples,), name="waveform")
    features = keras.Input(shape=(audio_config.num_frames, audio_config.n_mels), name="log_mel")
    x = LogMelFeatures(audio_config, name="log_mel")(waveform)
    y = features
    for layer in stack:
        x, y = layer(x), layer(y)
    return keras.Model(waveform, x, name="judge"), keras.Model(features, y, name="judge_features")


def build_judge_model(
    config: JudgeConfig,
    audio_config: AudioConfig = DEFAULT_CONFIG,
    mean: float = 0.0,
    variance: float = 1.0,
) -> keras.Model:
    """The judge network (see :class:`JudgeConfig`) as a functional ``keras.Model``.

    Input ``waveform`` float32 ``[batch, num_samples]`` in [-1, 1]; output raw logits
    float32 ``[batch, num_classes]``; the layer named ``"embedding"`` is the penultimate
    layer. ``mean`` and ``variance`` normalise the log-mel values (scalars, natural-log
    units).
    """
    return build_judge_networks(config, audio_config, mean, variance)[0]
