"""Training GANs and enhancers: configs, the two-player models, the loop, checkpoints, runs.

Introduced in notebooks/04_training.ipynb.

- :mod:`~audiogan_kit.training.configs`: :class:`TrainConfig`, :class:`EnhancerTrainConfig`
  and their presets (:data:`TRAIN_PRESETS`, :data:`ENHANCER_TRAIN_PRESETS`); the mask
  enhancer's :class:`MetricEnhancerTrainConfig` and :data:`METRIC_ENHANCER_TRAIN_PRESETS`;
- :mod:`~audiogan_kit.training.two_player`: :class:`TwoPlayerModel`, what every GAN shares
  (two networks, two optimizers, the update, the checkpoint state); its siblings
  :class:`GAN` (:mod:`~audiogan_kit.training.gan`: noise to audio, ``n_critic``, EMA) and
  :class:`EnhancementGAN` (:mod:`~audiogan_kit.training.pair_gan`: noisy to clean audio)
  and :class:`MetricEnhancementGAN` (:mod:`~audiogan_kit.training.metric_gan`: a mask
  enhancer against a discriminator that predicts PESQ, with :class:`MetricBatches`);
- :mod:`~audiogan_kit.training.vocoder_gan` and :mod:`~audiogan_kit.training.vocoder_runs`:
  :class:`VocoderGAN` (log-mel frames to waveforms, multi-scale / multi-period
  discriminators), :class:`VocoderTrainConfig` (:data:`VOCODER_TRAIN_PRESETS`),
  :func:`train_vocoder`, :func:`load_vocoder_run`;
- :mod:`~audiogan_kit.training.precision`: mixed precision per model, Adam;
- :mod:`~audiogan_kit.training.examples`: training examples, batches, evaluation samplers;
- :mod:`~audiogan_kit.training.trainer`: :class:`Trainer`, the loop (given a model, a batch
  source, a sampler and callbacks), and :class:`TrainingDiverged`, :class:`RunTooSlow`;
- :mod:`~audiogan_kit.training.checkpoints` and :mod:`~audiogan_kit.training.run_folder`:
  atomic checkpoints with exact resume; what a run folder holds;
- :mod:`~audiogan_kit.training.runs`: :func:`train`, :func:`train_enhancer`,
  :func:`load_run`, :func:`load_enhancer_run` (and :func:`newest_enhancer_run`, the
  newest finished one under a folder);
- :mod:`~audiogan_kit.training.diagnostics` (notebooks/07_troubleshooting.ipynb):
  :func:`diagnose` reads a run's history (and its clips' checks) into named
  :class:`Finding`\\ s; :mod:`~audiogan_kit.training.examine`: :func:`examine_run` (a run's
  clips, their checks, the findings, the judge's accuracy);
- :mod:`~audiogan_kit.training.export`: a run's generator as one ``.keras`` file
  (:func:`export_generator`, :func:`load_exported`).

Data shapes (channels last, as everywhere in the kit): a waveform model trains on
``float32 [batch, num_samples, 1]`` in [-1, 1]; a SpecGAN on normalised log-magnitude
``float32 [batch, num_frames, num_bins, 1]`` in [-1, 1] (``spectrogram="linear"``, 128 bins)
or normalised log-mel ``[batch, num_frames, n_mels, 1]`` (``spectrogram="mel"``, 64 bands).
"""

from ..callbacks import TrainCallback
from .checkpoints import (
    CheckpointError,
    CheckpointWriteError,
    checkpoint_paths,
    load_latest_checkpoint,
    save_checkpoint,
)
from .configs import (
    ENHANCER_TRAIN_PRESETS,
    METRIC_ENHANCER_TRAIN_PRESETS,
    SPECTROGRAMS,
    TRAIN_PRESETS,
    VOCODER_TRAIN_PRESETS,
    EnhancerTrainConfig,
    MetricEnhancerTrainConfig,
    TrainConfig,
    VocoderTrainConfig,
    for_classes,
)
from .diagnostics import CHANCE_D_LOSS, THRESHOLDS, Finding, diagnose, format_findings, last_rows
from .examine import RunExamination, examine_run
from .examples import (
    EpochBatches,
    NoiseSampler,
    PairSampler,
    batch_indices,
    dataset_arrays,
    examples_to_audio,
    pair_arrays,
    prepare_examples,
    resynthesize,
    sample_noise,
)
from .export import ExportedGenerator, export_generator, load_exported
from .gan import GAN, build_gan
from .metric_gan import (
    MetricBatches,
    MetricEnhancementGAN,
    build_metric_enhancement_gan,
    metric_discriminator_loss,
    metric_generator_loss,
)
from .pair_gan import EnhancementGAN, build_enhancement_gan, enhance_windows
from .precision import adam, compile_with_adam, set_precision
from .run_folder import RunFolder, load_sample_set, load_stats, read_history, sample_set_paths
from .runs import (
    ENHANCER_CONFIGS,
    RunGenerator,
    load_enhancer_config,
    load_enhancer_run,
    load_run,
    make_enhancer_trainer,
    make_trainer,
    newest_checkpoint_step,
    newest_enhancer_run,
    train,
    train_enhancer,
)
from .trainer import SLOW_RUN_S, RunTooSlow, Trainer, TrainingDiverged, format_duration
from .two_player import TwoPlayerModel, global_norm
from .vocoder_gan import VocoderGAN, build_vocoder_gan, vocode
from .vocoder_runs import (
    RunVocoder,
    SegmentBatches,
    VocoderSampler,
    load_vocoder_run,
    make_vocoder_trainer,
    train_vocoder,
    vocoder_pairs,
)

__all__ = [
    "CHANCE_D_LOSS",
    "THRESHOLDS",
    "Finding",
    "diagnose",
    "format_findings",
    "last_rows",
    "RunExamination",
    "examine_run",
    "ENHANCER_CONFIGS",
    "ENHANCER_TRAIN_PRESETS",
    "GAN",
    "METRIC_ENHANCER_TRAIN_PRESETS",
    "SLOW_RUN_S",
    "SPECTROGRAMS",
    "TRAIN_PRESETS",
    "CheckpointError",
    "CheckpointWriteError",
    "EnhancementGAN",
    "EnhancerTrainConfig",
    "EpochBatches",
    "ExportedGenerator",
    "MetricBatches",
    "MetricEnhancementGAN",
    "MetricEnhancerTrainConfig",
    "NoiseSampler",
    "PairSampler",
    "RunFolder",
    "RunGenerator",
    "RunTooSlow",
    "TrainCallback",
    "TrainConfig",
    "Trainer",
    "TrainingDiverged",
    "TwoPlayerModel",
    "VOCODER_TRAIN_PRESETS",
    "RunVocoder",
    "SegmentBatches",
    "VocoderGAN",
    "VocoderSampler",
    "VocoderTrainConfig",
    "adam",
    "batch_indices",
    "build_enhancement_gan",
    "build_gan",
    "build_metric_enhancement_gan",
    "checkpoint_paths",
    "compile_with_adam",
    "dataset_arrays",
    "enhance_windows",
    "examples_to_audio",
    "for_classes",
    "export_generator",
    "format_duration",
    "global_norm",
    "load_enhancer_config",
    "load_enhancer_run",
    "load_exported",
    "load_latest_checkpoint",
    "load_run",
    "load_sample_set",
    "load_stats",
    "make_enhancer_trainer",
    "newest_checkpoint_step",
    "newest_enhancer_run",
    "make_trainer",
    "metric_discriminator_loss",
    "metric_generator_loss",
    "pair_arrays",
    "prepare_examples",
    "read_history",
    "resynthesize",
    "sample_noise",
    "sample_set_paths",
    "save_checkpoint",
    "set_precision",
    "train",
    "train_enhancer",
    "build_vocoder_gan",
    "load_vocoder_run",
    "make_vocoder_trainer",
    "train_vocoder",
    "vocode",
    "vocoder_pairs",
]
