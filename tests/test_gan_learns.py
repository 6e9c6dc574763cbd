"""A GAN trained by the kit learns: a toy conditional task that trains in seconds.

Class ``k`` is a sine tone at frequency ``k`` of :data:`FREQUENCIES_HZ` (random phase and
amplitude), 256 samples at 8 kHz. After 2,000 small steps of the kit's trainer (a conditional
dense GAN with a projection discriminator, hinge loss) the dominant frequency of generated
clips must match the asked class for at least 90 % of them. The same run with the
discriminator's real and fake swapped, or with the generator's loss negated, must not: that
is what makes the first assertion one that can fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from audiogan_kit import losses, training
from audiogan_kit.config import AudioConfig
from audiogan_kit.models import ModelConfig

FREQUENCIES_HZ = np.array([500.0, 1000.0, 1500.0, 2000.0])
SAMPLES, RATE = 256, 8000


def _tones(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(float32 [n, 256] tones, labels int [n]): random class, phase and amplitude."""
    labels = rng.integers(0, len(FREQUENCIES_HZ), n)
    t = np.arange(SAMPLES) / RATE
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    amplitude = rng.uniform(0.4, 0.9, (n, 1))
    audio = amplitude * np.sin(2 * np.pi * FREQUENCIES_HZ[labels][:, None] * t + phase)
    return audio.astype(np.float32), labels


def _heard_class(audio: np.ndarray) -> np.ndarray:
    """The class whose frequency is nearest the loudest FFT bin of each clip: int [n]."""
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(SAMPLES), axis=1))
    peak_hz = np.argmax(spectrum, axis=1) * RATE / SAMPLES
    return np.argmin(np.abs(peak_hz[:, None] - FREQUENCIES_HZ[None]), axis=1)


def _config() -> training.TrainConfig:
    model = ModelConfig(
        architecture="dense",
        num_samples=SAMPLES,
        model_dim=32,
        latent_dim=8,
        num_classes=len(FREQUENCIES_HZ),
        label_dim=4,
        conditioning="projection",
    )
    return training.TrainConfig(
        model=model,
        audio=AudioConfig(num_samples=SAMPLES),
        loss="hinge",
        n_critic=1,
        batch_size=32,
        num_steps=2000,
        g_learning_rate=1e-3,
        d_learning_rate=1e-3,
        beta_2=0.99,
        ema_decay=None,
        checkpoint_every=10**6,
        sample_every=0,
        log_every=100,
        num_eval_samples=4,
    )


def _accuracy_after_training(tmp_path) -> float:
    data = _tones(np.random.default_rng(0), 512)
    trainer = training.train(_config(), data, tmp_path, log=lambda _: None)
    asked = np.repeat(np.arange(len(FREQUENCIES_HZ)), 50).astype(np.int32)
    noise = np.random.default_rng(1).standard_normal((asked.size, 8)).astype(np.float32)
    made = trainer.gan.generate(noise, asked, use_ema=False)[..., 0]
    return float(np.mean(_heard_class(made) == asked))


def test_the_toy_data_is_heard_as_its_class():
    audio, labels = _tones(np.random.default_rng(2), 200)
    assert np.array_equal(_heard_class(audio), labels)


def test_a_conditional_gan_learns_to_say_the_asked_tone(tmp_path):
    assert _accuracy_after_training(tmp_path) >= 0.9


@pytest.mark.parametrize("broken", ["real and fake swapped", "generator sign flipped"])
def test_the_same_run_with_a_broken_loss_does_not(tmp_path, monkeypatch, broken):
    d_loss, g_loss = losses.LOSSES["hinge"]
    if broken == "real and fake swapped":
        pair = losses.LossPair(lambda real, fake: d_loss(fake, real), g_loss)
    else:
        pair = losses.LossPair(d_loss, lambda fake: -g_loss(fake))
    monkeypatch.setitem(losses.LOSSES, "hinge", pair)
    assert _accuracy_after_training(tmp_path) < 0.5
