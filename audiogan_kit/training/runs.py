"""Runs from start to end: train a GAN or an enhancer in a folder, and use a trained run.

Introduced in notebooks/04_training.ipynb (GANs) and notebooks/06_enhancement.ipynb
(enhancers).

:func:`make_trainer` and :func:`make_enhancer_trainer` assemble a
:class:`~audiogan_kit.training.Trainer` from its parts (the run folder, the seeded and
compiled model, the batch source, the sampler); :func:`train` and :func:`train_enhancer`
also run it. :func:`load_run` and :func:`load_enhancer_run` bring a trained run's generator
back from its newest good checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import keras
import numpy as np

from ..callbacks import TrainCallback
from .checkpoints import checkpoint_paths, load_latest_checkpoint
from .configs import EnhancerTrainConfig, MetricEnhancerTrainConfig, TrainConfig
from .examples import (
    EpochBatches,
    NoiseSampler,
    PairSampler,
    dataset_arrays,
    examples_to_audio,
    pair_arrays,
    prepare_examples,
    sample_noise,
)
from .gan import build_gan
from .metric_gan import MetricBatches, build_metric_enhancement_gan
from .pair_gan import build_enhancement_gan
from .run_folder import RunFolder, load_stats
from .trainer import Trainer

__all__ = [
    "ENHANCER_CONFIGS",
    "RunGenerator",
    "generator_inputs",
    "load_enhancer_config",
    "load_enhancer_run",
    "load_run",
    "make_enhancer_trainer",
    "make_trainer",
    "newest_checkpoint_step",
    "newest_enhancer_run",
    "train",
    "train_enhancer",
]


def make_trainer(
    config: TrainConfig,
    dataset: Any,
    run_dir: str | Path,
    callbacks: Iterable[TrainCallback] = (),
    log: Callable[[str], None] = print,
    allow_slow: bool = False,
) -> Trainer:
    """A :class:`Trainer` for a GAN, ready to :meth:`~Trainer.run` (or resume).

    The run folder is checked against ``config`` first; the examples are normalised with the
    folder's saved spectrogram statistics when it has them (so a resumed run sees the same
    data); Keras' random state is seeded with ``config.seed`` before the models are built.

    Args:
        config: the run's :class:`TrainConfig`; on resume only ``num_steps`` may differ
            from the saved one.
        dataset: the training clips: an :class:`~audiogan_kit.data.AudioDataset` or
            ``(audio float32 [n, num_samples], labels int [n])``.
        run_dir: the run folder (created if missing).
        callbacks: :class:`~audiogan_kit.callbacks.TrainCallback` objects (dashboard,
            progress bar, TensorBoard).
        log: where messages (resume, skipped checkpoints, projected wall time) go.
        allow_slow: train even a run projected to take over an hour (``Trainer``'s
            warm-up measures it); without it such a run raises ``RunTooSlow``.
    """
    run = RunFolder(run_dir, config)
    audio, labels = dataset_arrays(dataset)
    model = config.model
    if model.conditional and (labels.min() < 0 or labels.max() >= model.num_classes):
        raise ValueError(
            f"labels must be in 0..{model.num_classes - 1} for this conditional model, got "
            f"{labels.min()}..{labels.max()}."
        )
    examples, stats = prepare_examples(audio, config, run.load_stats())
    run.save_stats(stats)
    batches = EpochBatches(
        (examples, labels), config.batch_size, config.seed, draws_per_step=config.n_critic
    )
    keras.utils.set_random_seed(config.seed)
    gan = build_gan(config)
    return Trainer(run, gan, batches, NoiseSampler(config, stats), callbacks, log, allow_slow)


def train(
    config: TrainConfig,
    dataset: Any,
    run_dir: str | Path,
    callbacks: Iterable[TrainCallback] = (),
    log: Callable[[str], None] = print,
    allow_slow: bool = False,
) -> Trainer:
    """Train (or resume, when ``run_dir`` has a checkpoint) a GAN; the finished trainer.

    Arguments as for :func:`make_trainer`.

    Raises:
        TrainingDiverged: a loss became non-finite (the last good checkpoint is kept).
        RunTooSlow: the run is projected to take over an hour and ``allow_slow`` is off.
    """
    trainer = make_trainer(config, dataset, run_dir, callbacks, log, allow_slow)
    trainer.run()
    return trainer


def make_enhancer_trainer(
    config: EnhancerTrainConfig | MetricEnhancerTrainConfig,
    dataset: Any,
    run_dir: str | Path,
    callbacks: Iterable[TrainCallback] = (),
    log: Callable[[str], None] = print,
    eval_dataset: Any | None = None,
    allow_slow: bool = False,
) -> Trainer:
    """A :class:`Trainer` for an enhancer: SEGAN or the MetricGAN+-style mask enhancer.

    The config's type chooses: an :class:`EnhancerTrainConfig` trains an
    :class:`~audiogan_kit.training.EnhancementGAN` on seeded batches
    (:class:`~audiogan_kit.training.EpochBatches`); a :class:`MetricEnhancerTrainConfig`
    trains a :class:`~audiogan_kit.training.MetricEnhancementGAN` on
    :class:`~audiogan_kit.training.MetricBatches` (which score the current enhancer's
    outputs with PESQ when the metric term is on). The loop, checkpoints and samples are
    the same :class:`Trainer`'s.

    Args:
        config: the run's config.
        dataset: training pairs: a :class:`~audiogan_kit.data.NoisyDataset` or
            ``(noisy, clean)`` float32 [n, model.num_samples] in [-1, 1].
        run_dir, callbacks, log, allow_slow: as for :func:`make_trainer`.
        eval_dataset: where the evaluation clips come from (default ``dataset``; e.g. the
            held-out test pairs). The sampler's ``noisy`` and ``clean`` are the fixed clips.
    """
    if not isinstance(config, EnhancerTrainConfig | MetricEnhancerTrainConfig):
        raise ValueError(
            "config must be an EnhancerTrainConfig (SEGAN) or a MetricEnhancerTrainConfig "
            f"(the mask enhancer), got {type(config).__name__}; see "
            "training.ENHANCER_TRAIN_PRESETS and training.METRIC_ENHANCER_TRAIN_PRESETS."
        )
    run = RunFolder(run_dir, config)
    noisy, clean, _ = pair_arrays(dataset)
    samples = config.model.num_samples
    if noisy.shape[1] != samples:
        raise ValueError(
            f"the pairs are {noisy.shape[1]} samples long but the enhancer takes windows of "
            f"{samples}; build the NoisyDataset with AudioConfig(num_samples={samples})."
        )
    eval_noisy, eval_clean, eval_labels = pair_arrays(
        dataset if eval_dataset is None else eval_dataset
    )
    sampler = PairSampler(
        eval_noisy, eval_clean, eval_labels, config.num_eval_samples, config.seed
    )
    keras.utils.set_random_seed(config.seed)
    if isinstance(config, MetricEnhancerTrainConfig):
        gan = build_metric_enhancement_gan(config)
        batches = MetricBatches(
            noisy, clean, config.batch_size, config.seed, config.audio.sample_rate,
            gan=None if config.l1_only else gan, warmup=config.discriminator_warmup,
        )
    else:
        batches = EpochBatches(
            (noisy[..., None], clean[..., None]), config.batch_size, config.seed
        )
        gan = build_enhancement_gan(config)
    return Trainer(run, gan, batches, sampler, callbacks, log, allow_slow)


def train_enhancer(
    config: EnhancerTrainConfig | MetricEnhancerTrainConfig,
    dataset: Any,
    run_dir: str | Path,
    callbacks: Iterable[TrainCallback] = (),
    log: Callable[[str], None] = print,
    eval_dataset: Any | None = None,
    allow_slow: bool = False,
) -> Trainer:
    """Train (or resume, when ``run_dir`` has a checkpoint) an enhancer; the finished trainer.

    Arguments as for :func:`make_enhancer_trainer`; ``trainer.gan.generator`` is the
    enhancer, ready for :func:`audiogan_kit.enhance.enhance`. Raises ``TrainingDiverged`` on
    a NaN loss, ``RunTooSlow`` on a run projected over an hour without ``allow_slow``.
    """
    trainer = make_enhancer_trainer(
        config, dataset, run_dir, callbacks, log, eval_dataset, allow_slow
    )
    trainer.run()
    return trainer


def _saved_config(run_dir: Path, cls: type, what: str, writer: str) -> Any:
    path = run_dir / "config.json"
    if not path.is_file():
        raise ValueError(
            f"{run_dir} is not {what} (no config.json); give the folder that {writer} wrote."
        )
    return cls.load(path)


class RunGenerator:
    """A trained run's generator (EMA weights when the run kept them), ready to make audio.

    Attributes:
        run_dir, config, stats (spectrogram statistics or ``None``), gan, step (of the
        checkpoint loaded).
    """

    def __init__(self, run_dir: str | Path, log: Callable[[str], None] = print) -> None:
        self.run_dir = Path(run_dir)
        self.config = _saved_config(
            self.run_dir, TrainConfig, "a training run", "`audiogan train --out`"
        )
        self.stats = load_stats(self.run_dir)
        self.gan = build_gan(self.config, devices=1)
        step = load_latest_checkpoint(self.gan, self.run_dir, log)
        if step is None:
            raise ValueError(f"{self.run_dir} has no usable checkpoint; train it first.")
        self.step = step

    @classmethod
    def from_trainer(cls, trainer: Trainer) -> RunGenerator:
        """The generator of a trainer that has just run, with its weights as they are now
        (no checkpoint is read: a run examined right after training skips a second build)."""
        run = cls.__new__(cls)
        run.run_dir, run.config, run.gan = trainer.run_dir, trainer.config, trainer.gan
        run.stats, run.step = load_stats(trainer.run_dir), trainer.step
        return run

    def generate(
        self,
        n: int,
        digit: int | None = None,
        seed: int = 0,
        use_ema: bool = True,
        progress: bool = True,
        vocoder: Any | None = None,
    ) -> np.ndarray:
        """``n`` clips: float32 [n, num_samples] in [-1, 1] at ``config.audio.sample_rate`` Hz.

        ``digit`` (0-9) is required by a conditional run and refused by an unconditional one;
        ``use_ema=False`` samples the raw generator weights instead of their moving average;
        ``progress`` shows a bar while more than 64 spectrograms are turned into audio;
        ``vocoder`` (a mel SpecGAN's: :func:`load_vocoder_run`) replaces Griffin-Lim.
        """
        noise, labels = generator_inputs(self.config, n, digit, seed)
        made = self.gan.generate(noise, labels, use_ema=use_ema)
        return examples_to_audio(made, self.config, self.stats, progress, vocoder)


def generator_inputs(
    config: TrainConfig, n: int, digit: int | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The generator's inputs for ``n`` clips: (noise float32 [n, latent_dim] from ``seed``
    at ``config.sample_temperature``, labels int32 [n], all ``digit``, or 0 for an
    unconditional run).

    Raises:
        ValueError: a conditional run without ``digit``, an unconditional one with it, or a
            ``digit`` (a class index) outside ``0..num_classes - 1``.
    """
    model = config.model
    if model.conditional and digit is None:
        raise ValueError(f"this run is conditional: give a digit 0..{model.num_classes - 1}.")
    if digit is not None and not model.conditional:
        raise ValueError("this run is unconditional: it cannot be asked for a digit.")
    if digit is not None and not 0 <= digit < model.num_classes:
        raise ValueError(f"digit must be in 0..{model.num_classes - 1}, got {digit}.")
    noise = sample_noise(np.random.default_rng(seed), n, config)
    labels = np.full(n, digit if digit is not None else 0, dtype=np.int32)
    return noise, labels


def load_run(run_dir: str | Path, log: Callable[[str], None] = print) -> RunGenerator:
    """The generator of a finished (or interrupted) run, from its newest good checkpoint."""
    return RunGenerator(run_dir, log)


#: The config classes of enhancer runs, by the name ``config.json`` stores under ``__class__``.
ENHANCER_CONFIGS: dict[str, type] = {
    cls.__name__: cls for cls in (EnhancerTrainConfig, MetricEnhancerTrainConfig)
}


def load_enhancer_config(run_dir: str | Path) -> EnhancerTrainConfig | MetricEnhancerTrainConfig:
    """The saved config of an enhancer run (SEGAN or the mask enhancer): its ``config.json``
    says which.

    Raises:
        ValueError: no ``config.json``, an unreadable one, or the config of another kind of
            run (a GAN's ``TrainConfig``); the message names the folder.
    """
    import json

    run_dir = Path(run_dir)
    path = run_dir / "config.json"
    kind = None
    if path.is_file():
        try:
            kind = json.loads(path.read_text()).get("__class__")
        except (ValueError, AttributeError):
            kind = None  # _saved_config reports the bad file
    if kind is not None and kind not in ENHANCER_CONFIGS:
        raise ValueError(
            f"{run_dir} is not an enhancer run: its config.json is a {kind} (a GAN run is "
            "used by `audiogan generate`); give a folder that training.train_enhancer wrote."
        )
    cls = ENHANCER_CONFIGS.get(kind, EnhancerTrainConfig)
    return _saved_config(run_dir, cls, "an enhancer run", "training.train_enhancer")


def newest_checkpoint_step(run_dir: str | Path) -> int | None:
    """The step of the run's newest checkpoint file (from its name), ``None`` without one."""
    paths = checkpoint_paths(run_dir)
    return int(paths[-1].stem.removeprefix("ckpt-")) if paths else None


def newest_enhancer_run(root: str | Path) -> Path | None:
    """The finished enhancer run under ``root`` (its sub-folders) with the newest checkpoint.

    Finished: its newest checkpoint is at the config's ``num_steps`` or later. Folders
    that are not enhancer runs, or that hold an unreadable config, are passed over.
    """
    found = []
    root = Path(root)
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            config = load_enhancer_config(folder)
        except ValueError:
            continue
        step = newest_checkpoint_step(folder)
        if step is not None and step >= config.num_steps:
            found.append((checkpoint_paths(folder)[-1].stat().st_mtime, folder))
    return max(found)[1] if found else None


def load_enhancer_run(run_dir: str | Path, log: Callable[[str], None] = print) -> keras.Model:
    """The generator of an enhancer run (SEGAN or mask enhancer, its newest good
    checkpoint), for ``enhance()``; it maps float32 ``[batch, config.model.num_samples, 1]``
    at ``config.audio.sample_rate`` Hz to the same shape.

    Raises:
        ValueError: not an enhancer run (:func:`load_enhancer_config`), or no usable
            checkpoint.
    """
    run_dir = Path(run_dir)
    config = load_enhancer_config(run_dir)
    if isinstance(config, MetricEnhancerTrainConfig):
        gan = build_metric_enhancement_gan(config)
    else:
        gan = build_enhancement_gan(config)
    if load_latest_checkpoint(gan, run_dir, log) is None:
        raise ValueError(f"{run_dir} has no usable checkpoint; train it first.")
    return gan.generator
