"""Tests for audiogan_kit.enhance (baselines, enhance()) and SEGAN's networks (models.segan).

The baselines must raise SNR / SI-SDR on noisy speech and on a noisy tone; the models are
checked at a tiny size (shapes, gradients to every weight, save/load); enhance() is checked
with an identity "generator", which must give the input back for any clip length, hop and
sample rate, which proves the windowing and the cross-fade.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from audiogan_kit import data, enhance, losses, metrics, models
from audiogan_kit.backend import value_and_gradients
from audiogan_kit.data import load_fsdd
from audiogan_kit.layers import LatentNoise
from conftest import tone

TINY = models.EnhancerConfig(num_samples=256, encoder_channels=(4, 8, 8), kernel_size=5)


@pytest.fixture(scope="module")
def noisy_speech(fsdd_path):
    """Three FSDD clips with white noise at 5 dB: (clean, noisy) float32 [3, 8192]."""
    fsdd = load_fsdd(fsdd_path, progress=False)
    index = np.flatnonzero((fsdd.speakers == "theo") & (fsdd.takes == 7))[:3]
    noisy = data.make_noisy_dataset(
        fsdd.subset(index), snrs=(5,), noise_types=("white",), seed=0
    )
    return noisy.clean, noisy.noisy


@pytest.mark.parametrize("name", sorted(enhance.BASELINES))
def test_baselines_improve_noisy_speech_at_5_db(noisy_speech, name):
    clean, noisy = noisy_speech
    enhanced = enhance.BASELINES[name](noisy, 8000)
    assert enhanced.shape == noisy.shape and enhanced.dtype == np.float32
    for c, x, y in zip(clean, noisy, enhanced, strict=True):
        assert metrics.si_sdr(c, y) > metrics.si_sdr(c, x) + 3.0
        assert metrics.segmental_snr(c, y) > metrics.segmental_snr(c, x) + 2.0
    # One clip at a time gives the same as the batch.
    np.testing.assert_allclose(enhance.BASELINES[name](noisy[1], 8000), enhanced[1], atol=1e-6)


@pytest.mark.parametrize("name", sorted(enhance.BASELINES))
def test_baselines_clean_a_tone_using_a_noise_lead_in(name):
    rng = np.random.default_rng(0)
    clean = np.concatenate([np.zeros(2000, np.float32), tone(440.0, 0.75, 8000)])
    noise = data.make_noise("white", clean.shape[0], 8000, rng)
    noisy = data.mix_at_snr(clean, noise, 5.0, over="all")
    before = data.measure_snr(clean, noisy, over="all")
    enhanced = enhance.BASELINES[name](noisy, 8000, noise_lead_in_s=0.2)
    assert data.measure_snr(clean, enhanced, over="all") > before + 8.0
    with pytest.raises(ValueError, match="lead-in"):
        enhance.BASELINES[name](noisy, 8000, noise_lead_in_s=0.001)


@pytest.mark.backend
def test_generator_and_pair_discriminator_shapes():
    generator = models.build_enhancer_generator(TINY)
    discriminator = models.build_pair_discriminator(TINY)
    assert generator.output_shape == (None, 256, 1)
    assert discriminator.output_shape == (None, 1)
    noisy = np.random.default_rng(0).uniform(-1, 1, (3, 256, 1)).astype(np.float32)
    out = keras.ops.convert_to_numpy(generator(noisy))
    assert out.shape == (3, 256, 1) and np.all(np.abs(out) < 1)
    logits = keras.ops.convert_to_numpy(discriminator([noisy, out]))
    assert logits.shape == (3, 1) and np.all(np.isfinite(logits))
    # Skip connections: every decoder layer but the last is concatenated with an encoder layer.
    names = [layer.name for layer in generator.layers]
    assert [n for n in names if n.endswith("_skip")] == ["dec1_skip", "dec2_skip"]
    assert "latent_z" in names


@pytest.mark.parametrize("upsample", ["nearest", "linear"])
def test_a_resize_decoder_has_the_same_shapes_and_no_transposed_convolution(upsample):
    config = dataclasses.replace(TINY, upsample=upsample, residual=True)
    generator = models.build_enhancer_generator(config)
    assert generator.output_shape == (None, 256, 1)
    kinds = {type(layer).__name__ for layer in generator.layers}
    assert "Conv1DTranspose" not in kinds and "Conv1DTranspose" in {
        type(layer).__name__ for layer in models.build_enhancer_generator(TINY).layers
    }
    # Same weights count as the transposed decoder (a kernel_size convolution per layer).
    assert generator.count_params() == models.build_enhancer_generator(TINY).count_params()
    with pytest.raises(ValueError, match="upsample must be one of"):
        dataclasses.replace(TINY, upsample="cubic")


@pytest.mark.backend
def test_latent_z_is_random_in_training_and_zero_at_inference():
    layer = LatentNoise(3, seed=1)
    x = np.ones((2, 5, 4), np.float32)
    inference = keras.ops.convert_to_numpy(layer(x))
    assert inference.shape == (2, 5, 7) and np.all(inference[..., 4:] == 0)
    a = keras.ops.convert_to_numpy(layer(x, training=True))[..., 4:]
    b = keras.ops.convert_to_numpy(layer(x, training=True))[..., 4:]
    assert not np.allclose(a, b) and 0.5 < a.std() < 1.5
    config = dataclasses.replace(TINY, latent_channels=0)
    names = [layer.name for layer in models.build_enhancer_generator(config).layers]
    assert "latent_z" not in names


@pytest.mark.backend
def test_one_step_gradients_reach_every_weight():
    generator = models.build_enhancer_generator(TINY)
    discriminator = models.build_pair_discriminator(TINY)
    rng = np.random.default_rng(1)
    wave = 0.5 * np.sin(np.arange(256) / 5.0)[None, :, None] * np.ones((2, 1, 1))
    clean = wave.astype(np.float32)
    noisy = clean + 0.2 * rng.standard_normal(clean.shape).astype(np.float32)
    clean, noisy = keras.ops.convert_to_tensor(clean), keras.ops.convert_to_tensor(noisy)

    def generator_loss():
        fake = generator(noisy, training=True)
        adversarial = losses.lsgan_generator_loss(discriminator([noisy, fake], training=True))
        return adversarial + 100.0 * keras.ops.mean(keras.ops.abs(fake - clean))

    def discriminator_loss():
        fake = generator(noisy, training=True)
        return losses.lsgan_discriminator_loss(
            discriminator([noisy, clean], training=True),
            discriminator([noisy, fake], training=True),
        )

    for loss_fn, model in ((generator_loss, generator), (discriminator_loss, discriminator)):
        loss, grads = value_and_gradients(loss_fn, model.trainable_weights)
        assert np.isfinite(float(keras.ops.convert_to_numpy(loss)))
        for weight, grad in zip(model.trainable_weights, grads, strict=True):
            grad = keras.ops.convert_to_numpy(grad)
            assert np.all(np.isfinite(grad)) and np.any(grad != 0), weight.path


@pytest.mark.parametrize(
    ("length", "window", "hop"),
    [(12345, 1024, None), (700, 1024, None), (5000, 512, 128), (4096, 1024, 1024)],
)
def test_enhance_with_an_identity_generator_returns_the_input(length, window, hop):
    audio = np.random.default_rng(2).uniform(-0.9, 0.9, length).astype(np.float32)
    calls = []

    def identity(batch):
        calls.append(batch.shape)
        return batch

    out = enhance.enhance(audio, 8000, identity, window=window, hop=hop, batch_size=4)
    assert out.shape == (length,) and out.dtype == np.float32
    np.testing.assert_allclose(out, audio, atol=1e-5)
    assert all(shape[1:] == (window, 1) and shape[0] <= 4 for shape in calls)


def test_enhance_cross_fades_between_windows():
    # A "generator" that adds a different constant to every window: the output must move
    # smoothly from one constant to the next (Hann cross-fade), never jump.
    offsets = iter(range(1000))

    def step_generator(batch):
        return np.stack([w + 0.1 * next(offsets) for w in batch])

    out = enhance.enhance(np.zeros(8192, np.float32), 8000, step_generator, window=1024)
    assert np.max(np.abs(np.diff(out))) < 0.1 * np.pi / 512 * 1.01
    assert out[-1] > out[0] + 1.0


def test_enhance_resamples_other_rates():
    audio = tone(440.0, 1.3, 16000)
    out = enhance.enhance(audio, 16000, lambda batch: batch, window=2048, model_sample_rate=8000)
    assert out.shape == audio.shape
    middle = slice(200, -200)
    assert np.max(np.abs(out[middle] - audio[middle])) < 0.02
    with pytest.raises(ValueError, match="window="):
        enhance.enhance(audio, 16000, lambda batch: batch)


@pytest.mark.backend
def test_enhance_runs_a_keras_generator_and_save_load_round_trip(tmp_path):
    generator = models.build_enhancer_generator(TINY)
    discriminator = models.build_pair_discriminator(TINY)
    audio = tone(300.0, 0.2, 8000)
    out = enhance.enhance(audio, 8000, generator)
    assert out.shape == audio.shape and np.all(np.isfinite(out))
    path = models.save_model(generator, tmp_path / "generator.keras")
    loaded = models.load_model(path)
    np.testing.assert_allclose(enhance.enhance(audio, 8000, loaded), out, atol=1e-6)
    np.testing.assert_allclose(enhance.enhance(audio, 8000, str(path)), out, atol=1e-6)
    d_path = models.save_model(discriminator, tmp_path / "discriminator.keras")
    pair = [audio[None, :256, None], out[None, :256, None]]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(models.load_model(d_path)(pair)),
        keras.ops.convert_to_numpy(discriminator(pair)),
        atol=1e-6,
    )


def test_presets_and_config_errors():
    for name, config in models.ENHANCER_PRESETS.items():
        assert config.num_samples % 2 ** len(config.encoder_channels) == 0, name
    assert models.ENHANCER_PRESETS["segan-paper"].bottleneck_length == 8
    assert models.ENHANCER_PRESETS["segan-paper"].latent == 1024
    with pytest.raises(ValueError, match="multiple of 2"):
        models.EnhancerConfig(num_samples=1000)
    with pytest.raises(ValueError, match="encoder_channels"):
        models.EnhancerConfig(encoder_channels=())


def test_enhancement_explorer_selectors_change_the_audio_the_picture_and_the_scores(noisy_speech):
    """Before / after / clean side by side; moving the SNR or noise selector changes all."""
    from audiogan_kit import widgets
    from audiogan_kit.config import AudioConfig

    clean, _ = noisy_speech
    rng = np.random.default_rng(1)
    rows = [(c, snr, kind) for c in clean[:2] for snr in (0.0, 10.0) for kind in ("white", "hum")]
    noisy = np.stack(
        [
            data.mix_at_snr(c, data.make_noise(kind, c.shape[0], 8000, rng), snr)
            for c, snr, kind in rows
        ]
    )
    n = len(rows)
    test = data.NoisyDataset(
        noisy=noisy,
        clean=np.stack([r[0] for r in rows]),
        snr_db=np.array([r[1] for r in rows], np.float32),
        noise_type=np.array([r[2] for r in rows]),
        noise_seed=np.zeros(n, np.int64),
        babble_sources=np.array([""] * n),
        labels=np.zeros(n, np.int64),
        speakers=np.array(["theo"] * n),
        takes=np.zeros(n, np.int64),
        paths=np.array(["p"] * n),
        config=AudioConfig(),
    )
    explorer = widgets.enhancement_explorer(
        test, {"Wiener": lambda x: enhance.wiener_filter(x, 8000)}
    )
    assert explorer.snr.options == (("0 dB", 0.0), ("10 dB", 10.0))
    assert explorer.noise_type.options == ("hum", "white") and explorer.clip.max == 1
    assert [p.label.value.rsplit(" (", 1)[0] for p in explorer.view.players] == [
        "noisy (before)", "Wiener", "clean (target)",
    ]
    first = explorer.index
    assert rows[first][1:] == (0.0, "hum")
    np.testing.assert_allclose(explorer.view.outputs["noisy"], noisy[first])
    audio = explorer.view.players[0].audio.value
    image, scores = explorer.view.image.value, explorer.scores.value
    assert "0 dB hum" in scores and scores.count("<tr>") == 3  # header, noisy, Wiener
    explorer.snr.value = 10.0
    assert rows[explorer.index][1:] == (10.0, "hum")
    assert explorer.view.players[0].audio.value != audio and explorer.view.image.value != image
    assert "10 dB hum" in explorer.scores.value
    explorer.noise_type.value = "white"
    explorer.clip.value = 1
    assert rows[explorer.index][1:] == (10.0, "white") and explorer.index == 6
    # The Wiener output shown is what the baseline makes of that clip.
    np.testing.assert_allclose(
        explorer.view.outputs["Wiener"], enhance.wiener_filter(noisy[6], 8000), atol=1e-6
    )


def test_a_residual_generator_subtracts_its_noise_estimate():
    """residual=True: output = noisy - tanh(last layer), and the last layer starts at zero."""
    config = dataclasses.replace(TINY, residual=True)
    generator = models.build_enhancer_generator(config)
    noisy = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 256, 1)).astype(np.float32)
    # Untrained, it is exactly the identity; the direct generator is not.
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(generator(noisy)), noisy)
    direct = keras.ops.convert_to_numpy(models.build_enhancer_generator(TINY)(noisy))
    assert np.max(np.abs(direct - noisy)) > 0.05
    last = generator.get_layer("dec3")
    rng = np.random.default_rng(1)
    last.set_weights([0.3 * rng.standard_normal(w.shape) for w in last.get_weights()])
    estimate = keras.Model(generator.input, generator.get_layer("dec_tanh").output)(noisy)
    estimate = keras.ops.convert_to_numpy(estimate)
    assert np.max(np.abs(estimate)) > 0.05
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(generator(noisy)), noisy - estimate, atol=1e-6
    )


def test_pick_per_condition_is_random_and_spread_over_digits_and_voices(fsdd_path):
    fsdd = load_fsdd(fsdd_path, progress=False)
    subset = fsdd.subset(fsdd.takes < 10)
    test = data.make_noisy_split(subset, snrs=(0, 10), noise_types=("white", "hum"), seed=0)[1]
    picked = enhance.pick_per_condition(test, 5, seed=1)
    # 4 cells x 5 pairs: each digit twice, each voice 10 times, each cell 5 times.
    assert picked.composition() == {
        "digit": {d: 2 for d in range(10)},
        "voice": {"george": 10, "yweweler": 10},
        "noise": {"hum": 10, "white": 10},
        "snr": {0.0: 10, 10.0: 10},
    }
    again = enhance.pick_per_condition(test, 5, seed=1)
    np.testing.assert_array_equal(again.paths, picked.paths)
    assert set(enhance.pick_per_condition(test, 5, seed=2).paths) != set(picked.paths)
