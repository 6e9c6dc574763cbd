"""Shared fixtures: the FSDD copy, a throwaway cache, small synthetic audio."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]

# Never let a test read or write the user's real cache: one fresh cache per test session,
# unless the caller (CI, a benchmark) chose one. Set before the kit is imported anywhere.
os.environ.setdefault("AUDIOGAN_CACHE", tempfile.mkdtemp(prefix="audiogan-test-cache-"))


@pytest.fixture(scope="session")
def fsdd_path() -> Path:
    """The team's FSDD copy (``AUDIOGAN_DATA``, set by the Makefile and .ci/run)."""
    value = os.environ.get("AUDIOGAN_DATA")
    if not value or not (Path(value) / "recordings").is_dir():
        pytest.fail(
            "AUDIOGAN_DATA must point at an FSDD copy with a recordings/ folder "
            f"(got {value!r}); run the tests through `make test`, which sets it."
        )
    return Path(value)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def tone(
    frequency_hz: float, duration_s: float, sample_rate: int, amplitude: float = 0.5
) -> np.ndarray:
    """A float32 sine tone, shape [samples]."""
    t = np.arange(int(round(duration_s * sample_rate))) / sample_rate
    return (amplitude * np.sin(2 * np.pi * frequency_hz * t)).astype(np.float32)


# --- tiny GANs for the training tests (test_training, test_precision, subprocess scripts) ----


def tiny_train_config(architecture: str = "dense", **changes):
    """A TrainConfig small enough for a CPU test: model_dim 4, batch 4, 4,096-sample clips.

    SpecGANs work on 32 frames x 64 mel bands; every model is conditional on 10 digits.
    """
    import dataclasses

    from audiogan_kit import training
    from audiogan_kit.config import AudioConfig
    from audiogan_kit.models import ModelConfig

    models = {
        "dense": ModelConfig(architecture="dense", num_samples=4096, model_dim=4, latent_dim=8),
        "wavegan": ModelConfig(num_samples=4096, model_dim=4, latent_dim=8),
        "specgan": ModelConfig(
            architecture="specgan", num_frames=32, num_bins=64, model_dim=4, latent_dim=8
        ),
        "specgan1d": ModelConfig(
            architecture="specgan1d", num_frames=32, num_bins=64, model_dim=4, latent_dim=8
        ),
        "specgan-lite": ModelConfig(
            architecture="specgan-lite", num_frames=32, num_bins=64, model_dim=2, latent_dim=8
        ),
    }
    model = dataclasses.replace(models[architecture], num_classes=10, label_dim=4)
    values = dict(
        model=model,
        audio=AudioConfig(num_samples=4096),
        spectrogram="mel",
        loss="hinge",
        n_critic=2,
        batch_size=4,
        num_steps=4,
        checkpoint_every=2,
        keep_checkpoints=2,
        sample_every=0,
        log_every=1,
        num_eval_samples=2,
        griffin_lim_iters=2,
        ema_decay=0.9,
    )
    values.update(changes)
    return training.TrainConfig(**values)


TINY_ARCHITECTURES = ("dense", "wavegan", "specgan", "specgan1d", "specgan-lite")


def noise_bursts(rng: np.random.Generator, n: int = 16, num_samples: int = 4096):
    """Noise bursts of different loudness per label: (float32 [n, samples], labels int [n])."""
    labels = np.arange(n) % 10
    audio = rng.standard_normal((n, num_samples)) * (0.05 + 0.05 * labels[:, None])
    return np.clip(audio, -1, 1).astype(np.float32), labels


def numpy_values(variables) -> list[np.ndarray]:
    """Copies of Keras variables' values as NumPy arrays (to compare before and after)."""
    from keras import ops

    return [np.array(ops.convert_to_numpy(v.value)) for v in variables]


# --- widget tests (test_widgets, test_eval_widgets) -------------------------------------------

#: How far a clip read back from a player's wav may be from the clip: ``wav_bytes`` writes
#: ``round(x * 32767)`` and soundfile reads back ``x / 32768``.
PCM_TOLERANCE = 2 / 32768


def decode_wav(wav: bytes) -> tuple[np.ndarray, int]:
    """A player's wav bytes as (float32 [samples], sample rate in Hz)."""
    import io

    import soundfile

    audio, rate = soundfile.read(io.BytesIO(bytes(wav)), dtype="float32")
    return audio, rate


@pytest.fixture
def no_figure_left_open():
    """Fail a test that leaves a matplotlib figure open (apply with ``usefixtures``)."""
    import matplotlib.pyplot as plt

    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a figure was left open"


# --- your own folder of sounds (test_own_data, the notebooks' "train on your own sounds") ----


def make_own_folder(root: Path) -> dict[str, int]:
    """A folder as people have them: mixed formats, rates, channels, depths, long recordings
    and broken files. Returns the counts a loader with 1.024 s windows at 8 kHz must find.

    Good files (10 clips): 5 short ones (16 kHz PCM16 wav, 44.1 kHz stereo 24-bit flac,
    22.05 kHz ogg, 11.025 kHz float wav, 48 kHz stereo wav); a 6 s 8 kHz recording with 3 s
    of near-silence (3 windows kept, 2 dropped); a 3 s 44.1 kHz stereo flac (2 windows).
    Bad files (4, skipped): not audio, empty, truncated, all zeros. Ignored: a text file and
    a hidden file.
    """
    import soundfile

    root.mkdir(parents=True, exist_ok=True)
    short = [
        ("a_16k.wav", 16000, 1, "PCM_16", 0.7),
        ("b_44k_stereo.flac", 44100, 2, "PCM_24", 0.9),
        ("c_22k.ogg", 22050, 1, "VORBIS", 0.6),
        ("d_11k_float.wav", 11025, 1, "FLOAT", 0.8),
        ("e_48k_stereo.wav", 48000, 2, "PCM_16", 1.0),
    ]
    for i, (name, rate, channels, subtype, seconds) in enumerate(short):
        clip = tone(300 + 100 * i, seconds, rate)
        soundfile.write(root / name, np.stack([clip] * channels, axis=1), rate, subtype=subtype)
    rng = np.random.default_rng(0)
    floor = (1e-4 * rng.standard_normal(6 * 8000)).astype(np.float32)  # -80 dB hiss
    talk = floor.copy()
    talk[:8000] += tone(500, 1.0, 8000)
    talk[32000:] += tone(700, 2.0, 8000)
    soundfile.write(root / "long_8k.wav", talk, 8000, subtype="PCM_16")
    music = tone(350, 3.0, 44100)
    soundfile.write(root / "long_44k.flac", np.stack([music, music[::-1]], 1), 44100)
    (root / "broken.wav").write_bytes(b"this is not a wav file at all" * 10)
    (root / "empty.ogg").write_bytes(b"")
    whole = root / "a_16k.wav"
    (root / "truncated.wav").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    soundfile.write(root / "silent.wav", np.zeros(4000, np.float32), 8000)
    (root / "notes.txt").write_text("not audio")
    (root / ".hidden.wav").write_bytes(whole.read_bytes())
    return {"clips": 10, "files": 7, "skipped": 4, "silent_windows": 2}
