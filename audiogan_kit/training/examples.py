"""What a trainer feeds its model and how it looks at the result: training examples,
batches in a reproducible order, and the evaluation samplers.

Introduced in notebooks/04_training.ipynb.

- :func:`prepare_examples` turns clips into what a GAN's discriminator sees as real
  (waveforms, or normalised spectrograms) and :func:`examples_to_audio` turns generated
  examples back into audio;
- :class:`EpochBatches` draws batches of a step as a pure function of the seed and the step
  (a fresh seeded permutation every epoch), so a resumed run sees the same data;
- :class:`NoiseSampler` (a GAN: fixed noise and labels) and :class:`PairSampler` (an
  enhancer: fixed noisy clips) make the evaluation samples a trainer saves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from keras import ops

from .. import data, features
from ..arrays import as_batch, as_pairs, to_numpy
from .configs import TrainConfig

__all__ = [
    "EpochBatches",
    "NoiseSampler",
    "PairSampler",
    "batch_indices",
    "dataset_arrays",
    "examples_to_audio",
    "pair_arrays",
    "prepare_examples",
    "resynthesize",
    "sample_noise",
]


def dataset_arrays(dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    """(audio float32 [n, samples], labels int32 [n]) of an AudioDataset or a pair of arrays."""
    if hasattr(dataset, "audio") and hasattr(dataset, "labels"):
        audio, labels = dataset.audio, dataset.labels
    elif isinstance(dataset, tuple | list) and len(dataset) == 2:
        audio, labels = dataset
    else:
        raise ValueError(
            "dataset must be an AudioDataset (data.load_fsdd) or a pair (audio [n, samples], "
            f"labels [n]); got {type(dataset).__name__}."
        )
    audio = as_batch(audio, "the training audio")
    labels = np.asarray(labels).astype(np.int32)
    if labels.shape != (audio.shape[0],):
        raise ValueError(
            f"labels must be int [{audio.shape[0]}], one per clip, got shape {labels.shape}."
        )
    return audio, labels


def pair_arrays(dataset: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(noisy, clean) float32 [n, samples] and labels int32 [n] of a NoisyDataset or a pair."""
    if hasattr(dataset, "noisy") and hasattr(dataset, "clean"):
        noisy, clean = dataset.noisy, dataset.clean
        labels = getattr(dataset, "labels", None)
    elif isinstance(dataset, tuple | list) and len(dataset) == 2:
        (noisy, clean), labels = dataset, None
    else:
        raise ValueError(
            "an enhancer trains on a NoisyDataset (data.make_noisy_split) or a pair (noisy "
            f"[n, samples], clean [n, samples]); got {type(dataset).__name__}."
        )
    noisy, clean = as_pairs(noisy, clean, ("noisy", "clean"), single="error")
    labels = np.zeros(len(noisy), np.int32) if labels is None else np.asarray(labels, np.int32)
    return noisy, clean, labels


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
    audio = as_batch(audio, "audio", num_samples=config.audio.num_samples)
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
    parts = [
        ops.convert_to_numpy(features.normalize_spectrogram(logs, stats))
        for logs in features.feature_batches(feature, audio, config.audio, batch_size)
    ]
    return np.concatenate(parts)[..., None].astype(np.float32), stats


def examples_to_audio(
    examples: Any,
    config: TrainConfig,
    stats: Any | None,
    progress: bool = False,
    vocoder: Any | None = None,
) -> np.ndarray:
    """Generator outputs as audio: float32 [n, num_samples] in [-1, 1] at the config's rate.

    Waveforms pass through; spectrograms are denormalised and inverted with Griffin-Lim
    (``config.griffin_lim_iters`` iterations; mel bands first mapped back to STFT bins), or,
    for a mel SpecGAN given a ``vocoder`` (a :class:`~audiogan_kit.training.RunVocoder`, or
    anything with its ``config.audio`` and ``vocode(log_mel)``), denormalised to log-mel frames
    and vocoded. With ``config.output_pad_mode`` the sound is then moved
    (:func:`data.place_sound`), and with ``config.output_normalize`` each clip is scaled as the
    training clips were (:func:`data.normalize_level`). ``progress``: a bar over Griffin-Lim's
    chunks for a batch of more than 64 clips.

    Raises:
        ValueError: spectrograms without ``stats``; a vocoder for a waveform or linear-STFT
            run, or one trained on other features than the run's (``config.audio``).
    """
    x = to_numpy(examples)
    if vocoder is not None and not (config.is_spectrogram and config.spectrogram == "mel"):
        raise ValueError(
            "a vocoder turns log-mel frames into audio, but this run makes "
            f"{'linear STFT spectrograms' if config.is_spectrogram else 'waveforms'}; leave "
            "the vocoder out (Griffin-Lim inverts linear spectrograms, waveforms need nothing)."
        )
    if not config.is_spectrogram:
        audio = np.clip(x.reshape(x.shape[0], -1), -1.0, 1.0).astype(np.float32)
    elif stats is None:
        raise ValueError("spectrogram samples need the run's SpectrogramStats to become audio.")
    elif vocoder is not None:
        if vocoder.config.audio != config.audio:
            raise ValueError(
                f"the vocoder was trained on the features of {vocoder.config.audio}, the run "
                f"makes those of {config.audio}; train a vocoder with the run's audio config "
                "(VocoderTrainConfig(audio=run.config.audio, ...))."
            )
        log_mel = features.denormalize_spectrogram(x.reshape(x.shape[:3]), stats)
        audio = np.clip(vocoder.vocode(ops.convert_to_numpy(log_mel)), -1.0, 1.0)
        audio = audio.reshape(x.shape[0], -1).astype(np.float32)
    else:
        mel = config.spectrogram == "mel"
        invert = features.mel_to_audio if mel else features.spectrogram_to_audio
        audio = invert(
            x, stats, config.audio, n_iter=config.griffin_lim_iters, progress=progress
        )
    if config.output_pad_mode is not None:
        audio = data.place_sound(audio, config.audio, config.output_pad_mode)
    if config.output_normalize:
        audio = data.normalize_level(audio, config.audio)
    return audio


def resynthesize(
    audio: np.ndarray,
    config: TrainConfig,
    stats: Any | None = None,
    batch_size: int = 256,
    progress: bool = True,
) -> np.ndarray:
    """Real clips through a run's own features and back: what a perfect generator sounds like.

    :func:`prepare_examples` then :func:`examples_to_audio`: for a mel SpecGAN, normalised
    log-mel frames, mel bands back to STFT bins, Griffin-Lim (``config.griffin_lim_iters``
    iterations). Scoring these clips gives the ceiling a generator of this config can reach:
    what the inversion loses, apart from anything the GAN gets wrong. Waveform models return
    the clips unchanged.

    Args:
        audio: float32 [clips, num_samples] in [-1, 1].
        config: the run's config.
        stats: the run's spectrogram statistics (``None``: computed from ``audio``).
        progress: a bar over the Griffin-Lim inversion of more than 64 clips (300 clips
            took about 11 s on a shared 2-core CPU).

    Returns:
        float32 [clips, num_samples] in [-1, 1].
    """
    examples, stats = prepare_examples(audio, config, stats, batch_size)
    return examples_to_audio(examples, config, stats, progress)


def sample_noise(rng: np.random.Generator, n: int, config: TrainConfig) -> np.ndarray:
    """Noise to sample the generator with: float32 [n, latent_dim], normal with standard
    deviation ``config.sample_temperature``, drawn from ``rng``."""
    noise = rng.standard_normal((n, config.model.latent_dim)) * config.sample_temperature
    return noise.astype(np.float32)


def batch_indices(num_examples: int, batch_size: int, seed: int, batch: int) -> np.ndarray:
    """Indices of global batch number ``batch``: a fresh seeded permutation every epoch."""
    per_epoch = num_examples // batch_size
    epoch, position = divmod(batch, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(num_examples)
    return order[position * batch_size : (position + 1) * batch_size]


class EpochBatches:
    """The batches of each step, drawn from arrays of examples in a seeded order.

    ``batches(step)`` returns one batch of every array (the same rows of each), taken without
    replacement: batch ``b`` is a slice of the permutation of epoch ``b // per_epoch``, seeded
    by ``(seed, epoch)``. With ``draws_per_step = k`` a step takes the ``k`` consecutive
    batches ``step * k, ..., step * k + k - 1`` stacked on a new first axis (a GAN's
    ``n_critic`` discriminator batches); with ``None`` it takes batch ``step`` alone.

    Args:
        arrays: arrays with the same first (example) axis.
        batch_size: examples per batch; at most the number of examples.
        seed: seeds the order.
        draws_per_step: see above.

    Returns (when called):
        a tuple of arrays ``[batch_size, ...]`` (or ``[k, batch_size, ...]``), in the order of
        ``arrays``.
    """

    def __init__(
        self,
        arrays: Sequence[np.ndarray],
        batch_size: int,
        seed: int,
        draws_per_step: int | None = None,
    ) -> None:
        self.arrays = tuple(arrays)
        count = len(self.arrays[0])
        if any(len(a) != count for a in self.arrays):
            raise ValueError(
                f"the arrays to batch hold different numbers of examples: "
                f"{[len(a) for a in self.arrays]}."
            )
        if count < batch_size:
            raise ValueError(
                f"the dataset has {count} clips, fewer than batch_size={batch_size}; use a "
                "smaller batch."
            )
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.draws_per_step = draws_per_step

    def __call__(self, step: int) -> tuple[np.ndarray, ...]:
        count = len(self.arrays[0])
        if self.draws_per_step is None:
            index = batch_indices(count, self.batch_size, self.seed, step)
        else:
            k = self.draws_per_step
            index = np.stack(
                [batch_indices(count, self.batch_size, self.seed, step * k + i) for i in range(k)]
            )
        return tuple(array[index] for array in self.arrays)


class NoiseSampler:
    """A GAN's evaluation samples: fixed noise (and labels) through the generator.

    The noise is float32 ``[num_eval_samples, latent_dim]`` drawn from
    ``numpy.random.default_rng([seed, 7919])``; the labels cycle ``0, 1, ..., 9, 0, ...``
    (all 0 for an unconditional model).

    Args:
        config: the run's config.
        stats: the run's spectrogram statistics (spectrogram models), to make audio.
        use_ema: sample from the EMA generator when the GAN keeps one.

    Returns (when called with the GAN):
        ``(examples float32 [n, *sample_shape], audio float32 [n, num_samples])``.
    """

    def __init__(self, config: TrainConfig, stats: Any | None, use_ema: bool = True) -> None:
        self.config = config
        self.stats = stats
        self.use_ema = use_ema
        self.conditional = config.model.conditional
        rng = np.random.default_rng([config.seed, 7919])
        count = config.num_eval_samples
        self.noise = sample_noise(rng, count, config)
        self.labels = (np.arange(count) % max(config.model.num_classes, 1)).astype(np.int32)

    def __call__(self, gan: Any) -> tuple[np.ndarray, np.ndarray]:
        made = gan.generate(self.noise, self.labels, use_ema=self.use_ema)
        return made, examples_to_audio(made, self.config, self.stats)


class PairSampler:
    """An enhancer's evaluation samples: fixed noisy clips, enhanced.

    ``count`` pairs are chosen from ``(noisy, clean, labels)`` with
    ``numpy.random.default_rng([seed, 7919])``, in their original order.

    Attributes:
        noisy, clean: float32 [count, samples], the inputs and their targets.
        labels: int32 [count], the digits said.

    Returns (when called with the EnhancementGAN):
        ``(enhanced float32 [count, samples, 1], the same as audio [count, samples])``.
    """

    conditional = False

    def __init__(
        self, noisy: np.ndarray, clean: np.ndarray, labels: np.ndarray, count: int, seed: int
    ) -> None:
        count = min(int(count), len(noisy))
        rng = np.random.default_rng([seed, 7919])
        index = np.sort(rng.choice(len(noisy), size=count, replace=False))
        self.noisy, self.clean, self.labels = noisy[index], clean[index], labels[index]

    def __call__(self, gan: Any) -> tuple[np.ndarray, np.ndarray]:
        made = gan.enhance(self.noisy[..., None])
        return made, np.clip(made[..., 0], -1.0, 1.0)
