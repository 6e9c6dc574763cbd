"""The judge network: a small digit classifier that scores audio, and its recipe.

Introduced in notebooks/05_evaluation.ipynb.

Three kinds, named by :attr:`JudgeConfig.features` (:data:`JUDGE_PRESETS`):

- ``"mfcc"`` (the kit's judge): computes its own features from the waveform, MFCCs and their
  deltas from a 64 ms STFT at an 8 ms hop, features no GAN of the kit generates, so what the
  way back from a spectrogram does to the waveform (smeared harmonics, frame-to-frame
  striping) counts;
- ``"waveform"`` (a strict second opinion): a 1-D CNN on the raw samples (after Dai et al.
  2017, "Very deep convolutional neural networks for raw waveforms"); it hears the phase too,
  and even real speech loses some of its accuracy through Griffin-Lim;
- ``"log_mel"`` (a lenient second opinion): 1-D convolutions over the 64-band log-mel frames
  that the kit's mel SpecGAN generates. A generator that gets those bands right passes it,
  whatever the inversion did to the waveform, so it flatters spectrogram GANs.

:class:`JudgeConfig` describes the network and how it is trained; :func:`build_judge_model`
builds the classifier on raw audio, and :func:`build_judge_networks` builds it together with
the model that training fits (for the log-mel judge the layers after the features, trained on
features computed once). Training, saving and scoring are :mod:`audiogan_kit.metrics.judge`
and the modules next to it.

Shapes: the judge maps a waveform float32 ``[batch, num_samples]`` in [-1, 1] to raw logits
float32 ``[batch, num_classes]``. Built from ``keras.layers`` only, so it runs under the
TensorFlow and the JAX backends.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from ..config import DEFAULT_CONFIG, AudioConfig, Config
from ..layers import LogMelFeatures, MFCCFeatures

__all__ = [
    "JUDGE_FEATURES",
    "JUDGE_PRESETS",
    "JudgeConfig",
    "build_judge_model",
    "build_judge_networks",
    "mfcc_config",
]

#: What a judge listens to: the raw waveform, MFCCs of its own STFT, or the kit's log-mel.
JUDGE_FEATURES = ("waveform", "mfcc", "log_mel")


@dataclasses.dataclass(frozen=True)
class JudgeConfig(Config):
    """How the judge (a digit classifier) is built and trained.

    The network: the clip's ``features`` (the waveform ``[num_samples, 1]``, or its log-mel
    frames ``[frames, n_mels]``), normalised by the training set's mean and variance, then
    ``len(filters)`` blocks of 1-D convolution over time, batch normalisation, ReLU and max
    pooling by ``pool_size``; the first block's convolution has its own width and stride (on
    the waveform: 80 samples = 10 ms with stride 4, a learned filter bank). Then global
    average pooling over time, a dense ``embedding`` layer of ``embedding_dim`` ReLU units
    (the penultimate layer, used by the Fréchet distance and the diversity score), dropout
    and a dense layer to ``num_classes`` logits. The defaults are the MFCC judge; see
    :data:`JUDGE_PRESETS` for the others.

    Attributes:
        features: ``"waveform"``, ``"mfcc"`` or ``"log_mel"`` (:data:`JUDGE_FEATURES`).
        feature_n_fft, feature_hop_length, feature_mels, n_mfcc: the MFCC judge's own STFT
            (512 samples = 64 ms, hop 64 = 8 ms at 8 kHz), mel bands and coefficients; not
            the generator's, so that it does not hear the world through the GAN's features.
        filters: convolution channels of each block.
        kernel_size: convolution width of every block after the first, in time steps of its
            input (samples of the pooled waveform, or frames).
        first_kernel_size, first_stride: the first convolution's width and stride.
        pool_size: max pooling after every block.
        embedding_dim: size of the penultimate (embedding) layer.
        dropout: dropout rate before the logits, in [0, 1).
        epochs: passes over the training clips (each with fresh augmentations, see
            :func:`audiogan_kit.metrics.augment_log_mel`).
        batch_size: clips per training step.
        learning_rate: Adam's initial learning rate; it decays to 0 with a cosine schedule.
        max_shift_s: largest random time shift in seconds (to the right, for the waveform
            judge no further than a clip's padding; up to a quarter of it to the left, which
            cuts the start of the word), zero-filled.
        max_attenuation_db: random gain between ``-max_attenuation_db`` and 0 dB.
        noise_db: (low, high) range of the level of added white noise, in dB re full scale
            (standard deviation ``10 ** (dB / 20)``); ``None`` adds none.
        held_out_speaker: a speaker for the generalisation check: a second network with the
            same recipe is trained on the other speakers (all takes) and tested on every clip
            of this one; ``None`` skips the check (half the training time).
        num_classes: number of digits.
        seed: seed of the initial weights, the augmentations and the batch order.
    """

    features: str = "mfcc"
    feature_n_fft: int = 512
    feature_hop_length: int = 64
    feature_mels: int = 40
    n_mfcc: int = 20
    filters: tuple[int, ...] = (64, 128, 128)
    kernel_size: int = 5
    first_kernel_size: int = 5
    first_stride: int = 1
    pool_size: int = 2
    embedding_dim: int = 128
    dropout: float = 0.3
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 2e-3
    max_shift_s: float = 0.5
    max_attenuation_db: float = 12.0
    noise_db: tuple[float, float] | None = (-60.0, -30.0)
    held_out_speaker: str | None = "theo"
    num_classes: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "filters", tuple(int(f) for f in self.filters))
        if self.noise_db is not None:
            object.__setattr__(self, "noise_db", tuple(float(v) for v in self.noise_db))
        if self.features not in JUDGE_FEATURES:
            raise ValueError(f"features must be one of {JUDGE_FEATURES}, got {self.features!r}.")
        if not self.filters or min(self.filters) <= 0:
            raise ValueError(f"filters must be positive channel counts, got {self.filters}.")
        positive = (
            "kernel_size", "first_kernel_size", "first_stride", "pool_size", "feature_n_fft",
            "feature_hop_length", "feature_mels", "n_mfcc",
        )
        for name in (*positive, "embedding_dim", "epochs", "batch_size", "num_classes"):
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
    """The judge's layers after the features, in order (shared by both graphs)."""
    seed = config.seed
    stack: list[layers.Layer] = [
        layers.Normalization(axis=None, mean=mean, variance=variance, name="normalize")
    ]
    for i, filters in enumerate(config.filters, start=1):
        first = i == 1
        stack += [
            layers.Conv1D(
                filters,
                config.first_kernel_size if first else config.kernel_size,
                strides=config.first_stride if first else 1,
                padding="same",
                use_bias=False,
                kernel_initializer=keras.initializers.HeNormal(seed=seed + i),
                name=f"conv{i}",
            ),
            layers.BatchNormalization(name=f"conv{i}_bn"),
            layers.ReLU(name=f"conv{i}_relu"),
            layers.MaxPooling1D(config.pool_size, name=f"conv{i}_pool"),
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


def mfcc_config(config: JudgeConfig, audio_config: AudioConfig) -> AudioConfig:
    """The MFCC judge's feature settings: ``audio_config`` with the judge's own STFT and mels."""
    return dataclasses.replace(
        audio_config,
        n_fft=config.feature_n_fft,
        hop_length=config.feature_hop_length,
        n_mels=config.feature_mels,
        fmax=None,
    )


def build_judge_networks(
    config: JudgeConfig, audio_config: AudioConfig, mean: float, variance: float
) -> tuple[keras.Model, keras.Model]:
    """The judge on raw audio, and the model that training fits.

    For the log-mel judge the second model is the same layers (and so the same weights) on
    precomputed log-mel features ``[batch, num_frames, n_mels]``: training it, on features
    computed once and augmented per epoch, trains the judge. For the waveform judge it is
    the judge itself.

    Args:
        config: the network sizes and the seeds of its initial weights.
        audio_config: the clip length and feature settings.
        mean, variance: normalise the features (scalars: sample values, or natural-log mel
            magnitudes).

    Returns:
        (``"judge"``: waveform float32 ``[batch, num_samples]`` -> logits
        ``[batch, num_classes]``; the model to fit).
    """
    stack = _judge_layers(config, mean, variance)
    waveform = keras.Input(shape=(audio_config.num_samples,), name="waveform")
    if config.features in ("waveform", "mfcc"):
        if config.features == "waveform":
            x = layers.Reshape((audio_config.num_samples, 1), name="samples")(waveform)
        else:
            x = MFCCFeatures(mfcc_config(config, audio_config), config.n_mfcc, name="mfcc")(
                waveform
            )
        for layer in stack:
            x = layer(x)
        judge = keras.Model(waveform, x, name="judge")
        return judge, judge
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
    layer. ``mean`` and ``variance`` normalise the features (scalars).
    """
    return build_judge_networks(config, audio_config, mean, variance)[0]


JUDGE_PRESETS: dict[str, JudgeConfig] = {
    # The kit's judge: MFCCs and deltas of its own 64 ms STFT (the JudgeConfig defaults).
    "mfcc": JudgeConfig(),
    # A strict second opinion: a raw-waveform CNN, 80-sample filters with stride 4.
    "waveform": JudgeConfig(
        features="waveform",
        filters=(32, 32, 64, 64),
        kernel_size=3,
        first_kernel_size=80,
        first_stride=4,
        pool_size=4,
        epochs=30,
    ),
    # A lenient second opinion: 1-D convolutions over the 64 log-mel frames that the mel
    # SpecGAN generates (mel bands as channels).
    "log_mel": JudgeConfig(
        features="log_mel",
        filters=(64, 128, 128),
        kernel_size=5,
        first_kernel_size=5,
        first_stride=1,
        pool_size=2,
        epochs=20,
        max_shift_s=0.1,
    ),
}
"""The three judges by name; ``load_or_train_judge(config=JUDGE_PRESETS["log_mel"])``."""
