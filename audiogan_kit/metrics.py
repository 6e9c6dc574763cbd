"""Honest yardsticks for generated digits: a judge classifier and the scores built on it.

Introduced in notebooks/05_evaluation.ipynb.

"It sounds like a seven" is not a measurement. WaveGAN scored its samples with an Inception
Score computed by a classifier trained on the real digits; image GANs compare embedding
statistics with the Fréchet distance. This module gives the kit the same yardsticks for FSDD.

Read top to bottom:

1. the judge (:class:`JudgeConfig`, :class:`Judge`, :func:`train_judge`,
   :func:`load_or_train_judge`): a small CNN on log-mel features, trained by the kit on the
   official FSDD training split, saved to the user cache with the data digest and the configs
   it was trained on, and reloaded rather than retrained;
2. :func:`inception_score` (exp of the mean KL divergence between p(y|x) and p(y));
3. :func:`frechet_distance` between embedding statistics (FID-style) and
   :func:`judge_frechet_distance` from audio;
4. :func:`confusion_matrix` and :func:`conditional_accuracy` for conditional generators;
5. :func:`diversity` (mean pairwise distance within a digit, generated vs real);
6. memorisation (:func:`nearest_neighbours`, :func:`calibrate_memorisation_threshold`,
   :func:`memorisation`): each generated clip's nearest training clip;
7. :func:`real_reference` and :func:`score_generated`, every number at once;
8. speech quality for enhancement: :func:`pesq_nb`, :func:`stoi`, :func:`si_sdr`,
   :func:`segmental_snr` and :func:`speech_scores`.

Conventions: audio is float32 ``[clips, num_samples]`` (or ``[clips, num_samples, 1]``) in
[-1, 1] at ``config.sample_rate`` Hz; labels are int ``[clips]`` digits 0-9; embeddings are
float ``[clips, dim]``; probabilities float ``[clips, classes]`` with rows summing to 1.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers

from .config import DEFAULT_CONFIG, AudioConfig, from_dict, to_dict
from .features import log_mel

__all__ = [
    "ConditionalScores",
    "DiversityScores",
    "Judge",
    "JudgeConfig",
    "LogMelFeatures",
    "MemorisationScores",
    "augment_log_mel",
    "build_judge_model",
    "calibrate_memorisation_threshold",
    "conditional_accuracy",
    "confusion_matrix",
    "data_digest",
    "diversity",
    "embedding_statistics",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "inception_score",
    "judge_frechet_distance",
    "judge_path",
    "load_or_train_judge",
    "mean_pairwise_distance",
    "memorisation",
    "memorisation_features",
    "nearest_neighbours",
    "real_reference",
    "sample_per_class",
    "score_generated",
    "train_judge",
]

#: Bumped when the judge's file layout or training recipe changes, so old files retrain.
JUDGE_FORMAT_VERSION = 1


# ---------------------------------------------------------------------------------------------
# 1. The judge
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class JudgeConfig:
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
            :func:`augment_log_mel`).
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
                raise ValueError(f"JudgeConfig.{name} must be positive, got {getattr(self, name)}.")
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


@keras.saving.register_keras_serializable(package="audiogan_kit")
class LogMelFeatures(layers.Layer):
    """:func:`audiogan_kit.features.log_mel` as a layer, so the judge takes raw audio.

    Input: float32 ``[batch, num_samples]`` in [-1, 1]. Output: float32
    ``[batch, num_frames, n_mels]``, natural-log mel magnitudes (about -11.5 on silence).

    Args:
        audio_config: the :class:`AudioConfig` (or its :func:`~audiogan_kit.config.to_dict`).
    """

    def __init__(self, audio_config: AudioConfig | dict = DEFAULT_CONFIG, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(audio_config, dict):
            audio_config = from_dict(AudioConfig, audio_config)
        self.audio_config = audio_config

    def call(self, inputs):
        return log_mel(inputs, self.audio_config)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.audio_config.num_frames, self.audio_config.n_mels)

    def get_config(self):
        return {**super().get_config(), "audio_config": to_dict(self.audio_config)}


def _as_audio(audio: Any, config: AudioConfig, what: str = "audio") -> np.ndarray:
    """``audio`` as float32 [clips, num_samples]; accepts [clips, num_samples, 1] too."""
    if hasattr(audio, "audio") and hasattr(audio, "labels"):
        audio = audio.audio
    if not isinstance(audio, np.ndarray):
        audio = keras.ops.convert_to_numpy(audio)
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 3 and audio.shape[-1] == 1:
        audio = audio[..., 0]
    if audio.ndim == 1 and audio.shape[0] == config.num_samples:
        raise ValueError(
            f"{what} is a single clip of shape {audio.shape}; pass a batch, e.g. clip[None]."
        )
    if audio.ndim != 2 or audio.shape[1] != config.num_samples:
        raise ValueError(
            f"{what} must be float [clips, {config.num_samples}] (or [clips, "
            f"{config.num_samples}, 1]) at {config.sample_rate} Hz, got shape {audio.shape}; "
            "pad/crop clips with data.fix_length or convert spectrograms to audio first."
        )
    return audio


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


def _build_networks(
    config: JudgeConfig, audio_config: AudioConfig, mean: float, variance: float
) -> tuple[keras.Model, keras.Model]:
    """(judge on raw audio, the same layers on precomputed log-mel features for training)."""
    stack = _judge_layers(config, mean, variance)
    waveform = keras.Input(shape=(audio_config.num_samples,), name="waveform")
    features = keras.Input(shape=(audio_config.num_frames, audio_config.n_mels), name="log_mel")
    x = LogMelFeatures(audio_config, name="log_mel")(waveform)
    y = features
    for layer in stack:
        x, y = layer(x), layer(y)
    return keras.Model(waveform, x, name="judge"), keras.Model(features, y, name="judge_features")


def build_judge_model(
    config: JudgeConfig, audio_config: AudioConfig = DEFAULT_CONFIG, mean: float = 0.0,
    variance: float = 1.0,
) -> keras.Model:
    """The judge network (see :class:`JudgeConfig`) as a functional ``keras.Model``.

    Input ``waveform`` float32 ``[batch, num_samples]`` in [-1, 1]; output raw logits
    float32 ``[batch, num_classes]``; the layer named ``"embedding"`` is the penultimate
    layer. ``mean`` and ``variance`` normalise the log-mel values (scalars, natural-log
    units).
    """
    return _build_networks(config, audio_config, mean, variance)[0]


class Judge:
    """A trained digit classifier that scores audio: probabilities and embeddings.

    Args:
        model: the network from :func:`build_judge_model` (raw audio in, logits out).
        audio_config: the :class:`AudioConfig` of the clips it was trained on; clips to score
            must have ``audio_config.num_samples`` samples at ``audio_config.sample_rate`` Hz.
        config: the :class:`JudgeConfig` it was trained with.
        info: what is known about its training: ``official_test_accuracy``,
            ``held_out_speaker_accuracy``, ``data_digest``, ``train_seconds``, ... (JSON-ready).
        path: the ``.keras`` file it was loaded from or saved to, if any.
    """

    def __init__(
        self,
        model: keras.Model,
        audio_config: AudioConfig = DEFAULT_CONFIG,
        config: JudgeConfig | None = None,
        info: dict[str, Any] | None = None,
        path: Path | None = None,
    ) -> None:
        self.model = model
        self.audio_config = audio_config
        self.config = JudgeConfig() if config is None else config
        self.info = dict(info or {})
        self.path = path
        embedding = model.get_layer("embedding").output
        self._scorer = keras.Model(model.inputs[0], [embedding, model.outputs[0]], name="judge_scorer")

    def __repr__(self) -> str:
        accuracy = self.info.get("official_test_accuracy")
        text = f"{accuracy:.1%}" if isinstance(accuracy, float) else "not measured"
        return f"Judge(official test accuracy {text}, embedding_dim {self.embedding_dim})"

    @property
    def embedding_dim(self) -> int:
        return int(self.model.get_layer("embedding").units)

    @property
    def num_classes(self) -> int:
        return int(self.model.output_shape[-1])

    def scores(self, audio: Any, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings and class probabilities of a batch of clips, in one pass.

        Args:
            audio: float [clips, num_samples] (or [clips, num_samples, 1], or an
                ``AudioDataset``) in [-1, 1] at ``audio_config.sample_rate`` Hz.
            batch_size: clips per forward pass (bounds memory, not the result).

        Returns:
            (embeddings float32 [clips, embedding_dim] >= 0, probabilities float32
            [clips, num_classes], rows summing to 1).
        """
        audio = _as_audio(audio, self.audio_config)
        if audio.shape[0] == 0:
            return (
                np.zeros((0, self.embedding_dim), np.float32),
                np.zeros((0, self.num_classes), np.float32),
            )
        embeddings, logits = [], []
        for start in range(0, audio.shape[0], batch_size):
            e, z = self._scorer(audio[start : start + batch_size], training=False)
            embeddings.append(keras.ops.convert_to_numpy(e))
            logits.append(keras.ops.convert_to_numpy(z))
        logits = np.concatenate(logits).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        return np.concatenate(embeddings).astype(np.float32), probabilities.astype(np.float32)

    def predict_proba(self, audio: Any, batch_size: int = 256) -> np.ndarray:
        """p(digit | clip): float32 [clips, num_classes], rows summing to 1."""
        return self.scores(audio, batch_size)[1]

    def embed(self, audio: Any, batch_size: int = 256) -> np.ndarray:
        """Penultimate-layer embedding: float32 [clips, embedding_dim] (ReLU units, >= 0)."""
        return self.scores(audio, batch_size)[0]

    def predict(self, audio: Any, batch_size: int = 256) -> np.ndarray:
        """The most probable digit of each clip: int64 [clips]."""
        return np.argmax(self.predict_proba(audio, batch_size), axis=1).astype(np.int64)

    def accuracy(self, audio: Any, labels: Any = None) -> float:
        """Fraction of clips classified as ``labels`` (default: the dataset's own labels)."""
        if labels is None:
            if not hasattr(audio, "labels"):
                raise ValueError("pass labels=, or an AudioDataset that carries its labels.")
            labels = audio.labels
        labels = np.asarray(labels)
        predicted = self.predict(audio)
        if labels.shape != predicted.shape:
            raise ValueError(f"labels have shape {labels.shape}, expected {predicted.shape}.")
        return float(np.mean(predicted == labels))

    def save(self, path: str | Path) -> Path:
        """Write the model to ``path`` (``.keras``) and a JSON sidecar next to it.

        The sidecar (``path`` with suffix ``.json``) holds the configs, :attr:`info` and the
        sha256 of the ``.keras`` file, so that :meth:`load` can check what it reads.
        """
        path = Path(path)
        if path.suffix != ".keras":
            raise ValueError(f"judge files use the .keras format; got {path}, rename it *.keras.")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".keras", dir=path.parent)
        os.close(handle)
        try:
            self.model.save(temp)
            digest = _file_sha256(Path(temp))
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        sidecar = {
            "format_version": JUDGE_FORMAT_VERSION,
            "audio_config": to_dict(self.audio_config),
            "judge_config": _judge_config_dict(self.config),
            "model_sha256": digest,
            "info": self.info,
        }
        _atomic_write_text(path.with_suffix(".json"), json.dumps(sidecar, indent=2) + "\n")
        self.path = path
        return path

    @classmethod
    def load(cls, path: str | Path) -> Judge:
        """Read a judge written by :meth:`save` (``safe_mode=True``, checked against its sidecar).

        Raises:
            ValueError: the file or its sidecar is missing or unreadable, or the ``.keras``
                file does not match the sha256 recorded in the sidecar.
        """
        path = Path(path)
        sidecar = _read_sidecar(path)
        if _file_sha256(path) != sidecar["model_sha256"]:
            raise ValueError(
                f"{path} does not match the sha256 in its sidecar {path.with_suffix('.json')}; "
                "the file was changed or half-written. Delete both, or retrain with "
                "load_or_train_judge(..., retrain=True)."
            )
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
        return cls(
            model,
            audio_config=from_dict(AudioConfig, sidecar["audio_config"]),
            config=_judge_config_from_dict(sidecar["judge_config"]),
            info=sidecar.get("info", {}),
            path=path,
        )


def _judge_config_dict(config: JudgeConfig) -> dict[str, Any]:
    values = to_dict(config)
    values["filters"] = list(config.filters)
    values["noise_db"] = None if config.noise_db is None else list(config.noise_db)
    return values


def _judge_config_from_dict(values: dict[str, Any]) -> JudgeConfig:
    return from_dict(JudgeConfig, values)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write_text(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _read_sidecar(path: Path) -> dict[str, Any]:
    sidecar_path = path.with_suffix(".json")
    if not path.is_file() or not sidecar_path.is_file():
        raise ValueError(
            f"no judge at {path} (with its sidecar {sidecar_path.name}); train one with "
            "load_or_train_judge()."
        )
    try:
        sidecar = json.loads(sidecar_path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read the judge sidecar {sidecar_path}: {error}") from error
    missing = {"format_version", "audio_config", "judge_config", "model_sha256"} - set(sidecar)
    if missing:
        raise ValueError(f"the judge sidecar {sidecar_path} lacks {sorted(missing)}; retrain.")
    return sidecar


def data_digest(dataset: Any) -> str:
    """sha256 (hex) of what a judge learns from: the clips, labels, speakers and takes.

    Any change to the recordings, to the :class:`AudioConfig` they were read with, or to the
    selection of clips changes the digest, so a saved judge is never reused for other data.
    """
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(dataset.audio, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(dataset.labels, dtype=np.int64).tobytes())
    digest.update("\n".join(map(str, dataset.speakers.tolist())).encode())
    digest.update(np.ascontiguousarray(dataset.takes, dtype=np.int64).tobytes())
    return digest.hexdigest()


def _noise_bank(audio_config: AudioConfig, rng: np.random.Generator, count: int = 32) -> np.ndarray:
    """Mel magnitudes of unit-variance white noise: float32 [count, frames, n_mels]."""
    noise = rng.standard_normal((count, audio_config.num_samples)).astype(np.float32)
    mel = keras.ops.convert_to_numpy(log_mel(noise, audio_config))
    return np.exp(mel) - audio_config.log_floor


def augment_log_mel(
    features: np.ndarray,
    config: JudgeConfig,
    audio_config: AudioConfig,
    rng: np.random.Generator,
    noise_bank: np.ndarray | None = None,
) -> np.ndarray:
    """Random time shift, attenuation and white noise applied to log-mel features.

    Working on the features (computed once) rather than on the audio makes an epoch of
    training several times cheaper. With ``M`` the mel magnitude, ``f`` the log floor and
    ``x = log(M + f)``:

    - time shift: whole frames (``hop_length`` samples each), up to ``max_shift_s`` later or
      a quarter of it earlier; the frames that enter are filled with each band's quietest
      value in the clip (its silence);
    - gain ``a`` (between ``-max_attenuation_db`` and 0 dB): ``log(a M + f)``, exact because
      the STFT is linear;
    - white noise of standard deviation ``s``: ``log(sqrt(M^2 + (s N)^2) + f)`` with ``N``
      a unit-noise mel image from ``noise_bank`` (magnitudes add in quadrature on average:
      an approximation, since phases are random).

    Args:
        features: float32 [clips, frames, n_mels] from :func:`audiogan_kit.features.log_mel`.
        config: the augmentation ranges.
        audio_config: the feature settings (hop, floor, sample rate).
        rng: the random source.
        noise_bank: float32 [k, frames, n_mels] unit-noise mel magnitudes (made if None).

    Returns:
        float32 [clips, frames, n_mels]; ``features`` is not modified.
    """
    x = np.asarray(features, dtype=np.float32)
    n, frames, _ = x.shape
    floor = audio_config.log_floor
    max_shift = int(round(config.max_shift_s * audio_config.sample_rate / audio_config.hop_length))
    shifts = rng.integers(-(max_shift // 4), max_shift + 1, size=n)
    silence = x.min(axis=1, keepdims=True)
    time = np.arange(frames)[None, :] - shifts[:, None]  # output frame t reads input t - shift
    inside = (time >= 0) & (time < frames)
    shifted = np.take_along_axis(x, np.clip(time, 0, frames - 1)[:, :, None], axis=1)
    shifted = np.where(inside[:, :, None], shifted, silence)
    magnitude = np.maximum(np.exp(shifted) - floor, 0.0)
    gain = 10.0 ** (rng.uniform(-config.max_attenuation_db, 0.0, size=(n, 1, 1)) / 20.0)
    magnitude = magnitude * gain.astype(np.float32)
    if config.noise_db is not None:
        if noise_bank is None:
            noise_bank = _noise_bank(audio_config, rng)
        level = 10.0 ** (rng.uniform(*config.noise_db, size=(n, 1, 1)) / 20.0)
        noise = noise_bank[rng.integers(0, noise_bank.shape[0], size=n)] * level.astype(np.float32)
        magnitude = np.sqrt(magnitude * magnitude + noise * noise)
    return np.log(magnitude + floor).astype(np.float32)


def _log_mel_numpy(audio: np.ndarray, config: AudioConfig, batch_size: int = 256) -> np.ndarray:
    """:func:`audiogan_kit.features.log_mel` of many clips, in batches: float32 [n, frames, mels]."""
    parts = [
        keras.ops.convert_to_numpy(log_mel(audio[start : start + batch_size], config))
        for start in range(0, audio.shape[0], batch_size)
    ]
    if not parts:
        return np.zeros((0, config.num_frames, config.n_mels), np.float32)
    return np.concatenate(parts).astype(np.float32)


def _fit(
    train: Any, config: JudgeConfig, progress: bool, label: str
) -> tuple[keras.Model, float]:
    """Train a fresh judge network on ``train``; returns (the judge on raw audio, seconds)."""
    audio_config = train.config
    audio = _as_audio(train.audio, audio_config, "training audio")
    labels = np.asarray(train.labels, dtype=np.int64)
    if audio.shape[0] < config.batch_size:
        raise ValueError(
            f"the judge needs at least batch_size={config.batch_size} training clips, got "
            f"{audio.shape[0]}."
        )
    if labels.min() < 0 or labels.max() >= config.num_classes:
        raise ValueError(
            f"labels must be in 0..{config.num_classes - 1}, got {labels.min()}..{labels.max()}."
        )
    start = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    features = _log_mel_numpy(audio, audio_config)
    noise_bank = _noise_bank(audio_config, rng) if config.noise_db is not None else None
    judge_model, feature_model = _build_networks(
        config, audio_config, float(features.mean()), float(max(features.var(), 1e-6))
    )
    steps_per_epoch = audio.shape[0] // config.batch_size
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=steps_per_epoch * config.epochs
    )
    feature_model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    for epoch in range(config.epochs):
        order = rng.permutation(audio.shape[0])[: steps_per_epoch * config.batch_size]
        batch = augment_log_mel(features[order], config, audio_config, rng, noise_bank)
        history = feature_model.fit(
            batch, labels[order], batch_size=config.batch_size, epochs=1, shuffle=False,
            verbose=0,
        )
        if progress:
            accuracy = history.history["accuracy"][-1]
            print(
                f"  {label}: epoch {epoch + 1}/{config.epochs}, training accuracy "
                f"{accuracy:.3f} (augmented), {time.perf_counter() - start:.0f} s",
                flush=True,
            )
    return judge_model, time.perf_counter() - start


def train_judge(
    dataset: Any,
    config: JudgeConfig | None = None,
    *,
    progress: bool = True,
) -> Judge:
    """Train a judge on FSDD's official split and measure it.

    The judge learns from the official training split (takes 5-49, 2,700 clips) and is
    tested on the official test split (takes 0-4, 300 clips). If
    ``config.held_out_speaker`` is set, a second network with the same recipe is trained on
    the other speakers and tested on every clip of that speaker, which measures how well
    the recipe generalises to a voice it never heard (a generator's voice is new, too).

    Args:
        dataset: an ``AudioDataset`` with takes and speakers (``data.load_fsdd()``).
        config: the recipe; default :class:`JudgeConfig`.
        progress: print one line per epoch.

    Returns:
        The :class:`Judge`; ``info`` holds ``official_test_accuracy``,
        ``held_out_speaker`` and ``held_out_speaker_accuracy`` (None when skipped),
        ``train_seconds``, ``data_digest`` and clip counts.
    """
    config = JudgeConfig() if config is None else config
    train, test = dataset.official_split()
    model, seconds = _fit(train, config, progress, "judge")
    judge = Judge(model, dataset.config, config)
    info: dict[str, Any] = {
        "official_test_accuracy": judge.accuracy(test),
        "official_train_clips": len(train),
        "official_test_clips": len(test),
        "held_out_speaker": config.held_out_speaker,
        "held_out_speaker_accuracy": None,
        "train_seconds": round(seconds, 1),
    }
    if config.held_out_speaker is not None:
        others, speaker = dataset.speaker_split(config.held_out_speaker)
        speaker_model, speaker_seconds = _fit(
            others, config, progress, f"without {config.held_out_speaker}"
        )
        speaker_judge = Judge(speaker_model, dataset.config, config)
        info["held_out_speaker_accuracy"] = speaker_judge.accuracy(speaker)
        info["held_out_speaker_clips"] = len(speaker)
        info["train_seconds"] = round(seconds + speaker_seconds, 1)
    info["data_digest"] = data_digest(dataset)
    info["keras_version"] = keras.__version__
    info["keras_backend"] = keras.backend.backend()
    info["date"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    judge.info = info
    return judge


def judge_path(
    digest: str, audio_config: AudioConfig = DEFAULT_CONFIG, config: JudgeConfig | None = None
) -> Path:
    """Where :func:`load_or_train_judge` keeps the judge for this data and these configs.

    ``cache_dir()/judge/judge-<hash>.keras`` (plus a ``.json`` sidecar); the hash covers the
    data digest, both configs, the judge format version and the Keras backend.
    """
    from .data import cache_dir

    config = JudgeConfig() if config is None else config
    key = json.dumps(
        {
            "digest": digest,
            "audio_config": to_dict(audio_config),
            "judge_config": _judge_config_dict(config),
            "format_version": JUDGE_FORMAT_VERSION,
        },
        sort_keys=True,
    )
    return cache_dir() / "judge" / f"judge-{hashlib.sha256(key.encode()).hexdigest()[:16]}.keras"


def load_or_train_judge(
    dataset_or_path: Any = None,
    config: JudgeConfig | None = None,
    *,
    audio_config: AudioConfig = DEFAULT_CONFIG,
    retrain: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> Judge:
    """The judge for this data and these configs: reloaded from the cache, else trained.

    A saved judge is reused only when its sidecar records the same data digest
    (:func:`data_digest`), :class:`AudioConfig`, :class:`JudgeConfig` and format version, and
    the ``.keras`` file matches the sha256 recorded next to it; otherwise it is retrained and
    saved, and ``log`` says why.

    Args:
        dataset_or_path: an FSDD ``AudioDataset``, or a folder / ``None`` to load FSDD with
            :func:`audiogan_kit.data.load_fsdd` (``None`` searches ``AUDIOGAN_DATA``, the
            cache, else downloads).
        config: the judge recipe; default :class:`JudgeConfig`.
        audio_config: how FSDD is read when a path is given (ignored for a dataset, whose own
            config is used).
        retrain: train even if a matching judge is saved.
        progress: print one line per training epoch.
        log: where the one-line messages (reused / training because ...) go.
    """
    from .data import load_fsdd

    config = JudgeConfig() if config is None else config
    if hasattr(dataset_or_path, "audio") and hasattr(dataset_or_path, "official_split"):
        dataset = dataset_or_path
    else:
        dataset = load_fsdd(dataset_or_path, audio_config, progress=progress)
    digest = data_digest(dataset)
    path = judge_path(digest, dataset.config, config)
    reason = "retrain=True was asked for"
    if not retrain:
        try:
            judge = Judge.load(path)
            if (
                judge.info.get("data_digest") == digest
                and judge.audio_config == dataset.config
                and judge.config == config
            ):
                log(f"Reusing the judge saved at {path} ({judge}).")
                return judge
            reason = f"the judge saved at {path} was trained on other data or settings"
        except (ValueError, OSError, KeyError, TypeError) as error:
            reason = (
                f"no judge is saved for this data digest ({digest[:12]}...) and these settings"
                if not path.exists()
                else f"the saved judge could not be used ({error})"
            )
    log(f"Training the judge: {reason}.")
    judge = train_judge(dataset, config, progress=progress)
    judge.save(path)
    accuracy = judge.info["official_test_accuracy"]
    held_out = judge.info["held_out_speaker_accuracy"]
    extra = "" if held_out is None else f", held-out speaker {held_out:.1%}"
    log(
        f"Saved the judge to {path}: official test accuracy {accuracy:.1%}{extra}, "
        f"{judge.info['train_seconds']:.0f} s of training."
    )
    return judge


# ---------------------------------------------------------------------------------------------
# 2. Inception score
# ---------------------------------------------------------------------------------------------


def _as_probabilities(probabilities: Any) -> np.ndarray:
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] < 2:
        raise ValueError(
            f"probabilities must be [clips, classes] with at least one clip and two classes, "
            f"got shape {p.shape}."
        )
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError("probabilities must be finite and >= 0 (use softmax outputs).")
    sums = p.sum(axis=1)
    if np.max(np.abs(sums - 1.0)) > 1e-3:
        raise ValueError(
            f"each row of probabilities must sum to 1, got sums from {sums.min():.4f} to "
            f"{sums.max():.4f}; pass softmax outputs (Judge.predict_proba), not logits."
        )
    return p / sums[:, None]


def inception_score(
    probabilities: Any, splits: int = 10, *, shuffle: bool = True, seed: int = 0
) -> tuple[float, float]:
    """Inception Score: ``exp(E_x KL(p(y|x) || p(y)))``, mean and std over ``splits`` splits.

    As in Salimans et al. (2016) and the WaveGAN paper: the clips are cut into ``splits``
    equal parts (the last ``n % splits`` clips are left out); in each part
    ``p(y)`` is the mean of the rows and the score is ``exp(mean_x sum_y p(y|x) log(p(y|x) /
    p(y)))``; the result is the mean and the (population) standard deviation of the parts'
    scores. It ranges from 1 (every clip gets the same distribution, e.g. a uniform or a
    collapsed classifier) to ``classes`` (confident and balanced: 10 for digits). It depends
    on the number of clips per part, so compare scores computed with the same ``n`` and
    ``splits``.

    The literature assumes clips in random order. A conditional generator's clips often
    come sorted by digit (30 sevens, then 30 eights...), which would make each part one digit
    and the score about 1, so the rows are first put in a random order (``shuffle``, with a
    fixed ``seed``: the same input always gives the same score).

    Args:
        probabilities: float [clips, classes], rows summing to 1 (``Judge.predict_proba``).
        splits: number of parts, 1 <= splits <= clips.
        shuffle: permute the rows (seeded) before splitting.
        seed: the permutation's seed.

    Returns:
        (mean, std) as floats.
    """
    p = _as_probabilities(probabilities)
    if not 1 <= splits <= p.shape[0]:
        raise ValueError(f"splits must be between 1 and the number of clips {p.shape[0]}, got {splits}.")
    from scipy.special import xlogy

    if shuffle:
        p = p[np.random.default_rng(seed).permutation(p.shape[0])]
    size = p.shape[0] // splits
    scores = []
    for k in range(splits):
        part = p[k * size : (k + 1) * size]
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(xlogy(part, part) - xlogy(part, marginal), axis=1)
        scores.append(float(np.exp(np.mean(kl))))
    return float(np.mean(scores)), float(np.std(scores))


# ---------------------------------------------------------------------------------------------
# 3. Fréchet distance
# ---------------------------------------------------------------------------------------------


def embedding_statistics(embeddings: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean float64 [dim] and covariance float64 [dim, dim] (``np.cov``, n - 1) of [n, dim]."""
    e = np.asarray(embeddings, dtype=np.float64)
    if e.ndim != 2 or e.shape[0] < 2:
        raise ValueError(
            f"embeddings must be [clips, dim] with at least 2 clips, got shape {e.shape}."
        )
    if not np.all(np.isfinite(e)):
        raise ValueError("embeddings contain NaN or infinity.")
    return e.mean(axis=0), np.atleast_2d(np.cov(e, rowvar=False))


def frechet_distance_from_statistics(
    mean_a: Any, cov_a: Any, mean_b: Any, cov_b: Any, eps: float = 1e-6
) -> float:
    """Fréchet distance between the Gaussians N(mean_a, cov_a) and N(mean_b, cov_b).

    ``||mean_a - mean_b||^2 + trace(cov_a + cov_b - 2 (cov_a cov_b)^(1/2))`` (Dowson &
    Landau 1982), in squared embedding units. The matrix square root comes from
    ``scipy.linalg.sqrtm``; if it is not finite or does not square back to the product
    (singular covariances: fewer clips than dimensions, dead ReLU units), ``eps`` is added to
    both diagonals and it is recomputed; imaginary parts
    from round-off are dropped, and large ones raise ``ValueError``.
    """
    from scipy import linalg

    mean_a, mean_b = np.atleast_1d(mean_a).astype(np.float64), np.atleast_1d(mean_b).astype(np.float64)
    cov_a, cov_b = np.atleast_2d(cov_a).astype(np.float64), np.atleast_2d(cov_b).astype(np.float64)
    dim = mean_a.shape[0]
    if mean_b.shape != (dim,) or cov_a.shape != (dim, dim) or cov_b.shape != (dim, dim):
        raise ValueError(
            f"statistics do not match: means {mean_a.shape}, {mean_b.shape}, covariances "
            f"{cov_a.shape}, {cov_b.shape}; embed both sets with the same judge."
        )
    def root(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, bool]:
        with warnings.catch_warnings():  # singular products (dead ReLU units) warn; checked below
            warnings.simplefilter("ignore", linalg.LinAlgWarning)
            value = linalg.sqrtm(a @ b)
        product = a @ b
        ok = bool(np.all(np.isfinite(value))) and np.abs(value @ value - product).max() <= (
            1e-6 * max(np.abs(product).max(), 1e-12)
        )
        return value, ok

    covmean, ok = root(cov_a, cov_b)
    if not ok:
        offset = np.eye(dim) * eps
        covmean, _ = root(cov_a + offset, cov_b + offset)
    if np.iscomplexobj(covmean):
        scale = max(np.abs(covmean).max(), 1e-12)
        if np.abs(covmean.imag).max() > 1e-3 * scale:
            raise ValueError(
                "the matrix square root has a large imaginary part "
                f"({np.abs(covmean.imag).max():.3g}); the covariances are badly conditioned: "
                "use more clips than embedding dimensions."
            )
        covmean = covmean.real
    diff = mean_a - mean_b
    value = diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(covmean)
    return float(max(value, 0.0))


def frechet_distance(embeddings_a: Any, embeddings_b: Any) -> float:
    """Fréchet distance between the embedding statistics of two sets of clips (FID-style).

    Args:
        embeddings_a, embeddings_b: float [n_a, dim] and [n_b, dim] (``Judge.embed``).

    Returns:
        The distance (>= 0; 0 for identical statistics), in squared embedding units.

    Sample-size bias: the estimate from finite sets is biased upward (Chong & Forsyth,
    "Effectively Unbiased FID", 2020); the bias shrinks roughly like ``1 / n``, so two
    distances are comparable only when computed with the same numbers of clips. Report a
    generator's distance next to the real-vs-real reference at the same sizes (300 vs 300 in
    the kit's benchmarks: :func:`real_reference`).
    """
    mean_a, cov_a = embedding_statistics(embeddings_a)
    mean_b, cov_b = embedding_statistics(embeddings_b)
    return frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b)


def judge_frechet_distance(judge: Judge, audio_a: Any, audio_b: Any) -> float:
    """:func:`frechet_distance` between two batches of clips, embedded by ``judge``."""
    return frechet_distance(judge.embed(audio_a), judge.embed(audio_b))


# ---------------------------------------------------------------------------------------------
# 4. Accuracy and confusion for conditional generators
# ---------------------------------------------------------------------------------------------


def confusion_matrix(intended: Any, predicted: Any, num_classes: int = 10) -> np.ndarray:
    """Counts int64 [num_classes, num_classes]: row = intended digit, column = judged digit."""
    intended = np.asarray(intended, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    if intended.shape != predicted.shape or intended.ndim != 1:
        raise ValueError(
            f"intended and predicted must be [clips] of equal length, got {intended.shape} and "
            f"{predicted.shape}."
        )
    for name, values in (("intended", intended), ("predicted", predicted)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} labels must be in 0..{num_classes - 1}.")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (intended, predicted), 1)
    return matrix


@dataclasses.dataclass(frozen=True, eq=False)
class ConditionalScores:
    """How often the judge hears the digit a conditional generator was asked for.

    Attributes:
        accuracy: fraction of all clips judged as the intended digit, in [0, 1].
        per_class: float64 [classes], accuracy per intended digit (NaN where none was asked).
        confusion: int64 [classes, classes], row = intended digit, column = judged digit.
        mean_confidence: mean of the judge's largest probability per clip, in [1/classes, 1].
    """

    accuracy: float
    per_class: np.ndarray
    confusion: np.ndarray
    mean_confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "per_class": [None if np.isnan(v) else float(v) for v in self.per_class],
            "confusion": self.confusion.tolist(),
            "mean_confidence": self.mean_confidence,
        }


def conditional_accuracy(
    judge_or_probabilities: Judge | Any, audio_or_labels: Any, intended: Any = None
) -> ConditionalScores:
    """The judge's accuracy when the generator was asked for each digit, and the confusion.

    Call as ``conditional_accuracy(judge, audio, intended)`` or, with probabilities computed
    already, ``conditional_accuracy(probabilities, intended)``.

    Args:
        judge_or_probabilities: a :class:`Judge`, or float [clips, classes] probabilities.
        audio_or_labels: float [clips, num_samples] audio (with a judge), or the intended
            digits int [clips] (with probabilities).
        intended: int [clips], the digit asked for each clip (with a judge).
    """
    if isinstance(judge_or_probabilities, Judge):
        if intended is None:
            raise ValueError("pass the intended digits: conditional_accuracy(judge, audio, intended).")
        probabilities = judge_or_probabilities.predict_proba(audio_or_labels)
    else:
        probabilities = _as_probabilities(judge_or_probabilities)
        intended = audio_or_labels
    intended = np.asarray(intended, dtype=np.int64)
    num_classes = probabilities.shape[1]
    predicted = np.argmax(probabilities, axis=1)
    confusion = confusion_matrix(intended, predicted, num_classes)
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(totals > 0, np.diag(confusion) / np.maximum(totals, 1), np.nan)
    return ConditionalScores(
        accuracy=float(np.mean(predicted == intended)),
        per_class=per_class.astype(np.float64),
        confusion=confusion,
        mean_confidence=float(np.mean(np.max(probabilities, axis=1))),
    )


# ---------------------------------------------------------------------------------------------
# 5. Diversity
# ---------------------------------------------------------------------------------------------


def _pairwise_sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sq = np.sum(a * a, axis=1)[:, None] + np.sum(b * b, axis=1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(sq, 0.0)


def mean_pairwise_distance(embeddings: Any) -> float:
    """Mean Euclidean distance over all pairs ``i < j`` of rows of float [n, dim] (n >= 2)."""
    e = np.asarray(embeddings, dtype=np.float64)
    if e.ndim != 2 or e.shape[0] < 2:
        raise ValueError(f"need embeddings [n, dim] with n >= 2, got shape {e.shape}.")
    distances = np.sqrt(_pairwise_sq_distances(e, e))
    upper = np.triu_indices(e.shape[0], k=1)
    return float(distances[upper].mean())


@dataclasses.dataclass(frozen=True, eq=False)
class DiversityScores:
    """Within-digit spread of generated clips compared with real ones.

    Attributes:
        generated: float64 [classes], mean pairwise distance among generated clips of each
            digit (NaN where fewer than 2).
        real: float64 [classes], the same for the real clips.
        ratio: ``nanmean(generated) / nanmean(real)`` over the digits present in both: about 1
            for a generator as varied as the data, near 0 for one that repeats itself.
    """

    generated: np.ndarray
    real: np.ndarray
    ratio: float

    @property
    def per_class_ratio(self) -> np.ndarray:
        """float64 [classes], generated / real for each digit."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.generated / self.real

    def to_dict(self) -> dict[str, Any]:
        def clean(values: np.ndarray) -> list[float | None]:
            return [None if np.isnan(v) else float(v) for v in values]

        return {"generated": clean(self.generated), "real": clean(self.real), "ratio": self.ratio}


def _per_class_spread(embeddings: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    spread = np.full(num_classes, np.nan)
    for k in range(num_classes):
        members = embeddings[labels == k]
        if members.shape[0] >= 2:
            spread[k] = mean_pairwise_distance(members)
    return spread


def diversity(
    generated: Any,
    generated_labels: Any,
    real: Any,
    real_labels: Any,
    num_classes: int = 10,
) -> DiversityScores:
    """Mean pairwise distance within each digit, generated vs real (in any embedding).

    Use the judge's embedding (``Judge.embed``) and the same number of clips per digit on
    both sides (the mean pairwise distance itself does not depend on ``n``, but noisy small
    sets do). A generator that produces one clip per digit scores 0.

    Args:
        generated, real: float [n, dim] embeddings.
        generated_labels, real_labels: int [n] digits (for generated clips: the intended
            digit, or the judged one for an unconditional generator).
    """
    generated = np.asarray(generated, dtype=np.float64)
    real = np.asarray(real, dtype=np.float64)
    g_labels = np.asarray(generated_labels, dtype=np.int64)
    r_labels = np.asarray(real_labels, dtype=np.int64)
    if generated.shape[0] != g_labels.shape[0] or real.shape[0] != r_labels.shape[0]:
        raise ValueError("each set of embeddings needs one label per row.")
    if generated.ndim != 2 or real.ndim != 2 or generated.shape[1] != real.shape[1]:
        raise ValueError(
            f"embeddings must be [n, dim] with the same dim, got {generated.shape} and "
            f"{real.shape}."
        )
    g_spread = _per_class_spread(generated, g_labels, num_classes)
    r_spread = _per_class_spread(real, r_labels, num_classes)
    both = ~np.isnan(g_spread) & ~np.isnan(r_spread)
    if not np.any(both):
        raise ValueError("no digit has at least 2 generated and 2 real clips; pass more clips.")
    ratio = float(np.mean(g_spread[both]) / np.mean(r_spread[both]))
    return DiversityScores(generated=g_spread, real=r_spread, ratio=ratio)


# ---------------------------------------------------------------------------------------------
# 6. Memorisation
# ---------------------------------------------------------------------------------------------


def memorisation_features(audio: Any, config: AudioConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Level-independent mel-magnitude images for nearest-neighbour search.

    The mel magnitude of each clip (linear amplitude, ``exp(log_mel) - log_floor``),
    flattened, minus its own mean, scaled to unit length. The Euclidean distance ``d``
    between two such vectors is ``sqrt(2 (1 - r))`` with ``r`` the Pearson correlation of
    the two mel images: 0 for a copy at any level, about 1.4 for unrelated clips. Linear
    magnitudes (not logs) keep a faint noise floor, which every generator adds, from
    dominating the distance.

    Returns:
        float32 [clips, num_frames * n_mels], unit rows (zero rows for silent clips).
    """
    audio = _as_audio(audio, config)
    mel = np.exp(_log_mel_numpy(audio, config).astype(np.float64)) - config.log_floor
    features = np.maximum(mel, 0.0).reshape(audio.shape[0], -1)
    features = features - features.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return (features / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def nearest_neighbours(
    queries: Any, references: Any, chunk: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """Each query's nearest reference row (Euclidean).

    Args:
        queries: float [n, dim]; references: float [m, dim], m >= 1.

    Returns:
        (index int64 [n] into ``references``, distance float64 [n]).
    """
    q = np.asarray(queries, dtype=np.float64)
    r = np.asarray(references, dtype=np.float64)
    if q.ndim != 2 or r.ndim != 2 or r.shape[0] == 0 or q.shape[1] != r.shape[1]:
        raise ValueError(
            f"need queries [n, dim] and references [m >= 1, dim], got {q.shape} and {r.shape}."
        )
    index = np.zeros(q.shape[0], dtype=np.int64)
    distance = np.zeros(q.shape[0], dtype=np.float64)
    for start in range(0, q.shape[0], chunk):
        sq = _pairwise_sq_distances(q[start : start + chunk], r)
        best = np.argmin(sq, axis=1)
        index[start : start + chunk] = best
        distance[start : start + chunk] = np.sqrt(sq[np.arange(best.size), best])
    return index, distance


#: Default rule: flagged when closer to a training clip than ``MEMORISATION_FACTOR`` times the
#: ``MEMORISATION_QUANTILE`` quantile of real held-out clips' nearest-training distances.
MEMORISATION_QUANTILE = 0.01
MEMORISATION_FACTOR = 0.5


def calibrate_memorisation_threshold(
    reference_distances: Any,
    quantile: float = MEMORISATION_QUANTILE,
    factor: float = MEMORISATION_FACTOR,
) -> float:
    """The memorisation threshold: ``factor * quantile(reference_distances, quantile)``.

    ``reference_distances`` are the nearest-training-clip distances of *real clips that are
    not in the training set* (the official test takes): how close a genuinely new recording
    of the same speakers and digits comes to the training data. A generated clip closer than
    half (``factor``) of the closest 1 % (``quantile``) of those is nearer to a training clip
    than new recordings ever are: it is flagged as memorised.

    Measured on FSDD (official split, default :class:`AudioConfig`): test clips lie 0.20
    (closest) to 0.49 (median) from their nearest training clip, the 1 % quantile is about
    0.24, so the threshold is about 0.12 (a mel-image correlation above 0.993). A training
    clip played at another level is at 0; re-synthesised from its magnitude by Griffin-Lim
    (new phases) at 0.04-0.08; with white noise at -40 dBFS added at 0.04-0.10 (all
    flagged); with noise at -30 dBFS at about 0.12 (half flagged); shifted by 32 samples (a
    quarter frame) at about 0.16 (not flagged): the rule catches copies, not paraphrases.
    """
    d = np.asarray(reference_distances, dtype=np.float64)
    if d.ndim != 1 or d.size == 0:
        raise ValueError(f"reference_distances must be a non-empty [n] array, got {d.shape}.")
    if not 0 <= quantile <= 1 or factor <= 0:
        raise ValueError(f"need 0 <= quantile <= 1 and factor > 0, got {quantile}, {factor}.")
    return float(factor * np.quantile(d, quantile))


@dataclasses.dataclass(frozen=True, eq=False)
class MemorisationScores:
    """Each generated clip's nearest training clip, and which ones are too close.

    Attributes:
        nearest: int64 [clips], index of the nearest training clip.
        distance: float64 [clips], its distance (``sqrt(2 (1 - r))``, ``r`` the correlation
            of the mel-magnitude images, see :func:`memorisation_features`).
        threshold: the distance below which a clip is flagged.
        flagged: bool [clips], ``distance < threshold``.
    """

    nearest: np.ndarray
    distance: np.ndarray
    threshold: float
    flagged: np.ndarray

    @property
    def fraction(self) -> float:
        """Fraction of clips flagged as memorised, in [0, 1]."""
        return float(np.mean(self.flagged)) if self.flagged.size else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "fraction": self.fraction,
            "threshold": self.threshold,
            "median_distance": float(np.median(self.distance)) if self.distance.size else None,
            "flagged": np.flatnonzero(self.flagged).tolist(),
        }


def memorisation(
    generated: Any,
    train: Any,
    reference: Any = None,
    *,
    threshold: float | None = None,
    config: AudioConfig | None = None,
) -> MemorisationScores:
    """Find each generated clip's nearest training clip and flag near-copies.

    Distances are between :func:`memorisation_features` (level-independent mel images). The
    threshold is ``threshold`` if given, else :func:`calibrate_memorisation_threshold` on
    the nearest-training distances of the ``reference`` clips (real clips *not* in
    ``train``, e.g. the official test split).

    Args:
        generated: float [clips, num_samples] audio.
        train: the training clips: float [m, num_samples] audio or an ``AudioDataset``.
        reference: held-out real audio (or dataset) for the calibration.
        threshold: a fixed threshold (a distance as in :func:`memorisation_features`)
            instead of the calibration.
        config: the audio config (default: the training dataset's, else the default).
    """
    if config is None:
        config = getattr(train, "config", DEFAULT_CONFIG)
    train_features = memorisation_features(train, config)
    if threshold is None:
        if reference is None:
            raise ValueError(
                "pass reference= (real clips not in train, e.g. the official test split) to "
                "calibrate the threshold, or a fixed threshold=."
            )
        _, reference_distances = nearest_neighbours(
            memorisation_features(reference, config), train_features
        )
        threshold = calibrate_memorisation_threshold(reference_distances)
    nearest, distance = nearest_neighbours(memorisation_features(generated, config), train_features)
    return MemorisationScores(
        nearest=nearest, distance=distance, threshold=float(threshold), flagged=distance < threshold
    )


# ---------------------------------------------------------------------------------------------
# 7. Everything at once
# ---------------------------------------------------------------------------------------------


def sample_per_class(labels: Any, per_class: int, seed: int = 0) -> np.ndarray:
    """Indices of ``per_class`` random clips of each label (sorted by label), int64 [k * per_class].

    Raises ``ValueError`` if a label has fewer clips.
    """
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    chosen = []
    for k in np.unique(labels):
        members = np.flatnonzero(labels == k)
        if members.size < per_class:
            raise ValueError(f"label {k} has {members.size} clips, fewer than {per_class}.")
        chosen.append(np.sort(rng.choice(members, per_class, replace=False)))
    return np.concatenate(chosen)


def real_reference(
    judge: Judge, train: Any, test: Any, per_class: int = 30, splits: int = 10, seed: int = 0
) -> dict[str, Any]:
    """The scores of real clips: the reference points generated clips are compared with.

    Uses ``per_class`` clips of each digit from the test set and, separately, from the
    training set (300 and 300 for FSDD's defaults), so that every number is computed at the
    same sample size as a generator's 300 clips.

    Returns:
        A JSON-ready dict: ``judge_accuracy_test``, ``inception_score_test`` (mean, std),
        ``inception_score_train`` (mean, std), ``frechet_distance_test_vs_train``,
        ``frechet_distance_train_vs_train`` (two disjoint training samples),
        ``diversity_ratio_test_vs_train``, ``memorised_fraction_test`` (of every other test
        clip, with the threshold calibrated on the others), ``memorisation_threshold``
        (calibrated on all the test clips, for :func:`score_generated`), ``clips_per_side``.
    """
    test_index = sample_per_class(test.labels, per_class, seed)
    train_index = sample_per_class(train.labels, 2 * per_class, seed)
    first, second = train_index.reshape(-1, 2 * per_class)[:, :per_class].ravel(), (
        train_index.reshape(-1, 2 * per_class)[:, per_class:].ravel()
    )
    test_emb, test_prob = judge.scores(test.audio[test_index])
    train_emb, train_prob = judge.scores(train.audio[first])
    other_emb, _ = judge.scores(train.audio[second])
    test_labels = test.labels[test_index]
    train_labels = train.labels[first]
    _, distances = nearest_neighbours(
        memorisation_features(test.audio[test_index], test.config),
        memorisation_features(train, test.config),
    )
    # Calibrate on half of the test clips and score the other half, so that the fraction is
    # a measurement (calibrating on the clips scored would give 0 by construction).
    half_threshold = calibrate_memorisation_threshold(distances[::2])
    return {
        "clips_per_side": int(test_index.size),
        "judge_accuracy_test": float(np.mean(np.argmax(test_prob, 1) == test_labels)),
        "inception_score_test": list(inception_score(test_prob, splits)),
        "inception_score_train": list(inception_score(train_prob, splits)),
        "frechet_distance_test_vs_train": frechet_distance(test_emb, train_emb),
        "frechet_distance_train_vs_train": frechet_distance(other_emb, train_emb),
        "diversity_ratio_test_vs_train": diversity(
            test_emb, test_labels, train_emb, train_labels
        ).ratio,
        "memorised_fraction_test": float(np.mean(distances[1::2] < half_threshold)),
        "memorisation_threshold": calibrate_memorisation_threshold(distances),
        "nearest_training_distance_test": {
            "min": float(distances.min()),
            "q01": float(np.quantile(distances, 0.01)),
            "median": float(np.median(distances)),
        },
    }


def score_generated(
    judge: Judge,
    generated: Any,
    intended: Any,
    train: Any,
    test: Any,
    *,
    per_class: int = 30,
    splits: int = 10,
    seed: int = 0,
    reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every metric for a batch of generated clips, next to the real-data reference.

    Args:
        judge: the judge.
        generated: float [n, num_samples] audio (``per_class`` clips of each digit is the
            comparable setting: 300 for 30 per digit).
        intended: int [n], the digit asked for (for an unconditional generator, pass
            ``judge.predict(generated)``).
        train, test: the official split (``AudioDataset``\\ s).
        reference: :func:`real_reference` output, computed if not given.

    Returns:
        A JSON-ready dict: ``judge_accuracy``, ``per_class_accuracy``, ``confusion``,
        ``inception_score`` (mean, std), ``inception_score_real`` (test clips' mean),
        ``inception_score_ratio``, ``frechet_distance`` (to ``per_class`` training clips per
        digit), ``frechet_distance_real`` (real test vs the same training clips),
        ``frechet_distance_ratio``, ``diversity_ratio`` (vs the same training clips),
        ``memorised_fraction``, ``memorisation_threshold``.
    """
    if reference is None:
        reference = real_reference(judge, train, test, per_class, splits, seed)
    intended = np.asarray(intended, dtype=np.int64)
    embeddings, probabilities = judge.scores(generated)
    if intended.shape != (embeddings.shape[0],):
        raise ValueError(
            f"intended must be [clips] = [{embeddings.shape[0]}], got shape {intended.shape}."
        )
    train_index = sample_per_class(train.labels, 2 * per_class, seed)
    first = train_index.reshape(-1, 2 * per_class)[:, :per_class].ravel()
    train_emb = judge.embed(train.audio[first])
    conditional = conditional_accuracy(probabilities, intended)
    is_mean, is_std = inception_score(probabilities, min(splits, len(intended)))
    fd = frechet_distance(embeddings, train_emb)
    memorised = memorisation(
        generated, train, threshold=reference["memorisation_threshold"], config=train.config
    )
    return {
        "judge_accuracy": conditional.accuracy,
        "per_class_accuracy": conditional.to_dict()["per_class"],
        "confusion": conditional.confusion.tolist(),
        "inception_score": [is_mean, is_std],
        "inception_score_real": reference["inception_score_test"][0],
        "inception_score_ratio": is_mean / reference["inception_score_test"][0],
        "frechet_distance": fd,
        "frechet_distance_real": reference["frechet_distance_test_vs_train"],
        "frechet_distance_ratio": fd / max(reference["frechet_distance_test_vs_train"], 1e-12),
        "diversity_ratio": diversity(
            embeddings, intended, train_emb, train.labels[first]
        ).ratio,
        "memorised_fraction": memorised.fraction,
        "memorisation_threshold": memorised.threshold,
    }


# ---------------------------------------------------------------------------------------------
# 8. Speech quality for enhancement: PESQ, STOI, SI-SDR, segmental SNR
#    (introduced in notebooks/06_enhancement.ipynb)
# ---------------------------------------------------------------------------------------------
#
# Every function compares a processed (noisy or enhanced) clip with the clean reference: both
# float [samples] at the same ``sample_rate`` in Hz, time-aligned, the same length. Higher is
# better for all four.

__all__ += ["SPEECH_METRICS", "pesq_nb", "segmental_snr", "si_sdr", "speech_scores", "stoi"]

#: The scores :func:`speech_scores` computes, in its order.
SPEECH_METRICS = ("pesq", "stoi", "si_sdr", "segmental_snr")


def _speech_pair(clean: Any, processed: Any) -> tuple[np.ndarray, np.ndarray]:
    clean = np.asarray(clean, dtype=np.float64)
    processed = np.asarray(processed, dtype=np.float64)
    if clean.ndim == 2 and clean.shape[-1] == 1:
        clean = clean[:, 0]
    if processed.ndim == 2 and processed.shape[-1] == 1:
        processed = processed[:, 0]
    if clean.ndim != 1 or clean.shape != processed.shape:
        raise ValueError(
            "clean and processed must be waveforms [samples] of the same length, got shapes "
            f"{clean.shape} and {processed.shape}; crop or pad them to the same length."
        )
    return clean, processed


def pesq_nb(clean: Any, processed: Any, sample_rate: int = 8000) -> float:
    """Narrow-band PESQ (ITU-T P.862 with the P.862.1 MOS-LQO mapping), via ``pesq``.

    Args:
        clean, processed: float [samples] at ``sample_rate`` Hz (8,000 or 16,000; the
            narrow-band model listens to the telephone band, 300-3,400 Hz).

    Returns:
        MOS-LQO, from about 1.0 (bad) to 4.55 (a clip against itself).

    Raises:
        ValueError: for another sample rate (resample to 8 kHz first), or when PESQ finds
            no speech in the reference (``NoUtterancesError``: silence or a clip far shorter
            than a word).
    """
    from pesq import NoUtterancesError, PesqError, pesq

    if sample_rate not in (8000, 16000):
        raise ValueError(
            f"PESQ is defined at 8,000 or 16,000 Hz, got sample_rate={sample_rate}; resample "
            "the clips (librosa.resample) to 8 kHz first."
        )
    clean, processed = _speech_pair(clean, processed)
    if not np.any(clean) or not np.all(np.isfinite(clean)) or not np.all(np.isfinite(processed)):
        raise ValueError(
            "PESQ found no utterance in the clean reference: it is silent (all zeros) or holds "
            "NaN/Inf; pass the clean clip first and the processed clip second."
        )
    try:
        return float(pesq(sample_rate, clean, processed, "nb", on_error=PesqError.RAISE_EXCEPTION))
    except NoUtterancesError as error:
        raise ValueError(
            f"PESQ found no utterance in the clean reference ({clean.shape[0]} samples at "
            f"{sample_rate} Hz, peak {np.max(np.abs(clean)):.3g}): it needs audible speech; "
            "check that the reference is not silent and that clean/processed are not swapped."
        ) from error


def stoi(
    clean: Any, processed: Any, sample_rate: int = 8000, extended: bool = False,
    short: str = "repeat",
) -> float:
    """STOI, short-time objective intelligibility (Taal et al. 2011), via ``pystoi``.

    STOI resamples to 10 kHz, drops frames more than 40 dB below the loudest clean frame,
    and correlates 384 ms segments (30 frames of 12.8 ms) of one-third-octave envelopes. A
    single spoken digit often has less than 384 ms of speech, for which ``pystoi`` returns
    1e-5 with a warning. With ``short="repeat"`` such a pair is repeated back to back (clean
    and processed alike) until it is long enough, which keeps the per-clip score meaningful
    (segments then span the repeat boundary); ``short="raise"`` raises instead.

    Args:
        clean, processed: float [samples] at ``sample_rate`` Hz.
        extended: the extended STOI (Jensen & Taal 2016), for modulated noise such as babble.

    Returns:
        about 0 to 1 (1: the clip against itself).
    """
    from pystoi import stoi as pystoi_stoi

    if short not in ("repeat", "raise"):
        raise ValueError(f"short must be 'repeat' or 'raise', got {short!r}.")
    clean, processed = _speech_pair(clean, processed)
    for repeats in (1, 2, 4, 8, 16):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            score = pystoi_stoi(
                np.tile(clean, repeats), np.tile(processed, repeats), sample_rate,
                extended=extended,
            )
        if not any("Not enough STFT frames" in str(w.message) for w in caught):
            return float(score)
        if short == "raise":
            break
    raise ValueError(
        f"STOI needs about 384 ms of non-silent clean speech; the clip of {clean.shape[0]} "
        f"samples at {sample_rate} Hz has too little (use short='repeat', or longer clips)."
    )


def si_sdr(clean: Any, processed: Any, zero_mean: bool = True) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019).

    ``target = (<processed, clean> / ||clean||^2) clean``, ``error = processed - target``,
    ``SI-SDR = 10 log10(||target||^2 / ||error||^2)``, after removing the means when
    ``zero_mean``. Scaling ``processed`` by any positive factor leaves it unchanged.

    Args:
        clean, processed: float [samples].

    Returns:
        dB; +inf-like large values (capped at 200 dB) for a perfect copy.
    """
    clean, processed = _speech_pair(clean, processed)
    if zero_mean:
        clean = clean - clean.mean()
        processed = processed - processed.mean()
    energy = float(np.dot(clean, clean))
    if energy <= 0:
        raise ValueError("SI-SDR is undefined for a silent clean reference.")
    target = (np.dot(processed, clean) / energy) * clean
    error = processed - target
    ratio = float(np.dot(target, target)) / max(float(np.dot(error, error)), 1e-30)
    return float(min(10 * np.log10(max(ratio, 1e-30)), 200.0))


def segmental_snr(
    clean: Any,
    processed: Any,
    frame_length: int = 256,
    hop_length: int = 128,
    min_db: float = -10.0,
    max_db: float = 35.0,
    active_db: float | None = -40.0,
) -> float:
    """Segmental SNR in dB: the mean over frames of each frame's SNR, clamped.

    For each frame of ``frame_length`` samples every ``hop_length`` (32 ms / 16 ms at
    8 kHz), ``10 log10(sum clean^2 / sum (clean - processed)^2)`` clamped to
    ``[min_db, max_db]`` (-10 and 35 dB, as usual: silence would otherwise dominate the
    mean), then averaged. With ``active_db`` set, only frames whose clean energy is within
    ``active_db`` dB of the loudest clean frame count (FSDD's zero padding is left out);
    ``None`` averages every frame.

    Args:
        clean, processed: float [samples], at least ``frame_length`` samples.

    Returns:
        dB in ``[min_db, max_db]``.
    """
    clean, processed = _speech_pair(clean, processed)
    if clean.shape[0] < frame_length:
        raise ValueError(
            f"segmental SNR needs at least frame_length={frame_length} samples, got "
            f"{clean.shape[0]}."
        )
    starts = np.arange(0, clean.shape[0] - frame_length + 1, hop_length)
    index = starts[:, None] + np.arange(frame_length)[None, :]
    signal = np.sum(clean[index] ** 2, axis=1)
    noise = np.sum((clean - processed)[index] ** 2, axis=1)
    snr = 10 * np.log10(np.maximum(signal, 1e-30) / np.maximum(noise, 1e-30))
    snr = np.clip(snr, min_db, max_db)
    if active_db is not None:
        keep = signal >= signal.max() * 10.0 ** (active_db / 10.0)
        if signal.max() <= 0 or not keep.any():
            raise ValueError("segmental SNR is undefined for a silent clean reference.")
        snr = snr[keep]
    return float(np.mean(snr))


def speech_scores(
    clean: Any,
    processed: Any,
    sample_rate: int = 8000,
    metrics: tuple[str, ...] = SPEECH_METRICS,
    reduce: bool = True,
    on_error: str = "nan",
) -> dict[str, Any]:
    """PESQ (narrow-band), STOI, SI-SDR and segmental SNR of a batch of clips.

    PESQ's voice-activity detector finds no utterance in about 3 % of FSDD clips (87 of
    3,000, e.g. many of lucas' "one"s: too short a voiced part), whatever the processing;
    :func:`pesq_nb` raises a ``ValueError`` for them. With ``on_error="nan"`` such a clip
    scores NaN, the means leave it out, and a warning says how many were left out; compare
    two methods on the clips both could score (``reduce=False`` and ``np.nanmean`` of the
    difference). ``on_error="raise"`` re-raises the first error.

    Args:
        clean, processed: float [clips, samples] (or [clips, samples, 1]) at
            ``sample_rate`` Hz; row ``i`` of ``processed`` is compared with row ``i`` of
            ``clean``.
        metrics: which of :data:`SPEECH_METRICS` to compute.
        reduce: return the mean of each score over the clips where it is defined (floats);
            ``False`` returns the per-clip scores (float64 arrays [clips], NaN where
            undefined).
        on_error: ``"nan"`` or ``"raise"`` (see above).

    Returns:
        {metric name: mean (or per-clip array)}, in the order of ``metrics``.
    """
    unknown = sorted(set(metrics) - set(SPEECH_METRICS))
    if unknown:
        raise ValueError(f"unknown speech metric(s) {unknown}; choose from {SPEECH_METRICS}.")
    clean = np.asarray(clean, dtype=np.float64)
    processed = np.asarray(processed, dtype=np.float64)
    if clean.ndim == 3 and clean.shape[-1] == 1:
        clean = clean[..., 0]
    if processed.ndim == 3 and processed.shape[-1] == 1:
        processed = processed[..., 0]
    if clean.ndim != 2 or clean.shape != processed.shape:
        raise ValueError(
            "clean and processed must be [clips, samples] of the same shape, got "
            f"{clean.shape} and {processed.shape}."
        )
    if on_error not in ("nan", "raise"):
        raise ValueError(f"on_error must be 'nan' or 'raise', got {on_error!r}.")
    functions: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
        "pesq": lambda c, p: pesq_nb(c, p, sample_rate),
        "stoi": lambda c, p: stoi(c, p, sample_rate),
        "si_sdr": si_sdr,
        "segmental_snr": segmental_snr,
    }
    def score(name: str, c: np.ndarray, p: np.ndarray) -> float:
        try:
            return functions[name](c, p)
        except ValueError:
            if on_error == "raise":
                raise
            return float("nan")

    scores = {
        name: np.array([score(name, c, p) for c, p in zip(clean, processed, strict=True)])
        for name in metrics
    }
    failed = {name: int(np.isnan(values).sum()) for name, values in scores.items()}
    if any(failed.values()):
        warnings.warn(
            f"speech_scores: clips left out as undefined (NaN) per metric: {failed} of "
            f"{clean.shape[0]}; see pesq_nb and stoi for why.",
            stacklevel=2,
        )
    if not reduce:
        return scores
    return {
        name: float(np.nanmean(values)) if not np.all(np.isnan(values)) else float("nan")
        for name, values in scores.items()
    }
