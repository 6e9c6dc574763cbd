"""Audio data: FSDD found or downloaded and verified, any folder of audio, splits, pipelines.

Introduced in notebooks/01_data.ipynb (noisy FSDD in notebooks/06_enhancement.ipynb).

Every clip the kit handles is a mono float32 waveform in [-1, 1] at ``config.sample_rate``
Hz, padded or cropped to ``config.num_samples`` samples (8,192 samples = 1.024 s at 8 kHz by
default). A loaded collection of clips is an :class:`AudioDataset`: NumPy arrays (clips along
axis 0, time along axis 1) plus labels, speakers and takes, and the
:class:`~audiogan_kit.config.AudioConfig` that produced it.

Layout (each file readable top to bottom; every name below is importable from here):

- ``errors``    :class:`DataError`, raised with the file or folder and the fix for bad input
- ``registry``  what can be downloaded (FSDD pinned by commit and digest), :func:`cache_dir`,
  finding FSDD (:func:`fsdd_path`), :func:`dataset_digest`, safe extraction,
  :func:`download_fsdd`
- ``audio``     finding audio files (:func:`audio_files`), decoding one file
  (:func:`audio_rate`, :func:`load_audio_raw`, :func:`load_audio`),
  :func:`fix_length`, :func:`place_sound`, :func:`normalize_level`, writing wav
  (:func:`wav_bytes`, :func:`save_wav`)
- ``datasets``  :class:`AudioDataset` (splits, NumPy and ``tf.data`` pipelines),
  :func:`clip_length_table`
- ``cache``     the decoded-array cache of FSDD (``.npz`` keyed by files + config,
  checksummed; :func:`fsdd_cache_file`)
- ``loading``   :func:`load_fsdd` (cached) and :func:`load_folder` (any folder of audio,
  with sub-folder, pattern or no labels)
- ``slicing``   long recordings cut into windows, silent ones dropped
- ``summary``   :func:`folder_summary`, what a loaded folder holds
- ``noise``     noise synthesis (white, pink, brown, hum, babble; :func:`make_noise`),
  :func:`active_mask`, :func:`measure_snr`, :func:`mix_at_snr`
- ``noisy``     :class:`NoisyDataset`, :func:`make_noisy_dataset`, :func:`make_noisy_split`
- ``test_set``  the fair held-out test set: :func:`balanced_design`, :func:`composition`,
  :func:`standard_error`, :func:`pairs_for_standard_error`
"""

from ..config import DEFAULT_CONFIG, AudioConfig
from .audio import (
    SUPPORTED_EXTENSIONS,
    audio_files,
    audio_rate,
    fix_length,
    load_audio,
    load_audio_raw,
    normalize_level,
    place_sound,
    save_wav,
    wav_bytes,
)
from .cache import fsdd_cache_file
from .datasets import AudioDataset, clip_length_table
from .errors import DataError
from .loading import LABELS, UNLABELLED, load_folder, load_fsdd
from .noise import (
    ACTIVE_FRAME,
    ACTIVE_THRESHOLD_DB,
    NOISE_EXPONENTS,
    NOISE_TYPES,
    active_mask,
    babble_noise,
    colored_noise,
    hum_noise,
    make_noise,
    measure_snr,
    mix_at_snr,
)
from .noisy import (
    COMBINATIONS,
    NOISY_TEST_SPEAKERS,
    NoisyDataset,
    make_noisy_dataset,
    make_noisy_split,
)
from .registry import (
    DATA_HUB,
    FSDD_COMMIT,
    FSDD_DIGEST,
    FSDD_NAME_PATTERN,
    FSDD_REPOSITORY,
    FSDD_TEST_TAKES,
    FSDD_URL,
    cache_dir,
    dataset_digest,
    download_fsdd,
    fsdd_path,
)
from .summary import folder_summary
from .test_set import balanced_design, composition, pairs_for_standard_error, standard_error

# AudioConfig and DEFAULT_CONFIG belong to audiogan_kit.config; they stay importable from here
# because every loader takes them.
__all__ = [
    "ACTIVE_FRAME",
    "ACTIVE_THRESHOLD_DB",
    "COMBINATIONS",
    "DATA_HUB",
    "DEFAULT_CONFIG",
    "FSDD_COMMIT",
    "FSDD_DIGEST",
    "FSDD_NAME_PATTERN",
    "FSDD_REPOSITORY",
    "FSDD_TEST_TAKES",
    "FSDD_URL",
    "LABELS",
    "NOISE_EXPONENTS",
    "NOISE_TYPES",
    "NOISY_TEST_SPEAKERS",
    "SUPPORTED_EXTENSIONS",
    "UNLABELLED",
    "AudioConfig",
    "AudioDataset",
    "DataError",
    "NoisyDataset",
    "active_mask",
    "audio_files",
    "audio_rate",
    "babble_noise",
    "balanced_design",
    "cache_dir",
    "clip_length_table",
    "colored_noise",
    "composition",
    "dataset_digest",
    "download_fsdd",
    "fix_length",
    "folder_summary",
    "fsdd_cache_file",
    "fsdd_path",
    "hum_noise",
    "load_audio",
    "load_audio_raw",
    "load_folder",
    "load_fsdd",
    "make_noise",
    "make_noisy_dataset",
    "make_noisy_split",
    "measure_snr",
    "mix_at_snr",
    "pairs_for_standard_error",
    "normalize_level",
    "place_sound",
    "save_wav",
    "standard_error",
    "wav_bytes",
]
