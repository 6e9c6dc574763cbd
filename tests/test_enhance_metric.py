"""The MetricGAN+-style mask enhancer: networks, losses, the learned PESQ, training runs.

Small networks on short windows, so the file runs in well under a minute on a 2-core CPU.
Tests marked ``backend`` also run under ``KERAS_BACKEND=jax`` (``make test-jax``).
"""

from __future__ import annotations

import dataclasses
import json

import keras
import numpy as np
import pytest
from keras import ops

from audiogan_kit import data, metrics, models, training
from audiogan_kit.config import AudioConfig
from audiogan_kit.data import load_fsdd
from audiogan_kit.layers import stft_magnitudes
from conftest import numpy_values


def _changed(before, after) -> int:
    return sum(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))


TINY = models.MetricEnhancerConfig(
    num_samples=2048, mask_channels=(16,), discriminator_channels=(4, 8), discriminator_dense=8
)


def _tone_pairs(n: int, seed: int, samples: int = 2048, snr_db: float = 5.0):
    """Tones (one of six pitches, random level and phase; clean) in white noise at
    ``snr_db``: [n, samples]. The mask learns per frequency bin, so the held-out pairs share
    the pitches (not the noise, levels or phases) of the training pairs."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / 8000
    pitch = rng.choice([300.0, 500.0, 700.0, 900.0, 1100.0, 1300.0], (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    clean = rng.uniform(0.2, 0.6, (n, 1)) * np.sin(2 * np.pi * pitch * t[None, :] + phase)
    noise = rng.standard_normal(clean.shape)
    gain = np.sqrt(np.mean(clean**2, 1, keepdims=True) / 10 ** (snr_db / 10))
    return (clean + gain * noise).astype(np.float32), clean.astype(np.float32)


@pytest.fixture(scope="module")
def speech_pairs(fsdd_path):
    """FSDD clips (jackson and theo, takes 5-40) in white, pink and babble noise from -5 to
    20 dB, cropped to their first 4,096 samples (0.512 s, where FSDD's words are), and
    their true narrow-band PESQ: (noisy, clean [216, 4096], pesq [216], source clip [216]).
    Three random conditions per clip."""
    fsdd = load_fsdd(fsdd_path, progress=False)
    chosen = np.flatnonzero(
        np.isin(fsdd.speakers, ["jackson", "theo"]) & (fsdd.takes >= 5) & (fsdd.takes < 41)
    )
    chosen = np.sort(np.random.default_rng(0).choice(chosen, 72, replace=False))
    parts = [
        data.make_noisy_dataset(
            fsdd.subset(chosen), snrs=(-5.0, 0.0, 5.0, 10.0, 20.0),
            noise_types=("white", "pink", "babble"), seed=seed, combinations="sample",
            babble_pool=fsdd.subset(fsdd.speakers == "lucas"),
        )
        for seed in (1, 2, 3)
    ]
    noisy = np.concatenate([p.noisy[:, :4096] for p in parts])
    clean = np.concatenate([p.clean[:, :4096] for p in parts])
    scores = metrics.speech_scores(clean, noisy, metrics=("pesq",), reduce=False)
    return noisy, clean, scores["pesq"], np.tile(np.arange(72), 3)


@pytest.mark.backend
def test_the_mask_generator_starts_as_the_identity_and_the_mask_is_bounded(tmp_path):
    generator = models.build_mask_generator(TINY)
    discriminator = models.build_metric_discriminator(TINY)
    assert generator.output_shape == (None, 2048, 1)
    assert discriminator.input_shape == [(None, 17, 129), (None, 17, 129)]
    assert discriminator.output_shape == (None, 1)
    noisy = _tone_pairs(3, 0)[0][..., None]
    out = ops.convert_to_numpy(generator(noisy))
    np.testing.assert_allclose(out, noisy, atol=1e-5)
    # A random last layer: the mask stays in (0, 1.2), so no bin grows by more than 20 %.
    mask_model = keras.Model(generator.input, generator.get_layer("mask").output)
    last = generator.get_layer("mask_logits")
    rng = np.random.default_rng(1)
    last.set_weights([3.0 * rng.standard_normal(w.shape) for w in last.get_weights()])
    mask = ops.convert_to_numpy(mask_model(noisy))
    assert mask.shape == (3, 17, 129) and 0 <= mask.min() < 0.05 and 1.15 < mask.max() <= 1.2
    # The .keras file loads with safe_mode and gives the same output.
    path = models.save_model(generator, tmp_path / "mask.keras")
    np.testing.assert_allclose(
        ops.convert_to_numpy(models.load_model(path)(noisy)),
        ops.convert_to_numpy(generator(noisy)),
        atol=1e-5,
    )


def test_metric_losses_match_hand_computed_values():
    predicted = np.array([[0.5], [0.2], [0.9]], np.float32)
    target = np.array([1.0, 0.0, 0.3], np.float32)
    known = np.array([1.0, 1.0, 0.0], np.float32)
    # (0.25 + 0.04) / 2 clips with a target; the unknown third is left out.
    value = training.metric_discriminator_loss(predicted, target, known)
    assert float(ops.convert_to_numpy(value)) == pytest.approx(0.145)
    value = training.metric_generator_loss(np.array([0.5, 1.0], np.float32), weight=2.0)
    assert float(ops.convert_to_numpy(value)) == pytest.approx(0.25)  # 2 * (0.25 + 0) / 2
    assert models.normalised_pesq([1.0, 4.55, 2.775, 0.5]).tolist() == [0.0, 1.0, 0.5, 0.0]


def test_the_metric_discriminator_learns_to_predict_pesq(speech_pairs):
    noisy, clean, pesq, source = speech_pairs
    known = np.isfinite(pesq)
    assert known.sum() >= 180 and np.nanmax(pesq) - np.nanmin(pesq) > 1.5
    config = models.MetricEnhancerConfig(num_samples=4096, discriminator_channels=(8, 16))
    keras.utils.set_random_seed(0)
    discriminator = models.build_metric_discriminator(config)
    discriminator.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    inputs = [
        ops.convert_to_numpy(stft_magnitudes(x, config.n_fft, config.hop_length))
        for x in (noisy[known], clean[known])
    ]
    target = models.normalised_pesq(pesq[known]).astype(np.float32)
    # Fitted on 52 clips' pairs, judged on pairs of the 20 other clips.
    fit, held_out = source[known] < 52, source[known] >= 52

    def correlation():
        predicted = ops.convert_to_numpy(discriminator([x[held_out] for x in inputs]))[:, 0]
        return np.corrcoef(predicted, target[held_out])[0, 1]

    # Untrained, the random features of log magnitudes already follow PESQ somewhat
    # (0.49 with this seed): louder noise, lower score.
    untrained = correlation()
    discriminator.fit(
        [x[fit] for x in inputs], target[fit], batch_size=16, epochs=25, verbose=0
    )
    trained = correlation()  # 0.71 with this seed
    assert trained > 0.65 and trained > untrained + 0.15, (untrained, trained)


def test_the_mask_enhancer_raises_si_sdr_on_held_out_pairs(tmp_path):
    config = training.MetricEnhancerTrainConfig(
        model=dataclasses.replace(TINY, mask_channels=(64,)), audio=AudioConfig(num_samples=2048),
        adversarial_weight=0.0, magnitude_weight=1.0, batch_size=8, num_steps=100,
        g_learning_rate=1e-3, checkpoint_every=100, sample_every=0, log_every=20,
        num_eval_samples=2,
    )
    trainer = training.train_enhancer(config, _tone_pairs(48, 0), tmp_path, log=lambda _: None)
    noisy, clean = _tone_pairs(16, 1)
    enhanced = trainer.gan.enhance(noisy)
    before = np.mean([metrics.si_sdr(c, x) for c, x in zip(clean, noisy, strict=True)])
    after = np.mean([metrics.si_sdr(c, y) for c, y in zip(clean, enhanced, strict=True)])
    assert after > before + 3.0, (before, after)
    assert trainer.history[-1]["magnitude"] < trainer.history[0]["magnitude"]
    assert all(row["d_loss"] == 0.0 for row in trainer.history)


def test_metric_gan_steps_score_with_pesq_after_a_warm_up(speech_pairs, tmp_path):
    noisy, clean, pesq, _ = speech_pairs
    usable = np.flatnonzero(np.isfinite(pesq))[:8]
    config = training.MetricEnhancerTrainConfig(
        model=dataclasses.replace(TINY, num_samples=4096), audio=AudioConfig(num_samples=4096),
        batch_size=4, num_steps=3, discriminator_warmup=1, checkpoint_every=3,
        sample_every=0, log_every=1, num_eval_samples=2,
    )
    folder = tmp_path / "run"
    pairs = (noisy[usable], clean[usable])
    trainer = training.make_enhancer_trainer(config, pairs, folder, log=lambda _: None)
    gan = trainer.gan
    # The targets of step 0 are the true normalised PESQ of what the generator makes now.
    batch = trainer.batches(0)
    assert [np.shape(b) for b in batch] == [(4, 4096, 1)] * 3 + [(4,)] * 5
    expected = [
        float(models.normalised_pesq(metrics.pesq_nb(c[:, 0], e[:, 0])))
        for c, e in zip(batch[1], gan.enhance(batch[0]), strict=True)
    ]
    np.testing.assert_allclose(batch[3], expected, atol=1e-6)
    assert batch[7].tolist() == [0.0] * 4 and trainer.batches(1)[7].tolist() == [1.0] * 4
    g_start = numpy_values(gan.generator.trainable_variables)
    d_start = numpy_values(gan.discriminator.trainable_variables)
    after = []

    class Weights(training.TrainCallback):
        def on_step_end(self, trainer, step, logs):
            after.append([numpy_values(m.trainable_variables)
                          for m in (trainer.gan.generator, trainer.gan.discriminator)])

    trainer.callbacks.append(Weights())
    history = trainer.run()
    (g1, d1), (g2, _), _ = after
    # Step 1, the warm-up, moved only the discriminator; step 2 moved the generator too.
    assert _changed(g_start, g1) == 0 and _changed(d_start, d1) == len(d_start)
    assert _changed(g1, g2) > 0
    assert [row["step"] for row in history] == [1, 2, 3]
    for row in history:
        assert row["d_loss"] > 0 and 0 < row["pesq_noisy"] <= 1 and row["magnitude"] == 0
        assert row["g_loss"] == pytest.approx(row["g_adversarial"], rel=1e-5)
    # The run folder: config and checkpoint round-trip; load_enhancer_run finds the mask
    # generator (the run's config says which kind of enhancer it is).
    assert training.MetricEnhancerTrainConfig.load(folder / "config.json") == config
    with np.load(training.checkpoint_paths(folder)[-1]) as content:
        meta = json.loads(content["meta"].tobytes())
    assert meta["step"] == 3
    assert training.MetricEnhancerTrainConfig.from_dict(meta["config"]) == config
    generator = training.load_enhancer_run(folder, log=lambda _: None)
    assert generator.name == "mask_generator"
    for a, b in zip(numpy_values(generator.weights), numpy_values(gan.generator.weights),
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_metric_enhancer_configs_round_trip_and_refuse_bad_values():
    for name, config in training.METRIC_ENHANCER_TRAIN_PRESETS.items():
        assert training.MetricEnhancerTrainConfig.from_dict(config.to_dict()) == config, name
    quick = training.METRIC_ENHANCER_TRAIN_PRESETS["quick"]
    twin = training.METRIC_ENHANCER_TRAIN_PRESETS["quick-no-adversarial"]
    assert (quick.adversarial_weight, quick.magnitude_weight) == (1.0, 1.0)
    assert not quick.l1_only and twin.l1_only
    # The twin differs only in the adversarial term (and the warm-up it needs).
    assert dataclasses.replace(quick, adversarial_weight=0.0, discriminator_warmup=0) == twin
    with pytest.raises(ValueError, match="not both 0"):
        dataclasses.replace(twin, magnitude_weight=0.0)
    with pytest.raises(ValueError, match=r"discriminator_warmup must be in 0..num_steps - 1 = 299"):
        dataclasses.replace(quick, discriminator_warmup=300)
    with pytest.raises(ValueError, match="windows of 8192 samples.*num_samples=4096"):
        dataclasses.replace(quick, audio=AudioConfig(num_samples=4096))
    with pytest.raises(ValueError, match="hop_length must be in 1..n_fft/2 = 128"):
        models.MetricEnhancerConfig(hop_length=200)
    with pytest.raises(ValueError, match="mask_beta must be >= 1"):
        models.MetricEnhancerConfig(mask_beta=0.5)
    with pytest.raises(ValueError, match="MetricEnhancerTrainConfig"):
        training.make_enhancer_trainer(training.TrainConfig(), _tone_pairs(8, 0), "unused")
