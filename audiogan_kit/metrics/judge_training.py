"""Training the judge: augmentation, one network's fit, the measured judge.

:func:`train_judge` is the recipe of :class:`~audiogan_kit.models.judge.JudgeConfig` on FSDD's
official split (plus the held-out-speaker check); :func:`fit_judge` trains one network on any
labelled clips; :func:`augment_waveforms` (the waveform judge) and :func:`augment_log_mel`
(the log-mel judge, on features computed once) are the per-epoch augmentations.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

import keras
import numpy as np

from ..arrays import as_batch
from ..config import AudioConfig
from ..features import compute_features, log_mel, mfcc_with_deltas
from ..models.judge import JudgeConfig, build_judge_networks, mfcc_config
from .judge import Judge, data_digest

__all__ = ["augment_log_mel", "augment_waveforms", "fit_judge", "train_judge"]


def _noise_bank(audio_config: AudioConfig, rng: np.random.Generator, count: int = 32) -> np.ndarray:
    """Mel magnitudes of unit-variance white noise: float32 [count, frames, n_mels]."""
    noise = rng.standard_normal((count, audio_config.num_samples)).astype(np.float32)
    return np.exp(compute_features(log_mel, noise, audio_config)) - audio_config.log_floor


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
    time_index = np.arange(frames)[None, :] - shifts[:, None]  # output frame t reads t - shift
    inside = (time_index >= 0) & (time_index < frames)
    shifted = np.take_along_axis(x, np.clip(time_index, 0, frames - 1)[:, :, None], axis=1)
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


def augment_waveforms(
    audio: np.ndarray,
    config: JudgeConfig,
    sample_rate: int,
    rng: np.random.Generator,
    lengths: np.ndarray | None = None,
) -> np.ndarray:
    """Random time shift, attenuation and white noise applied to waveforms.

    - time shift: up to ``max_shift_s`` later or a quarter of it earlier, in whole samples;
      the samples that enter are zeros. With ``lengths`` (each clip's recorded length before
      padding), a clip moves later only as far as its padding reaches, so the word is never
      cut: the judge learns to hear a word anywhere in the clip (a generator trained on
      centred words puts them in the middle);
    - gain between ``-max_attenuation_db`` and 0 dB;
    - white noise of standard deviation ``10 ** (dB / 20)``, dB drawn from ``noise_db``.

    Args:
        audio: float32 [clips, samples] in [-1, 1].
        config: the augmentation ranges.
        sample_rate: of the clips, in Hz.
        rng: the random source.

    Returns:
        float32 [clips, samples]; ``audio`` is not modified.
    """
    x = np.asarray(audio, dtype=np.float32)
    n, samples = x.shape
    max_shift = int(round(config.max_shift_s * sample_rate))
    later = np.full(n, max_shift)
    if lengths is not None:
        later = np.clip(samples - np.asarray(lengths), 0, max_shift)
    shifts = np.floor(rng.uniform(-(max_shift // 4), later + 1)).astype(np.int64)
    source = np.arange(samples)[None, :] - shifts[:, None]  # output t reads input t - shift
    inside = (source >= 0) & (source < samples)
    shifted = np.where(inside, np.take_along_axis(x, np.clip(source, 0, samples - 1), 1), 0.0)
    gain = 10.0 ** (rng.uniform(-config.max_attenuation_db, 0.0, size=(n, 1)) / 20.0)
    out = shifted * gain
    if config.noise_db is not None:
        level = 10.0 ** (rng.uniform(*config.noise_db, size=(n, 1)) / 20.0)
        out = out + level * rng.standard_normal((n, samples))
    return out.astype(np.float32)


def fit_judge(
    train: Any, config: JudgeConfig, progress: bool = False, label: str = "judge"
) -> tuple[keras.Model, float]:
    """Train one fresh judge network on labelled clips, without measuring it.

    Each epoch trains the model to fit of
    :func:`~audiogan_kit.models.judge.build_judge_networks` on a fresh augmentation of the
    clips (:func:`augment_waveforms`) or of their log-mel features, computed once
    (:func:`augment_log_mel`), with Adam and a cosine decay of the learning rate to 0.
    :func:`train_judge` calls it for the official split and the held-out-speaker check.

    Args:
        train: an ``AudioDataset`` (its ``audio`` float [clips, num_samples], ``labels`` int
            [clips] in ``0..num_classes - 1``, and ``config``), at least ``batch_size`` clips.
        config: the recipe.
        progress: a progress bar over the epochs (:func:`audiogan_kit.progress.progress_bar`)
            with the latest training accuracy.
        label: how the bar names the network.

    Returns:
        (the judge on raw audio, training time in seconds).
    """
    audio_config = train.config
    audio = as_batch(
        train.audio, "training audio", num_samples=audio_config.num_samples, allow_empty=True
    )
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
    if config.features == "log_mel":
        features = compute_features(log_mel, audio, audio_config)
        noise_bank = _noise_bank(audio_config, rng) if config.noise_db is not None else None

        def augment(x, index):
            return augment_log_mel(x, config, audio_config, rng, noise_bank)

        normalised = features
    else:
        features = normalised = audio
        lengths = getattr(train, "lengths", None)
        if config.features == "mfcc":
            normalised = compute_features(
                lambda x, c: mfcc_with_deltas(x, c, config.n_mfcc),
                audio,
                mfcc_config(config, audio_config),
            )

        def augment(x, index):
            clip_lengths = None if lengths is None else lengths[index]
            return augment_waveforms(x, config, audio_config.sample_rate, rng, clip_lengths)

    mean, variance = float(normalised.mean()), float(max(normalised.var(), 1e-6))
    judge_model, feature_model = build_judge_networks(config, audio_config, mean, variance)
    steps_per_epoch = audio.shape[0] // config.batch_size
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=steps_per_epoch * config.epochs
    )
    feature_model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    bar = None
    if progress:
        from ..progress import progress_bar

        bar = progress_bar(config.epochs, f"training the {label}", unit="epoch")
    try:
        for _ in range(config.epochs):
            order = rng.permutation(audio.shape[0])[: steps_per_epoch * config.batch_size]
            batch = augment(features[order], order)
            history = feature_model.fit(
                batch, labels[order], batch_size=config.batch_size, epochs=1, shuffle=False,
                verbose=0,
            )
            if bar is not None:
                # on augmented clips: below the test accuracy early on
                bar.set_postfix(train_accuracy=f"{history.history['accuracy'][-1]:.3f}")
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
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
        progress: a progress bar over each network's epochs.

    Returns:
        The :class:`Judge`; ``info`` holds ``official_test_accuracy``,
        ``held_out_speaker`` and ``held_out_speaker_accuracy`` (None when skipped),
        ``train_seconds``, ``data_digest`` and clip counts.
    """
    config = JudgeConfig() if config is None else config
    train, test = dataset.official_split()
    model, seconds = fit_judge(train, config, progress, "judge")
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
        speaker_model, speaker_seconds = fit_judge(
            others, config, progress, f"judge without {config.held_out_speaker}"
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
