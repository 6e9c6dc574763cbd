"""Vocoder runs from start to end: (log-mel, clip) pairs, training, and a trained vocoder.

:func:`vocoder_pairs` turns clips into training pairs with the kit's own features
(:func:`audiogan_kit.features.log_mel`); :func:`make_vocoder_trainer` assembles a
:class:`~audiogan_kit.training.Trainer` (the same loop, checkpoints and exact resume as every
run of the kit) and :func:`train_vocoder` also runs it; :func:`load_vocoder_run` brings the
generator back from a run folder's newest good checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import keras
import numpy as np

from .. import features
from ..callbacks import TrainCallback
from .checkpoints import load_latest_checkpoint
from .configs import VocoderTrainConfig
from .examples import EpochBatches, dataset_arrays
from .run_folder import RunFolder
from .trainer import Trainer
from .vocoder_gan import build_vocoder_gan, vocode

__all__ = [
    "RunVocoder",
    "SegmentBatches",
    "VocoderSampler",
    "load_vocoder_run",
    "make_vocoder_trainer",
    "train_vocoder",
    "vocoder_pairs",
]


def vocoder_pairs(audio: Any, config: VocoderTrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Training pairs of clips: ``(mel float32 [n, frames, n_mels], wave float32 [n,
    frames * hop, 1])``.

    ``mel`` is :func:`audiogan_kit.features.log_mel` with ``config.audio`` (the frames a
    SpecGAN of that audio config makes, before its normalisation); ``frames =
    audio.num_frames`` and ``wave`` the clips, ``num_samples = frames * hop`` long.

    Args:
        audio: float32 ``[n, config.audio.num_samples]`` in [-1, 1].
    """
    audio = np.asarray(audio, dtype=np.float32)
    mel = features.compute_features(features.log_mel, audio, config.audio)
    samples = mel.shape[1] * config.audio.hop_length
    if samples != audio.shape[1]:
        raise ValueError(
            f"{mel.shape[1]} frames of {config.audio.hop_length} samples are {samples} "
            f"samples, but the clips are {audio.shape[1]}; use num_samples = frames x hop."
        )
    return mel, audio[..., None]


class SegmentBatches:
    """The batches of each step as random aligned segments of the clips (MelGAN, HiFi-GAN).

    ``batches(step)`` takes the clips of :class:`EpochBatches` batch ``step`` and, from each,
    ``segment_length // hop`` consecutive frames starting at a random frame ``f`` and the
    samples ``f * hop .. (f + frames) * hop - 1`` they describe (frame ``t`` becomes samples
    ``t * hop ..``, see :func:`~audiogan_kit.models.build_vocoder_generator`). The starts are
    drawn with ``numpy.random.default_rng([seed, 104729, step])``: a pure function of the
    step, so a resumed run sees the same segments.

    Args:
        mel: float32 ``[n, frames, n_mels]``; wave: float32 ``[n, frames * hop, 1]``.
        batch_size, seed: as for :class:`EpochBatches`.
        segment_length: samples per segment, a multiple of ``hop`` and at most the clip.
        hop: samples per frame.

    Returns (when called):
        ``(mel float32 [batch_size, segment_length // hop, n_mels], wave float32
        [batch_size, segment_length, 1])``.
    """

    def __init__(
        self,
        mel: np.ndarray,
        wave: np.ndarray,
        batch_size: int,
        seed: int,
        segment_length: int,
        hop: int,
    ) -> None:
        if segment_length % hop or not hop <= segment_length <= wave.shape[1]:
            raise ValueError(
                f"segment_length={segment_length} must be a multiple of hop={hop} and at most "
                f"the clip length ({wave.shape[1]})."
            )
        self.clips = EpochBatches((mel, wave), batch_size, seed)
        self.seed, self.hop = int(seed), int(hop)
        self.frames = segment_length // hop

    def __call__(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        mel, wave = self.clips(step)
        rng = np.random.default_rng([self.seed, 104729, int(step)])
        starts = rng.integers(0, mel.shape[1] - self.frames + 1, size=len(mel))
        frames = starts[:, None] + np.arange(self.frames)
        samples = starts[:, None] * self.hop + np.arange(self.frames * self.hop)
        rows = np.arange(len(mel))[:, None]
        return mel[rows, frames], wave[rows, samples]


class VocoderSampler:
    """A vocoder's evaluation samples: fixed clips, resynthesised from their log-mel frames.

    ``count`` clips are chosen from ``(mel, wave)`` with ``numpy.random.default_rng([seed,
    7919])``, in their original order.

    Attributes:
        mel: float32 [count, frames, n_mels]; wave: float32 [count, samples];
        labels: int32 [count] (0 when unknown).

    Returns (when called with the VocoderGAN):
        ``(made float32 [count, samples], the same clipped to [-1, 1])``.
    """

    conditional = False

    def __init__(
        self, mel: np.ndarray, wave: np.ndarray, labels: np.ndarray, count: int, seed: int
    ) -> None:
        count = min(int(count), len(mel))
        rng = np.random.default_rng([seed, 7919])
        index = np.sort(rng.choice(len(mel), size=count, replace=False))
        self.mel, self.wave = mel[index], wave[index].reshape(count, -1)
        self.labels = np.asarray(labels, dtype=np.int32)[index]

    def __call__(self, gan: Any) -> tuple[np.ndarray, np.ndarray]:
        made = gan.vocode(self.mel)
        return made, np.clip(made, -1.0, 1.0)


def make_vocoder_trainer(
    config: VocoderTrainConfig,
    dataset: Any,
    run_dir: str | Path,
    callbacks: Iterable[TrainCallback] = (),
    log: Callable[[str], None] = print,
    eval_dataset: Any | None = None,
    allow_slow: bool = False,
) -> Trainer:
    """A :class:`Trainer` for a vocoder, ready to :meth:`~Trainer.run` (or resume).

    Args:
        config: the run's :class:`VocoderTrainConfig`.
        dataset: the training clips: an :class:`~audiogan_kit.data.AudioDataset` (read with
            ``config.audio``) or ``(audio float32 [n, num_samples], labels int [n])``.
        run_dir, callbacks, log, allow_slow: as for :func:`~audiogan_kit.training.make_trainer`.
        eval_dataset: where the evaluation clips come from (default ``dataset``; e.g. the
            held-out test clips).
    """
    if not isinstance(config, VocoderTrainConfig):
        raise ValueError(
            f"config must be a VocoderTrainConfig, got {type(config).__name__}; see "
            "training.VOCODER_TRAIN_PRESETS."
        )
    run = RunFolder(run_dir, config)
    audio, _ = dataset_arrays(dataset)
    mel, wave = vocoder_pairs(audio, config)
    eval_audio, eval_labels = dataset_arrays(dataset if eval_dataset is None else eval_dataset)
    eval_mel, eval_wave = vocoder_pairs(eval_audio, config)
    sampler = VocoderSampler(eval_mel, eval_wave, eval_labels, config.num_eval_samples, config.seed)
    if config.segment_length is None:
        batches = EpochBatches((mel, wave), config.batch_size, config.seed)
    else:
        batches = SegmentBatches(
            mel, wave, config.batch_size, config.seed, config.segment_length,
            config.audio.hop_length,
        )
    keras.utils.set_random_seed(config.seed)
    gan = build_vocoder_gan(config)
    return Trainer(run, gan, batches, sampler, callbacks, log, allow_slow)


def train_vocoder(
    config: VocoderTrainConfig,
    dataset: Any,
    run_dir: str | Path,
    callbacks: Iterable[TrainCallback] = (),
    log: Callable[[str], None] = print,
    eval_dataset: Any | None = None,
    allow_slow: bool = False,
) -> Trainer:
    """Train (or resume, when ``run_dir`` has a checkpoint) a vocoder; the finished trainer.

    Arguments as for :func:`make_vocoder_trainer`; ``trainer.gan.vocode(mel)`` turns log-mel
    frames into audio. Raises ``TrainingDiverged`` on a NaN loss, ``RunTooSlow`` on a run
    projected over an hour without ``allow_slow``.
    """
    trainer = make_vocoder_trainer(
        config, dataset, run_dir, callbacks, log, eval_dataset, allow_slow
    )
    trainer.run()
    return trainer


class RunVocoder:
    """A trained vocoder run's generator (its newest good checkpoint), ready to make audio.

    Attributes:
        run_dir, config (:class:`VocoderTrainConfig`), generator (``keras.Model``: float32
        ``[batch, frames, n_mels]`` -> ``[batch, frames * hop, 1]``), step (of the
        checkpoint loaded).
    """

    def __init__(self, run_dir: str | Path, log: Callable[[str], None] = print) -> None:
        self.run_dir = Path(run_dir)
        path = self.run_dir / "config.json"
        if not path.is_file():
            raise ValueError(
                f"{self.run_dir} is not a vocoder run (no config.json); give the folder that "
                "training.train_vocoder wrote."
            )
        self.config = VocoderTrainConfig.load(path)
        gan = build_vocoder_gan(self.config)
        step = load_latest_checkpoint(gan, self.run_dir, log)
        if step is None:
            raise ValueError(f"{self.run_dir} has no usable checkpoint; train it first.")
        self.generator, self.step = gan.generator, step

    def vocode(self, mel: Any, batch_size: int = 32) -> np.ndarray:
        """Log-mel frames float32 [n, frames, n_mels] -> audio float32 [n, frames * hop]."""
        return vocode(self.generator, mel, batch_size)

    def resynthesize(self, audio: Any, batch_size: int = 32) -> np.ndarray:
        """Clips through the vocoder's features and back: float32 [n, num_samples]."""
        mel, _ = vocoder_pairs(audio, self.config)
        return self.vocode(mel, batch_size)


def load_vocoder_run(run_dir: str | Path, log: Callable[[str], None] = print) -> RunVocoder:
    """The vocoder of a finished (or interrupted) run, from its newest good checkpoint."""
    return RunVocoder(run_dir, log)
