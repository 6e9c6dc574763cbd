"""Generators, discriminators and their layers: shapes, conditioning, gradients, saving.

Every test is marked ``backend``: ``make test`` runs them again with ``KERAS_BACKEND=jax``.
Models are tiny (``model_dim`` 2-4, batch 2-3) so that both runs stay fast on a CPU.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest
from keras import ops

from audiogan_kit import losses
from audiogan_kit.backend import value_and_gradients
from audiogan_kit.layers import LabelChannels, PhaseShuffle
from audiogan_kit.models import (
    ModelConfig,
    build_discriminator,
    build_generator,
    load_model,
    parameter_count,
    receptive_field,
    save_model,
)

pytestmark = pytest.mark.backend

SHAPES = {
    "dense": ModelConfig(architecture="dense", model_dim=4, latent_dim=8),
    "wavegan-4096": ModelConfig(num_samples=4096, model_dim=2, latent_dim=8),
    "wavegan-8192": ModelConfig(num_samples=8192, model_dim=2, latent_dim=8),
    "wavegan-16384": ModelConfig(num_samples=16384, model_dim=2, latent_dim=8),
    "specgan": ModelConfig(architecture="specgan", model_dim=2, latent_dim=8),
    "specgan1d": ModelConfig(architecture="specgan1d", num_bins=64, model_dim=2, latent_dim=8),
    "specgan-lite": ModelConfig(
        architecture="specgan-lite", num_frames=32, num_bins=64, model_dim=2, latent_dim=8
    ),
}


def _t(array, dtype="float32"):
    return ops.convert_to_tensor(np.asarray(array), dtype=dtype)


def _noise(rng, batch, config):
    return _t(rng.normal(size=(batch, config.latent_dim)))


def _inputs(first, labels, config):
    return [first, labels] if config.conditional else first


@pytest.mark.parametrize("name", list(SHAPES))
def test_output_shapes_dtypes_and_range(name, rng):
    config = SHAPES[name]
    generator, discriminator = build_generator(config), build_discriminator(config)
    fake = generator(_noise(rng, 2, config))
    assert tuple(fake.shape) == (2, *config.sample_shape)
    assert ops.convert_to_numpy(fake).dtype == np.float32
    values = ops.convert_to_numpy(fake)
    assert np.all(np.abs(values) <= 1.0) and values.std() > 0
    logits = discriminator(fake, training=True)
    assert tuple(logits.shape) == (2, 1)
    assert ops.convert_to_numpy(logits).dtype == np.float32
    expected = {
        "dense": (8192, 1),
        "specgan": (64, 128, 1),
        "specgan1d": (64, 64, 1),
        "specgan-lite": (32, 64, 1),
    }.get(name)
    expected = expected or (int(name.split("-")[1]), 1)
    assert config.sample_shape == expected


@pytest.mark.parametrize(
    ("architecture", "conditioning"),
    [
        ("dense", "concat"),
        ("wavegan", "projection"),
        ("wavegan", "concat"),
        ("specgan", "projection"),
        ("specgan1d", "concat"),
        ("specgan1d", "projection"),
        ("specgan-lite", "projection"),
    ],
)
def test_conditional_outputs_differ_by_label(architecture, conditioning, rng):
    config = ModelConfig(
        architecture=architecture,
        num_samples=4096,
        model_dim=2,
        latent_dim=8,
        num_classes=10,
        conditioning=conditioning,
    )
    generator, discriminator = build_generator(config), build_discriminator(config)
    noise = _noise(rng, 1, config)
    noise = ops.concatenate([noise, noise], axis=0)  # the same z twice
    labels = _t([3, 7], "int32")
    fake = ops.convert_to_numpy(generator([noise, labels]))
    assert fake.shape == (2, *config.sample_shape)
    assert np.abs(fake[0] - fake[1]).max() > 1e-6
    same = _t(np.repeat(fake[:1], 2, axis=0))  # the same clip, two labels
    logits = ops.convert_to_numpy(discriminator([same, labels]))
    assert logits.shape == (2, 1) and abs(logits[0, 0] - logits[1, 0]) > 1e-7
    if conditioning == "concat":
        assert "label_channels" in [layer.name for layer in discriminator.layers]
    else:
        assert "projection" in [layer.name for layer in discriminator.layers]


def test_config_rejects_impossible_lengths():
    with pytest.raises(ValueError, match="divisible by 1024"):
        ModelConfig(num_samples=5000)
    with pytest.raises(ValueError, match="divisible by 32"):
        ModelConfig(architecture="specgan", num_frames=60)
    with pytest.raises(ValueError, match="divisible by 16"):
        ModelConfig(architecture="specgan1d", num_frames=40)
    with pytest.raises(ValueError, match="specgan-lite needs .* divisible by 16"):
        ModelConfig(architecture="specgan-lite", num_frames=32, num_bins=40)
    with pytest.raises(ValueError, match="architecture"):
        ModelConfig(architecture="melgan")


def test_model_size_grows_with_model_dim():
    small = parameter_count(build_generator(ModelConfig(num_samples=4096, model_dim=2)))
    large = parameter_count(build_generator(ModelConfig(num_samples=4096, model_dim=4)))
    # Convolutions grow as d^2 and the projection as d: between 2x and 4x.
    assert 2.0 < large / small < 4.0


@pytest.mark.parametrize(
    ("architecture", "upsample"), [("wavegan", "linear"), ("specgan", "linear")]
)
def test_resize_upsampling_keeps_shapes(architecture, upsample, rng):
    # (nearest-neighbour upsampling is trained in test_one_training_step_reaches_every_weight)
    config = ModelConfig(
        architecture=architecture, num_samples=4096, model_dim=2, latent_dim=8, upsample=upsample
    )
    generator = build_generator(config)
    assert not any("Transpose" in type(layer).__name__ for layer in generator.layers)
    fake = generator(_noise(rng, 2, config))
    assert tuple(fake.shape) == (2, *config.sample_shape)


def test_phase_shuffle_keeps_shape_and_only_shifts(rng):
    n = 2
    layer = PhaseShuffle(n, seed=5)
    x = rng.normal(size=(16, 20, 3)).astype(np.float32)
    assert np.array_equal(ops.convert_to_numpy(layer(_t(x), training=False)), x)
    shuffled = ops.convert_to_numpy(layer(_t(x), training=True))
    assert shuffled.shape == x.shape
    padded = np.pad(x, [(0, 0), (n, n), (0, 0)], mode="reflect")
    shifts = []
    for b in range(len(x)):
        matches = [
            s
            for s in range(-n, n + 1)
            if np.array_equal(shuffled[b], padded[b, n - s : n - s + 20])
        ]
        assert len(matches) == 1, f"example {b} is not a reflect-padded shift of its input"
        shifts.append(matches[0])
    assert len(set(shifts)) >= 3, f"16 examples drew only the shifts {set(shifts)}"


def test_label_channels_appends_one_hot():
    layer = LabelChannels(4)
    out = ops.convert_to_numpy(layer([_t(np.zeros((2, 5, 1))), _t([1, 3], "int32")]))
    assert out.shape == (2, 5, 5)
    np.testing.assert_array_equal(out[0, :, 1:], np.tile([[0, 1, 0, 0]], (5, 1)))
    np.testing.assert_array_equal(out[1, :, 1:], np.tile([[0, 0, 0, 1]], (5, 1)))


@pytest.mark.parametrize(
    "config",
    [
        ModelConfig(
            architecture="dense", model_dim=2, latent_dim=8, num_classes=10, spectral_norm=True
        ),
        ModelConfig(
            num_samples=4096,
            model_dim=2,
            latent_dim=8,
            num_classes=10,
            batch_norm=True,
            conditioning="concat",
        ),
        ModelConfig(architecture="specgan", model_dim=2, latent_dim=8, upsample="nearest"),
    ],
    ids=["dense-conditional-sn", "wavegan-bn-concat", "specgan-nearest"],
)
def test_one_training_step_reaches_every_weight(config, rng):
    generator, discriminator = build_generator(config), build_discriminator(config)
    batch = 3
    real = _t(rng.uniform(-1, 1, (batch, *config.sample_shape)))
    labels = _t(rng.integers(0, 10, batch), "int32")
    noise = _noise(rng, batch, config)
    d_loss_fn, g_loss_fn = losses.LOSSES["nonsaturating"]

    def d_loss():
        fake = generator(_inputs(noise, labels, config), training=True)
        real_logits = discriminator(_inputs(real, labels, config), training=True)
        fake_logits = discriminator(_inputs(fake, labels, config), training=True)
        return d_loss_fn(real_logits, fake_logits)

    def g_loss():
        fake = generator(_inputs(noise, labels, config), training=True)
        return g_loss_fn(discriminator(_inputs(fake, labels, config), training=True))

    for model, loss_fn in ((discriminator, d_loss), (generator, g_loss)):
        before = [ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
        loss, grads = value_and_gradients(loss_fn, model.trainable_weights)
        assert np.isfinite(float(ops.convert_to_numpy(loss)))
        for weight, grad in zip(model.trainable_weights, grads, strict=True):
            assert grad is not None, f"{model.name}: no gradient reaches {weight.path}"
            assert np.abs(ops.convert_to_numpy(grad)).max() > 0, f"zero gradient at {weight.path}"
        optimizer = keras.optimizers.Adam(1e-3)
        optimizer.apply(grads, model.trainable_weights)
        after = [ops.convert_to_numpy(w) for w in model.trainable_weights]
        changed = sum(not np.allclose(b, a) for b, a in zip(before, after, strict=True))
        assert changed == len(before), f"{model.name}: only {changed}/{len(before)} weights moved"
    if config.batch_norm:
        moving = [w for w in generator.non_trainable_weights if "moving_mean" in w.path]
        assert moving and all(np.abs(ops.convert_to_numpy(w)).max() > 0 for w in moving)


def test_save_and_load_round_trip(tmp_path, rng):
    config = ModelConfig(
        num_samples=4096,
        model_dim=2,
        latent_dim=8,
        num_classes=10,
        spectral_norm=True,
        conditioning="concat",
        upsample="linear",
    )
    generator, discriminator = build_generator(config), build_discriminator(config)
    noise, labels = _noise(rng, 2, config), _t([0, 9], "int32")
    fake = generator([noise, labels])
    for model, inputs in ((generator, [noise, labels]), (discriminator, [fake, labels])):
        path = save_model(model, tmp_path / f"{model.name}.keras")
        loaded = load_model(path)
        np.testing.assert_allclose(
            ops.convert_to_numpy(loaded(inputs)), ops.convert_to_numpy(model(inputs)), atol=1e-6
        )
    assert any(isinstance(layer, PhaseShuffle) for layer in loaded.layers)
    with pytest.raises(ValueError, match=r"\.keras"):
        save_model(generator, tmp_path / "generator.h5")
    with pytest.raises(ValueError, match="no model file"):
        load_model(tmp_path / "missing.keras")


def test_presets_are_valid_configs():
    from audiogan_kit.models import MODEL_PRESETS as PRESETS

    paper = PRESETS["wavegan-paper"]
    assert paper.num_samples == 16384 and paper.model_dim == 64
    small = dataclasses.replace(PRESETS["wavegan-cpu"], model_dim=2, latent_dim=8)
    assert build_generator(small).output_shape == (None, 8192, 1)


def test_layer_table_and_receptive_field():
    from audiogan_kit.models import layer_table

    config = ModelConfig(num_samples=4096, model_dim=2, spectral_norm=True)
    discriminator = build_discriminator(config)
    rows = {row["name"]: row for row in layer_table(discriminator)}
    assert rows["conv1_sn"]["type"] == "SpectralNormalization(Conv1D)"
    assert rows["conv1_sn"]["output_shape"] == (None, 1024, 2)
    assert rows["conv1_sn"]["parameters"] == 25 * 1 * 2 + 2  # kernel x in x out + bias
    assert rows["conv5_lrelu"]["output_shape"] == (None, 4, 32)
    assert sum(row["parameters"] for row in rows.values()) == parameter_count(discriminator)
    # 1 + 24 * (1 + 4 + 16 + 64 + 256)
    assert receptive_field(discriminator) == (8185,)
    spec = build_discriminator(ModelConfig(architecture="specgan", model_dim=2))
    assert receptive_field(spec) == (125, 125)  # 1 + 4 * 31 per axis
    with pytest.raises(ValueError, match="no Conv1D/Conv2D"):
        receptive_field(build_discriminator(ModelConfig(architecture="dense", model_dim=2)))


def test_specgan1d_convolves_time_with_the_bins_as_channels():
    config = ModelConfig(architecture="specgan1d", num_bins=64, model_dim=4, latent_dim=8)
    discriminator = build_discriminator(config)
    # 4 strided layers of kernel 5 along time: 1 + 4 * (1 + 2 + 4 + 8) = 61 frames.
    assert receptive_field(discriminator) == (61,)
    first = discriminator.get_layer("conv1")
    assert first.kernel.shape == (5, 64, 8)  # every bin of 5 frames feeds each filter
    generator = build_generator(config)
    assert generator.get_layer("to_bins").kernel.shape[-1] == 64


def test_specgan_lite_convolves_time_and_frequency_at_every_layer():
    config = ModelConfig(
        architecture="specgan-lite", num_frames=32, num_bins=64, model_dim=4, latent_dim=8,
        kernel_size=3, upsample="nearest",
    )
    discriminator = build_discriminator(config)
    # 4 strided layers of kernel 3 along both axes: 1 + 2 * (1 + 2 + 4 + 8) = 31.
    assert receptive_field(discriminator) == (31, 31)
    widths = [discriminator.get_layer(f"conv{i}").kernel.shape for i in range(1, 5)]
    assert widths == [(3, 3, 1, 8), (3, 3, 8, 16), (3, 3, 16, 32), (3, 3, 32, 64)]
    generator = build_generator(config)
    assert generator.get_layer("project_reshape").output.shape[1:] == (4, 8, 32)
    stages = [generator.get_layer(f"upconv{i}").kernel.shape for i in range(1, 4)]
    assert stages == [(3, 3, 32, 16), (3, 3, 16, 8), (3, 3, 8, 4)]
    assert generator.get_layer("to_spectrogram").kernel.shape == (3, 3, 4, 1)


def test_discriminator_width_aux_head_and_minibatch_std(rng):
    base = ModelConfig(
        architecture="specgan1d", num_bins=64, model_dim=4, latent_dim=8, num_classes=10
    )
    narrow = dataclasses.replace(base, discriminator_dim=2)
    assert parameter_count(build_generator(narrow)) == parameter_count(build_generator(base))
    assert parameter_count(build_discriminator(narrow)) < parameter_count(
        build_discriminator(base)
    )
    heads = dataclasses.replace(base, aux_classifier=True, minibatch_std=True)
    discriminator = build_discriminator(heads)
    x = rng.uniform(-1, 1, (3, 64, 64, 1)).astype(np.float32)
    logit, classes = discriminator([x, np.arange(3, dtype=np.int32)])
    assert tuple(logit.shape) == (3, 1) and tuple(classes.shape) == (3, 10)
    flat = discriminator.get_layer("flatten").output.shape[-1]
    assert discriminator.get_layer("minibatch_std").output.shape[-1] == flat + 1
    with pytest.raises(ValueError, match="aux_classifier needs labels"):
        ModelConfig(aux_classifier=True)


def test_minibatch_std_appends_the_spread_of_the_batch():
    from audiogan_kit.layers import MinibatchStdDev

    same = ops.convert_to_numpy(MinibatchStdDev()(np.ones((4, 3), np.float32)))
    assert same.shape == (4, 4) and np.allclose(same[:, -1], 1e-4, atol=1e-4)
    x = np.array([[0.0, 0.0], [2.0, 4.0]], np.float32)  # stds 1 and 2 over the batch
    out = ops.convert_to_numpy(MinibatchStdDev()(x))
    np.testing.assert_allclose(out[:, -1], [1.5, 1.5], rtol=1e-4)


def test_conditional_batch_norm_scales_each_class_with_its_own_vector(rng):
    config = ModelConfig(
        architecture="specgan1d", num_bins=64, model_dim=4, latent_dim=8, num_classes=10,
        batch_norm=True, conditional_batch_norm=True,
    )
    generator = build_generator(config)
    gamma = generator.get_layer("upconv1_gamma")
    assert gamma.embeddings.shape == (10, 32)  # 8 d channels per class
    noise = rng.standard_normal((2, 8)).astype(np.float32)
    labels = np.array([3, 5], np.int32)
    before = ops.convert_to_numpy(generator([noise, labels], training=False))
    table = ops.convert_to_numpy(gamma.embeddings)
    table[3] = 0.0  # class 3's scale to zero, class 5's untouched
    gamma.embeddings.assign(table)
    after = ops.convert_to_numpy(generator([noise, labels], training=False))
    assert not np.allclose(before[0], after[0]) and np.allclose(before[1], after[1])


def test_random_time_shift_moves_each_example_as_a_whole(rng):
    from audiogan_kit.layers import random_time_shift

    x = rng.standard_normal((6, 20, 3)).astype(np.float32)
    out = ops.convert_to_numpy(random_time_shift(x, 3, keras.random.SeedGenerator(1)))
    padded = np.pad(x, ((0, 0), (3, 3), (0, 0)), mode="reflect")
    for b in range(6):
        matches = [s for s in range(-3, 4) if np.allclose(out[b], padded[b, 3 - s : 23 - s])]
        assert matches, b
