"""benchmarks/quality.py: the scoring of one time point and its options (not the timed run).

A tiny conditional dense GAN and a tiny untrained judge on synthetic tones, so that what a
point holds (the EMA generator's scores, the raw generator's beside them, the references it
divides by) is checked in seconds; the metrics themselves are tested in test_metrics.py.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import types

import numpy as np
import pytest

from audiogan_kit import metrics, training
from audiogan_kit.config import AudioConfig
from audiogan_kit.data import AudioDataset
from audiogan_kit.models import ModelConfig
from conftest import REPO, tone

CONFIG = AudioConfig(num_samples=4096)
SAMPLES = CONFIG.num_samples


def _load_quality_benchmark():
    if "quality" in sys.modules:
        return sys.modules["quality"]
    spec = importlib.util.spec_from_file_location("quality", REPO / "benchmarks" / "quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["quality"] = module  # its dataclass looks its module up while being built
    spec.loader.exec_module(module)
    return module


def _split(per_digit: int, seed: int, speakers: tuple[str, ...] = ("ann", "bob")):
    """Tones per digit (300 + 250 * digit Hz), said by two "speakers" an octave apart."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), per_digit)
    who = np.array([speakers[i % len(speakers)] for i in range(len(labels))])
    audio = np.stack(
        [
            tone((300.0 + 250.0 * d) * (1 + (w == speakers[1])), SAMPLES / 8000, 8000, 0.6)
            + 0.01 * rng.standard_normal(SAMPLES).astype(np.float32)
            for d, w in zip(labels, who, strict=True)
        ]
    ).astype(np.float32)
    return AudioDataset(
        audio=audio,
        labels=labels,
        class_names=tuple(str(d) for d in range(10)),
        speakers=who,
        takes=np.arange(len(labels)),
        paths=np.array(
            [f"{d}_{w}_{i}.wav" for i, (d, w) in enumerate(zip(labels, who, strict=True))]
        ),
        lengths=np.full(len(labels), SAMPLES),
        config=CONFIG,
    )


@pytest.fixture(scope="module")
def tiny_run():
    """A tiny conditional dense GAN whose raw weights differ from its EMA copy."""
    model = ModelConfig(
        architecture="dense", num_samples=SAMPLES, latent_dim=8, model_dim=2, num_classes=10,
        label_dim=4,
    )
    config = training.TrainConfig(
        model=model, audio=CONFIG, loss="nonsaturating", n_critic=1, ema_decay=0.99
    )
    gan = training.build_gan(config)
    # Perturb the raw generator: scoring the raw weights instead of the EMA ones shows.
    rng = np.random.default_rng(0)
    for weight in gan.generator.trainable_weights:
        weight.assign(weight.value + 0.5 * rng.standard_normal(weight.shape).astype(np.float32))
    return types.SimpleNamespace(gan=gan, config=config, stats=None)


@pytest.fixture(scope="module")
def sticks():
    quality = _load_quality_benchmark()
    config = metrics.JudgeConfig(filters=(4,), embedding_dim=4, held_out_speaker=None)
    judge = metrics.Judge(metrics.build_judge_model(config, CONFIG), CONFIG, config)
    train, test = _split(4, 1), _split(2, 2)
    reference = metrics.real_reference(judge, train, test, per_class=2, splits=2, draws=2)
    ranges = metrics.speaker_pitch_ranges(train)
    test_pitch = metrics.median_pitch_hz(test.audio, 8000)
    opinions = {"log_mel": judge}
    return quality.Yardsticks(
        judge, opinions, train, test, train, train, reference, ranges, test_pitch
    )


def test_a_point_scores_the_ema_generator_and_the_raw_one_beside_it(tiny_run, sticks):
    quality = _load_quality_benchmark()
    point = quality.score_point(tiny_run, sticks, seed=3, per_class=2, splits=2)
    for key in (
        "judge_accuracy", "per_digit_accuracy", "inception_score", "inception_score_real",
        "frechet_distance", "frechet_distance_real", "diversity_ratio", "memorised_fraction",
        "judge_accuracy_log_mel", "voices",
    ):
        assert key in point and key in point["raw"]
    assert len(point["per_digit_accuracy"]) == 10
    assert point["inception_score_real"] == sticks.reference["inception_score_test"][0]
    assert point["frechet_distance_real"] == sticks.reference["frechet_distance_test_vs_train"]
    # The clips scored are 2 per digit from the EMA generator with seeded noise ...
    audio, labels = quality.generate_per_digit(tiny_run, per_class=2, seed=3)
    np.testing.assert_array_equal(labels, np.repeat(np.arange(10), 2))
    noise = np.random.default_rng(3).standard_normal((20, 8)).astype(np.float32)
    ema = training.examples_to_audio(tiny_run.gan.generate(noise, labels, use_ema=True),
                                     tiny_run.config, None)
    raw = training.examples_to_audio(tiny_run.gan.generate(noise, labels, use_ema=False),
                                     tiny_run.config, None)
    np.testing.assert_allclose(audio, ema, atol=1e-6)
    assert np.abs(ema - raw).max() > 0.05  # the raw weights were perturbed
    # ... and the top-level numbers are those of the EMA clips, "raw" those of the raw ones.
    assert point["frechet_distance"] == pytest.approx(
        quality.score_audio(ema, labels, sticks, 2, 2)["frechet_distance"]
    )
    assert point["raw"]["frechet_distance"] == pytest.approx(
        quality.score_audio(raw, labels, sticks, 2, 2)["frechet_distance"]
    )
    assert point["frechet_distance"] != pytest.approx(point["raw"]["frechet_distance"])


def test_goals_follow_the_minutes_of_the_point():
    quality = _load_quality_benchmark()
    good = {
        "judge_accuracy": 0.99, "inception_score_ratio": 1.0, "frechet_distance_ratio": 1.5,
        "diversity_ratio": 0.95, "memorised_fraction": 0.0,
    }
    assert quality.goals_met({"minutes": 1, **good}) == {}
    assert quality.goals_met({"minutes": 2, **good, "judge_accuracy": 0.94}) == {
        "judge_accuracy": False
    }
    at_five = quality.goals_met({"minutes": 5, **good, "frechet_distance_ratio": 2.5})
    assert at_five["judge_accuracy"] and not at_five["frechet_distance_ratio"]
    assert len(at_five) == 5


def test_the_benchmark_parses_its_options():
    quality = _load_quality_benchmark()
    assert quality.parse_points("1,2,5,10", 10) == [1.0, 2.0, 5.0, 10.0]
    assert quality.parse_points("0.5, 0.25", 0.5) == [0.25, 0.5]
    with pytest.raises(ValueError, match="beyond --minutes"):
        quality.parse_points("1,20", 10)
    with pytest.raises(ValueError, match="positive"):
        quality.parse_points("0,1", 10)
    assert quality.parse_floats("1,0", "--seeds") == [0.0, 1.0]
    config = quality.timed_config(quality.base_config("quick", None), seed=5)
    assert config.seed == 5
    assert config.num_steps >= 10**6  # time, not steps, ends the run
    quick = training.TRAIN_PRESETS["quick"]
    assert dataclasses.replace(config, num_steps=quick.num_steps) == dataclasses.replace(
        quick, seed=5
    )
    with pytest.raises(ValueError, match="--preset must be one of"):
        quality.base_config("huge", None)
