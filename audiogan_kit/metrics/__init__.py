"""Honest yardsticks for generated digits: a judge classifier and the scores built on it.

Introduced in notebooks/05_evaluation.ipynb.

"It sounds like a seven" is not a measurement. WaveGAN scored its samples with an Inception
Score computed by a classifier trained on the real digits; image GANs compare embedding
statistics with the Fréchet distance. This package gives the kit the same yardsticks for FSDD.

- the judge, a small CNN on log-mel features whose network is
  :mod:`audiogan_kit.models.judge` (:class:`JudgeConfig`, :func:`build_judge_model`):

  - :mod:`~audiogan_kit.metrics.judge`: :class:`Judge` (probabilities, embeddings,
    accuracy; a ``.keras`` file with a JSON sidecar) and :func:`data_digest`;
  - :mod:`~audiogan_kit.metrics.judge_training`: :func:`train_judge` on the official FSDD
    split, :func:`fit_judge` for one network, the augmentation :func:`augment_log_mel`;
  - :mod:`~audiogan_kit.metrics.judge_cache`: :func:`load_or_train_judge` reloads the judge
    saved in the user cache for this data and these configs (:func:`judge_path`), else
    trains and saves one;

- :mod:`~audiogan_kit.metrics.generation`: :func:`inception_score`, :func:`frechet_distance`
  (FID-style, also :func:`judge_frechet_distance` from audio), :func:`confusion_matrix` and
  :func:`conditional_accuracy` for conditional generators;
- :mod:`~audiogan_kit.metrics.novelty`: :func:`diversity` (mean pairwise distance within a
  digit, generated vs real) and :func:`memorisation` (each generated clip's nearest training
  clip);
- :mod:`~audiogan_kit.metrics.reference`: :func:`real_reference` and :func:`score_generated`,
  every number at once against random, speaker-balanced draws of real clips
  (:func:`balanced_sample`, :func:`reference_draws`, :func:`sample_per_class`);
- :mod:`~audiogan_kit.metrics.artefacts` (notebooks/07_troubleshooting.ipynb): what is wrong
  with a batch of clips, measured: :func:`silent_fraction`, :func:`clipped_fraction`,
  :func:`tone_prominence_db` at :func:`upsampling_tones`, :func:`spread_ratio`, all at once
  in :func:`check_outputs`;
- :mod:`~audiogan_kit.metrics.voices`: whose voice a clip could be (:func:`median_pitch_hz`,
  :func:`speaker_pitch_ranges`, :func:`voice_table`);
- :mod:`~audiogan_kit.metrics.speech` (notebooks/06_enhancement.ipynb): speech quality for
  enhancement, :func:`pesq_nb`, :func:`stoi`, :func:`si_sdr`, :func:`segmental_snr` and
  :func:`speech_scores`; :func:`stoi_repeats` (which clips STOI had to repeat) and
  :func:`metric_labels` (the exact variant of each score).

Conventions: audio is float32 ``[clips, num_samples]`` (or ``[clips, num_samples, 1]``) in
[-1, 1] at ``config.sample_rate`` Hz; labels are int ``[clips]`` digits 0-9; embeddings are
float ``[clips, dim]``; probabilities float ``[clips, classes]`` with rows summing to 1.
"""

from ..layers import LogMelFeatures
from ..models.judge import (
    JUDGE_FEATURES,
    JUDGE_PRESETS,
    JudgeConfig,
    build_judge_model,
    build_judge_networks,
)
from .artefacts import (
    CLIP_LEVEL,
    SILENCE_DB,
    OutputChecks,
    check_outputs,
    clipped_fraction,
    mean_power_spectrum_db,
    silent_fraction,
    spread_ratio,
    tone_prominence_db,
    upsampling_tones,
)
from .generation import (
    ConditionalScores,
    conditional_accuracy,
    confusion_matrix,
    embedding_statistics,
    frechet_distance,
    frechet_distance_from_statistics,
    inception_score,
    judge_frechet_distance,
)
from .judge import JUDGE_FORMAT_VERSION, Judge, data_digest
from .judge_cache import judge_path, load_or_train_judge
from .judge_training import augment_log_mel, augment_waveforms, fit_judge, train_judge
from .novelty import (
    MEMORISATION_FACTOR,
    MEMORISATION_QUANTILE,
    DiversityScores,
    MemorisationScores,
    calibrate_memorisation_threshold,
    diversity,
    mean_pairwise_distance,
    memorisation,
    memorisation_features,
    nearest_neighbours,
)
from .reference import (
    balanced_sample,
    real_reference,
    reference_draws,
    sample_per_class,
    score_generated,
)
from .speech import (
    SPEECH_METRICS,
    metric_labels,
    pesq_nb,
    segmental_snr,
    si_sdr,
    speech_scores,
    stoi,
    stoi_repeats,
)
from .voices import median_pitch_hz, speaker_pitch_ranges, voice_table

__all__ = [
    "CLIP_LEVEL",
    "SILENCE_DB",
    "OutputChecks",
    "check_outputs",
    "clipped_fraction",
    "mean_power_spectrum_db",
    "silent_fraction",
    "spread_ratio",
    "tone_prominence_db",
    "upsampling_tones",
    "JUDGE_FEATURES",
    "JUDGE_FORMAT_VERSION",
    "JUDGE_PRESETS",
    "MEMORISATION_FACTOR",
    "MEMORISATION_QUANTILE",
    "SPEECH_METRICS",
    "ConditionalScores",
    "DiversityScores",
    "Judge",
    "JudgeConfig",
    "LogMelFeatures",
    "MemorisationScores",
    "augment_log_mel",
    "augment_waveforms",
    "balanced_sample",
    "build_judge_model",
    "build_judge_networks",
    "calibrate_memorisation_threshold",
    "conditional_accuracy",
    "confusion_matrix",
    "data_digest",
    "diversity",
    "embedding_statistics",
    "fit_judge",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "inception_score",
    "judge_frechet_distance",
    "judge_path",
    "load_or_train_judge",
    "mean_pairwise_distance",
    "metric_labels",
    "memorisation",
    "median_pitch_hz",
    "memorisation_features",
    "nearest_neighbours",
    "pesq_nb",
    "real_reference",
    "reference_draws",
    "sample_per_class",
    "score_generated",
    "segmental_snr",
    "si_sdr",
    "speech_scores",
    "speaker_pitch_ranges",
    "voice_table",
    "stoi",
    "stoi_repeats",
    "train_judge",
]
