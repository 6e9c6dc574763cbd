"""training.diagnose and metrics.artefacts: each finding fires on a run that shows its failure
and stays quiet on a healthy one; one real tiny run whose failure the diagnosis names."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from audiogan_kit import metrics, training
from audiogan_kit.metrics import OutputChecks

RATE = 8000


def rows(num=40, every=10, **columns):
    """History rows at steps every, 2 every, ...; a column is a constant or f(i) -> value.

    Defaults: a healthy non-saturating game (d_loss near 1.2 nats with noise, D(x) about
    0.62, D(G(z)) about 0.40, steady gradient norms)."""
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, (num, 8))
    defaults = {
        "d_loss": lambda i: 1.2 + 0.08 * noise[i, 0],
        "g_loss": lambda i: 1.0 + 0.1 * noise[i, 1],
        "penalty": 0.0,
        "d_real": lambda i: 0.5 + 0.2 * noise[i, 2],
        "d_fake": lambda i: -0.4 + 0.2 * noise[i, 3],
        "d_grad_norm": lambda i: 8.0 + noise[i, 4],
        "g_grad_norm": lambda i: 12.0 + noise[i, 5],
    }
    defaults.update(columns)
    out = []
    for i in range(num):
        row = {"step": (i + 1) * every}
        for key, value in defaults.items():
            row[key] = float(value(i) if callable(value) else value)
        out.append(row)
    return out


def late(value, before, start=30):
    """A column that is ``before`` until row ``start``, then ``value``."""
    return lambda i: (value(i) if callable(value) else value) if i >= start else (
        before(i) if callable(before) else before
    )


def names(findings):
    return [f.name for f in findings]


HEALTHY_OUTPUTS = OutputChecks(
    silent_fraction=0.0, clipped_fraction=0.0, tones_db={2000.0: 2.5}, spread_ratio=0.95,
    clips=40,
)


# --- the history findings -------------------------------------------------------------------


def test_a_healthy_game_is_healthy_with_its_numbers():
    found = training.diagnose(rows(), "nonsaturating", HEALTHY_OUTPUTS)
    assert names(found) == ["healthy"]
    values = found[0].values
    assert values["d_loss"] == pytest.approx(1.2, abs=0.1)
    assert values["D_real"] == pytest.approx(1 / (1 + math.exp(-0.5)), abs=0.05)
    assert values["D_fake"] == pytest.approx(1 / (1 + math.exp(0.4)), abs=0.05)
    assert "log 4 = 1.39" in found[0].message
    assert training.CHANCE_D_LOSS == pytest.approx(1.3863, abs=1e-4)


def test_discriminator_wins_when_its_adversarial_loss_is_near_zero():
    history = rows(d_loss=late(0.02, 1.2), d_real=late(9.0, 0.5), d_fake=late(-12.0, -0.4))
    found = training.diagnose(history, "nonsaturating")
    assert names(found) == ["discriminator wins"]
    assert found[0].values["d_loss"] == pytest.approx(0.02)
    assert found[0].values["steps"] == 100  # the last quarter: rows at steps 310..400
    assert found[0].values["D_fake"] == pytest.approx(1 / (1 + math.exp(12.0)))
    assert "0.020 over the last 100 steps" in found[0].message


def test_the_classifier_term_is_not_counted_as_discriminator_loss():
    # d_loss 0.40 of which 0.38 is the auxiliary classifier's: the adversarial part is 0.02.
    history = rows(d_loss=late(0.40, 1.5), aux_real=late(0.38, 0.3), aux_fake=0.3)
    assert names(training.diagnose(history, "nonsaturating")) == ["discriminator wins"]
    # ... and a d_loss of 1.5 with 0.3 of classifier loss is a healthy 1.2
    healthy = rows(d_loss=1.5, aux_real=0.3, aux_fake=0.3)
    found = training.diagnose(healthy, "nonsaturating")
    assert names(found) == ["healthy"] and found[0].values["d_loss"] == pytest.approx(1.2)


def test_a_wasserstein_critic_never_wins():
    history = rows(d_loss=-3.0)  # a critic loss has no floor: negative is normal
    assert names(training.diagnose(history, "wgan-gp")) == ["healthy"]


def test_minimax_saturation_from_the_generator_loss():
    # E[log(1 - D(G(z)))] = -0.01: D(G(z)) = 1 - e^-0.01, about 0.00995
    history = rows(g_loss=late(-0.01, -0.5))
    found = training.diagnose(history, "minimax")
    assert names(found) == ["saturation"]
    assert found[0].values["D_fake"] == pytest.approx(1 - math.exp(-0.01), rel=1e-6)
    # the same generator loss under the non-saturating loss means D is fooled, not saturated
    assert "saturation" not in names(training.diagnose(rows(g_loss=0.01), "nonsaturating"))
    # a minimax game whose generator still gets a signal
    assert names(training.diagnose(rows(g_loss=-0.5), "minimax")) == ["healthy"]


def test_saturation_from_a_vanished_generator_gradient():
    history = rows(g_grad_norm=late(0.05, 12.0))
    found = training.diagnose(history, "hinge")
    assert names(found) == ["saturation"]
    assert found[0].values["g_grad_norm"] == pytest.approx(0.05)
    assert found[0].values["peak"] == pytest.approx(max(r["g_grad_norm"] for r in history))


def test_a_stalled_game_where_nothing_moves():
    history = rows(
        d_loss=lambda i: 1.3863 + 1e-4 * i, g_loss=lambda i: 0.6931 - 1e-4 * i,
        d_real=0.03, d_fake=0.01,
    )
    found = training.diagnose(history, "nonsaturating")
    assert names(found) == ["stalled"]
    assert found[0].values["moved"] == pytest.approx(9e-4, abs=1e-6)  # rows 30..39
    assert found[0].values["logit_gap"] == pytest.approx(0.02)
    # a discriminator that won is flat too, but it is not a stall
    won = rows(d_loss=0.001, g_loss=15.0, d_real=10.0, d_fake=-12.0)
    assert names(training.diagnose(won, "nonsaturating")) == ["discriminator wins"]


def test_a_non_finite_row_is_a_divergence_and_nothing_else():
    history = rows(d_loss=late(float("nan"), 1.2, start=35))
    found = training.diagnose(history, "nonsaturating", HEALTHY_OUTPUTS)
    assert names(found) == ["diverging"]
    assert found[0].values["step"] == 360 and "d_loss is nan at step 360" in found[0].message


def test_an_exploding_gradient_is_a_divergence():
    history = rows(d_grad_norm=late(5e3, 8.0, start=38))
    found = training.diagnose(history, "nonsaturating")
    assert names(found)[0] == "diverging"
    assert found[0].values["factor"] == pytest.approx(5e3 / 8.0, rel=0.2)


def test_the_window_and_its_errors():
    history = rows(d_loss=late(0.02, 1.2, start=38))  # D wins in the last 20 steps only
    assert names(training.diagnose(history, "nonsaturating", window=20)) == ["discriminator wins"]
    assert names(training.diagnose(history, "nonsaturating", window=200)) == ["healthy"]
    with pytest.raises(ValueError, match="no rows"):
        training.diagnose([], "nonsaturating")
    with pytest.raises(ValueError, match="missing"):
        training.diagnose(history, thresholds={"d_wins_loss": 0.1})


# --- the output findings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "name", "number"),
    [
        ({"spread_ratio": 0.03}, "collapse", "0.03 as far apart"),
        ({"silent_fraction": 0.9}, "silent output", "90% of the 40 clips"),
        ({"clipped_fraction": 0.25}, "clipped output", "25.0% of the samples"),
        ({"tones_db": {500.0: 4.0, 2000.0: 27.0}}, "checkerboard tones", "2000 Hz stands 27.0 dB"),
    ],
)
def test_each_output_finding(change, name, number):
    outputs = dataclasses.replace(HEALTHY_OUTPUTS, **change)
    found = training.diagnose(rows(), "nonsaturating", outputs)
    assert names(found) == [name]
    assert number in found[0].message


# --- the measurements -----------------------------------------------------------------------


def test_level_fractions():
    t = np.arange(8192) / RATE
    quiet = 10 ** (-60 / 20) * np.sqrt(2) * np.sin(2 * np.pi * 440 * t)  # -60 dBFS RMS
    loud = np.clip(3 * np.sin(2 * np.pi * 440 * t), -1, 1)
    normal = 0.5 * np.sin(2 * np.pi * 440 * t)
    clips = np.stack([quiet, quiet, quiet, normal]).astype(np.float32)
    assert metrics.silent_fraction(clips) == 0.75
    assert metrics.clipped_fraction(normal[None]) == 0.0
    # 3 sin(x) is at full scale where |sin x| >= 1/3: 1 - (2/pi) arcsin(1/3) of the time
    expected = 1 - 2 / np.pi * np.arcsin(metrics.CLIP_LEVEL / 3)
    assert metrics.clipped_fraction(loud[None]) == pytest.approx(expected, abs=0.01)


def test_a_tone_on_noise_stands_out_and_noise_alone_does_not():
    rng = np.random.default_rng(0)
    t = np.arange(8192) / RATE
    noise = 0.1 * rng.normal(size=(8, 8192))
    toned = noise + 0.05 * np.sin(2 * np.pi * 2000 * t)
    assert metrics.tone_prominence_db(toned, RATE, 2000) > 20
    assert abs(metrics.tone_prominence_db(noise, RATE, 2000)) < 6
    with pytest.raises(ValueError, match="frequency_hz"):
        metrics.tone_prominence_db(noise, RATE, 5000)
    assert metrics.upsampling_tones(RATE, 4, 2) == [500.0 * m for m in range(1, 8)]


def test_spread_ratio_of_copies_is_zero_and_of_the_data_itself_one():
    rng = np.random.default_rng(1)
    t = np.arange(8192) / RATE
    labels = np.repeat([0, 1], 4)
    real = np.stack([
        0.3 * np.sin(2 * np.pi * rng.uniform(200, 3000) * t) * (t < rng.uniform(0.2, 1.0))
        for _ in labels
    ]).astype(np.float32)
    copies = np.repeat(real[[0, 4]], 4, axis=0)  # one clip per digit, four times
    assert metrics.spread_ratio(copies, labels, real, labels) == pytest.approx(0.0, abs=1e-3)
    assert metrics.spread_ratio(real, labels, real, labels) == pytest.approx(1.0)
    checks = metrics.check_outputs(copies, RATE, labels, real, labels, tone_frequencies=[2000])
    assert checks.spread_ratio == pytest.approx(0.0, abs=1e-3) and checks.clips == 8
    assert names(training.diagnose(rows(), "nonsaturating", checks)) == ["collapse"]


# --- a real run -----------------------------------------------------------------------------


def test_a_real_run_whose_discriminator_wins_is_named(fsdd_path, tmp_path):
    """A generator 100x slower than its discriminator: within 40 steps D separates every
    clip, and the diagnosis says so from the trainer's own history."""
    from audiogan_kit import data

    config = training.TRAIN_PRESETS["quick"]
    config = dataclasses.replace(
        config,
        model=dataclasses.replace(config.model, model_dim=8),
        g_learning_rate=1e-5, d_learning_rate=3e-3, num_steps=40, log_every=4,
        checkpoint_every=40, sample_every=0, griffin_lim_iters=1, num_eval_samples=2,
    )
    dataset = data.load_fsdd(fsdd_path, config.audio, split="train", progress=False)
    dataset = dataset.subset(dataset.takes < 7)
    trainer = training.train(config, dataset, tmp_path / "run", log=lambda _: None)
    found = training.diagnose(trainer.history, config.loss)
    assert names(found) == ["discriminator wins"], training.format_findings(found)
    assert found[0].values["d_loss"] < 0.1
    # examine_run: two clips of every digit from the checkpoint, checked against real ones
    real = data.load_fsdd(fsdd_path, split="test", progress=False)
    run = training.RunGenerator.from_trainer(trainer)
    result = training.examine_run(run, real, per_class=2, digits=[4, 7], log=lambda _: None)
    assert result.step == 40 and result.audio.shape == (4, config.audio.num_samples)
    assert list(result.labels) == [4, 4, 7, 7]
    assert result.real.shape == result.audio.shape and result.outputs.clips == 4
    assert result.names[0] == "discriminator wins" and result.judge_accuracy is None
