"""Training the SEGAN enhancer with the kit's trainer: steps, checkpoints, resume, L1-only.

The models are tiny (256-sample windows, 3 encoder layers of 4-8 channels) and the data
synthetic (tones in white noise), so the file runs in well under a minute on a 2-core CPU.
Tests marked ``backend`` also run under ``KERAS_BACKEND=jax`` (``make test-jax``).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from keras import ops

from audiogan_kit import enhance, losses, models, training
from audiogan_kit.config import AudioConfig
from conftest import numpy_values

SAMPLES = 256
TINY = training.EnhancerTrainConfig(
    model=models.EnhancerConfig(num_samples=SAMPLES, encoder_channels=(4, 8, 8), kernel_size=5),
    audio=AudioConfig(num_samples=SAMPLES),
    batch_size=4,
    num_steps=4,
    checkpoint_every=2,
    keep_checkpoints=2,
    sample_every=2,
    log_every=1,
    num_eval_samples=2,
    g_learning_rate=1e-3,
    d_learning_rate=1e-3,
    spectral_weight=1.0,
    spectral_fft_sizes=(32, 64),
)


def _pairs(rng=None, n: int = 12):
    """Tones of different pitch (clean) and the same plus white noise (noisy): [n, 256]."""
    t = np.arange(SAMPLES) / 8000
    clean = 0.5 * np.sin(2 * np.pi * (200 + 50 * np.arange(n))[:, None] * t[None, :])
    rng = np.random.default_rng(0) if rng is None else rng
    noisy = clean + 0.1 * rng.standard_normal(clean.shape)
    return noisy.astype(np.float32), clean.astype(np.float32)


def _changed(before, after) -> int:
    return sum(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_l1_loss_matches_a_hand_computed_value():
    clean = np.zeros((2, 4, 1), np.float32)
    enhanced = np.array([[[0.5], [-0.5], [0.0], [1.0]], [[0.0], [0.0], [0.0], [0.0]]], np.float32)
    # mean |e - c| over 8 samples = (0.5 + 0.5 + 1.0) / 8 = 0.25; times 100.
    assert float(ops.convert_to_numpy(losses.l1_loss(clean, enhanced))) == pytest.approx(25.0)
    assert float(ops.convert_to_numpy(losses.l1_loss(clean, enhanced, weight=2.0))) == 0.5


def test_spectral_loss_is_zero_for_a_match_and_the_log_gain_for_a_scaled_clip(rng):
    audio = AudioConfig(num_samples=SAMPLES)
    clean = _pairs(rng)[0][..., None]  # tones in white noise: no bin near the 1e-3 floor
    def loss(enhanced, fft_sizes=(32, 64), **kwargs):
        value = losses.spectral_loss(clean, enhanced, audio, fft_sizes, **kwargs)
        return float(ops.convert_to_numpy(value))

    assert loss(clean) == pytest.approx(0.0, abs=1e-6)
    # Halving the amplitude lowers every log-magnitude by log 2 (less a little for the floor).
    assert loss(0.5 * clean) == pytest.approx(np.log(2.0), rel=0.02)
    assert loss(0.5 * clean, fft_sizes=(64,), weight=3.0) == pytest.approx(
        3.0 * np.log(2.0), rel=0.02
    )
    # Silence where the clean clip has sound costs far more than the same waveform L1 error
    # spread as a faint hiss: the term weighs quiet bins like loud ones.
    muted = clean * (np.arange(SAMPLES) < SAMPLES // 2)[None, :, None]
    assert loss(muted) > 2.0
    with pytest.raises(ValueError, match=r"\(128, 512\).*\(256 samples\)"):
        loss(clean, fft_sizes=(128, 512))


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory):
    """A 4-step run of TINY on _pairs(): (trainer, its folder, G and D weights before)."""
    folder = tmp_path_factory.mktemp("whole")
    trainer = training.make_enhancer_trainer(TINY, _pairs(), folder, log=lambda _: None)
    g_before = numpy_values(trainer.gan.generator.trainable_variables)
    d_before = numpy_values(trainer.gan.discriminator.trainable_variables)
    trainer.run()
    return trainer, folder, g_before, d_before


@pytest.mark.backend
def test_a_few_steps_change_both_networks_and_write_a_checkpoint(whole_run):
    trainer, tmp_path, g_before, d_before = whole_run
    history = trainer.history
    g_after = numpy_values(trainer.gan.generator.trainable_variables)
    assert _changed(g_before, g_after) == len(g_before)
    d_after = numpy_values(trainer.gan.discriminator.trainable_variables)
    assert _changed(d_before, d_after) == len(d_before)
    assert [row["step"] for row in history] == [1, 2, 3, 4]
    for row in history:
        terms = row["g_adversarial"] + row["l1"] + row["spectral"]
        assert row["g_loss"] == pytest.approx(terms, rel=1e-5)
        assert row["d_loss"] > 0 and row["l1"] > 0 and row["spectral"] > 0
    paths = training.checkpoint_paths(tmp_path)
    assert [p.name for p in paths] == ["ckpt-00000002.npz", "ckpt-00000004.npz"]
    with np.load(paths[-1]) as content:
        meta = json.loads(content["meta"].tobytes())
    assert meta["step"] == 4
    assert meta["config"] == json.loads(json.dumps(TINY.to_dict()))
    assert training.EnhancerTrainConfig.from_dict(meta["config"]) == TINY
    assert training.EnhancerTrainConfig.load(tmp_path / "config.json") == TINY
    # Evaluation samples: the fixed noisy clips, enhanced, at steps 2 and 4.
    with np.load(tmp_path / "samples" / "step-00000004.npz") as samples:
        assert samples["examples"].shape == (2, SAMPLES, 1)
        assert samples["audio"].shape == (2, SAMPLES)
    made, audio = trainer.samples()
    np.testing.assert_allclose(audio, made[..., 0], atol=1e-6)
    # The run's generator is what load_enhancer_run returns.
    generator = training.load_enhancer_run(tmp_path, log=lambda _: None)
    trained = numpy_values(trainer.gan.generator.weights)
    for a, b in zip(numpy_values(generator.weights), trained, strict=True):
        np.testing.assert_array_equal(a, b)


def test_resume_continues_with_the_same_losses_as_an_uninterrupted_run(whole_run, tmp_path):
    config, data, whole = TINY, _pairs(), whole_run[0].history
    messages: list[str] = []
    training.train_enhancer(
        dataclasses.replace(config, num_steps=2), data, tmp_path / "split", log=messages.append
    )
    resumed = training.train_enhancer(config, data, tmp_path / "split", log=messages.append)
    assert resumed.step == 4
    assert any("resuming" in m and "step 2" in m for m in messages)
    assert [r["step"] for r in resumed.history] == [1, 2, 3, 4]
    for key in ("d_loss", "g_loss", "l1", "d_real", "d_fake"):
        np.testing.assert_allclose(
            [r[key] for r in resumed.history], [r[key] for r in whole], rtol=1e-5, err_msg=key
        )
    with pytest.raises(ValueError, match="another config"):
        training.make_enhancer_trainer(
            dataclasses.replace(config, l1_weight=10.0), data, tmp_path / "split"
        )


@pytest.mark.backend
def test_l1_only_never_updates_the_discriminator(tmp_path, rng):
    config = dataclasses.replace(TINY, adversarial_weight=0.0, sample_every=0)
    assert config.l1_only
    trainer = training.make_enhancer_trainer(config, _pairs(rng), tmp_path, log=lambda _: None)
    d_before = numpy_values(trainer.gan.discriminator.variables)
    d_optimizer_before = numpy_values(trainer.gan.d_optimizer.variables)
    g_before = numpy_values(trainer.gan.generator.trainable_variables)
    history = trainer.run()
    assert _changed(d_before, numpy_values(trainer.gan.discriminator.variables)) == 0
    assert _changed(d_optimizer_before, numpy_values(trainer.gan.d_optimizer.variables)) == 0
    g_after = numpy_values(trainer.gan.generator.trainable_variables)
    assert _changed(g_before, g_after) == len(g_before)
    for row in history:
        assert row["d_loss"] == 0.0 and row["g_adversarial"] == 0.0
        assert row["g_loss"] == pytest.approx(row["l1"] + row["spectral"], rel=1e-6)


def test_the_trainer_checks_its_data_and_config(tmp_path, rng):
    noisy, clean = _pairs(rng)
    with pytest.raises(ValueError, match="windows of 256"):
        training.make_enhancer_trainer(TINY, (noisy[:, :128], clean[:, :128]), tmp_path / "a")
    with pytest.raises(ValueError, match="fewer than batch_size"):
        training.make_enhancer_trainer(TINY, (noisy[:2], clean[:2]), tmp_path / "b")
    with pytest.raises(ValueError, match="NoisyDataset"):
        training.make_enhancer_trainer(TINY, noisy, tmp_path / "c")
    with pytest.raises(ValueError, match="nothing to train"):
        dataclasses.replace(TINY, adversarial_weight=0.0, l1_weight=0.0, spectral_weight=0.0)
    with pytest.raises(ValueError, match="spectral_weight must be >= 0"):
        dataclasses.replace(TINY, spectral_weight=-1.0)
    with pytest.raises(ValueError, match=r"spectral_fft_sizes=\(32, 512\).*clip length \(256\)"):
        dataclasses.replace(TINY, spectral_fft_sizes=(32, 512))
    with pytest.raises(ValueError, match="g_learning_rate must be a positive number"):
        dataclasses.replace(TINY, g_learning_rate=float("nan"))
    with pytest.raises(ValueError, match="num_samples=8192"):
        dataclasses.replace(TINY, audio=AudioConfig())
    with pytest.raises(ValueError, match="precision"):
        dataclasses.replace(TINY, precision="float8")
    with pytest.raises(ValueError, match="no config.json"):
        training.load_enhancer_run(tmp_path / "missing")
    quick = training.ENHANCER_TRAIN_PRESETS["quick"]
    assert quick.model == dataclasses.replace(
        models.ENHANCER_PRESETS["segan-cpu"], residual=True, kernel_size=16
    )
    assert (quick.l1_weight, quick.adversarial_weight, quick.spectral_weight) == (100.0, 1.0, 10.0)


def test_scores_tables_and_gains_on_held_out_pairs(rng, capsys):
    """Identity gains 0 over noisy; the clean oracle gains; tables split by SNR and noise."""
    from audiogan_kit import data

    t = np.arange(8192) / 8000
    clean = np.stack([0.5 * np.sin(2 * np.pi * f * t) * (t < 0.6) for f in (300, 500, 700, 900)])
    noisy = np.stack(
        [
            data.mix_at_snr(c, data.make_noise("white", 8192, 8000, rng), snr)
            for c, snr in zip(clean, (0.0, 0.0, 10.0, 10.0), strict=True)
        ]
    )
    test = data.NoisyDataset(
        noisy=noisy.astype(np.float32),
        clean=clean.astype(np.float32),
        snr_db=np.array([0, 0, 10, 10], np.float32),
        noise_type=np.array(["white"] * 4),
        noise_seed=np.zeros(4, np.int64),
        babble_sources=np.array([""] * 4),
        labels=np.zeros(4, np.int64),
        speakers=np.array(["x"] * 4),
        takes=np.zeros(4, np.int64),
        paths=np.array(["p"] * 4),
        config=AudioConfig(),
    )
    scores = enhance.score_enhancers(
        test,
        {"identity": lambda x: x, "oracle": lambda x: test.clean},
        metrics=("si_sdr", "stoi"),
    )
    assert "scoring 4 clips" in capsys.readouterr().err  # the progress bar
    assert set(scores) == {"noisy", "identity", "oracle"}
    assert enhance.mean_gain(scores, "identity", "noisy", "si_sdr") == pytest.approx(0.0)
    assert enhance.mean_gain(scores, "oracle", "noisy", "si_sdr") > 50.0
    rows = enhance.scores_by(scores, test, "snr_db")
    noisy_rows = {row["snr_db"]: row for row in rows if row["method"] == "noisy"}
    assert noisy_rows[0.0]["clips"] == 2
    assert noisy_rows[0.0]["si_sdr"] < noisy_rows[10.0]["si_sdr"] - 5.0
    assert enhance.mean_gain(scores, "oracle", "noisy", "stoi", test.snr_db == 0) > 0.1


def test_the_enhancement_dashboard_trains_in_the_background(tmp_path, rng):
    from audiogan_kit.widgets import EnhancementDashboard

    dashboard = EnhancementDashboard(sample_rate=8000)
    noisy, clean = _pairs(rng)
    dashboard.start(TINY, (noisy, clean), tmp_path, eval_dataset=(noisy[:2], clean[:2]))
    trainer = dashboard.wait(timeout=120)
    assert trainer.step == TINY.num_steps and dashboard.error is None
    assert dashboard.status.value.startswith(f"finished at step {TINY.num_steps}")
    titles = [p.label.value for p in dashboard.samples_box.children[0].players]
    assert titles[1].startswith(f"enhanced at step {TINY.num_steps}")
    assert training.checkpoint_paths(tmp_path)[-1].name == f"ckpt-{TINY.num_steps:08d}.npz"
