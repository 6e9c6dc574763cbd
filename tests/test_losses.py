"""The adversarial losses and gradient penalties, against hand-computed values and known facts.

Every test is marked ``backend``: ``make test`` runs them again with ``KERAS_BACKEND=jax``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from keras import ops

from audiogan_kit import losses
from audiogan_kit.backend import input_gradient, value_and_gradients

pytestmark = pytest.mark.backend

REAL = np.array([[2.0], [-1.0], [0.0]], dtype=np.float32)
FAKE = np.array([[0.5], [-3.0], [1.5]], dtype=np.float32)


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a.astype(np.float64)))


def _value(tensor) -> float:
    return float(ops.convert_to_numpy(tensor))


def test_probabilistic_losses_match_hand_computed_values():
    d_real, d_fake = _sigmoid(REAL), _sigmoid(FAKE)
    value = np.mean(np.log(d_real)) + np.mean(np.log(1 - d_fake))
    assert _value(losses.minimax_value(REAL, FAKE)) == pytest.approx(value, rel=1e-5)
    assert _value(losses.minimax_discriminator_loss(REAL, FAKE)) == pytest.approx(-value, rel=1e-5)
    assert _value(losses.minimax_generator_loss(FAKE)) == pytest.approx(
        np.mean(np.log(1 - d_fake)), rel=1e-5
    )
    assert _value(losses.nonsaturating_generator_loss(FAKE)) == pytest.approx(
        -np.mean(np.log(d_fake)), rel=1e-5
    )


def test_lsgan_hinge_and_wasserstein_match_hand_computed_values():
    # REAL = [2, -1, 0], FAKE = [0.5, -3, 1.5]
    lsgan_d = 0.5 * np.mean([1.0, 4.0, 1.0]) + 0.5 * np.mean([0.25, 9.0, 2.25])
    assert _value(losses.lsgan_discriminator_loss(REAL, FAKE)) == pytest.approx(lsgan_d)
    assert _value(losses.lsgan_generator_loss(FAKE)) == pytest.approx(
        0.5 * np.mean([0.25, 16.0, 0.25])
    )
    hinge_d = np.mean([0.0, 2.0, 1.0]) + np.mean([1.5, 0.0, 2.5])
    assert _value(losses.hinge_discriminator_loss(REAL, FAKE)) == pytest.approx(hinge_d)
    assert _value(losses.hinge_generator_loss(FAKE)) == pytest.approx(1 / 3)
    assert _value(losses.wasserstein_discriminator_loss(REAL, FAKE)) == pytest.approx(
        np.mean(FAKE) - np.mean(REAL)
    )
    assert _value(losses.wasserstein_generator_loss(FAKE)) == pytest.approx(1 / 3)


def test_optimal_discriminator_gives_minus_log_4():
    half = np.zeros((8, 1), np.float32)  # D = sigmoid(0) = 1/2 everywhere
    assert _value(losses.minimax_value(half, half)) == pytest.approx(-math.log(4), rel=1e-6)
    assert _value(losses.minimax_discriminator_loss(half, half)) == pytest.approx(math.log(4))


def test_weight_scales_every_loss():
    for d_loss, g_loss in losses.LOSSES.values():
        assert _value(d_loss(REAL, FAKE, weight=2.5)) == pytest.approx(
            2.5 * _value(d_loss(REAL, FAKE)), rel=1e-6
        )
        assert _value(g_loss(FAKE, weight=0.5)) == pytest.approx(
            0.5 * _value(g_loss(FAKE)), rel=1e-6
        )


def test_losses_are_finite_for_extreme_logits():
    extreme = np.array([[-200.0], [200.0]], np.float32)
    for d_loss, g_loss in losses.LOSSES.values():
        assert np.isfinite(_value(d_loss(extreme, extreme)))
        assert np.isfinite(_value(g_loss(extreme)))
    # log(1 - D) -> 0 when D -> 0, and -log D grows linearly in the logit.
    rejected = np.full((4, 1), -100.0, np.float32)
    assert _value(losses.minimax_generator_loss(rejected)) == pytest.approx(0.0, abs=1e-6)
    assert _value(losses.nonsaturating_generator_loss(rejected)) == pytest.approx(100.0, rel=1e-6)


def test_minimax_generator_gradient_vanishes_where_nonsaturating_does_not():
    logits = np.full((4, 1), -10.0, np.float32)  # the discriminator rejects every fake
    saturating = ops.convert_to_numpy(input_gradient(losses.minimax_generator_loss, logits))
    nonsaturating = ops.convert_to_numpy(
        input_gradient(losses.nonsaturating_generator_loss, logits)
    )
    # d/dl mean(log(1 - sigmoid(l))) = -sigmoid(l) / batch;
    # d/dl mean(-log sigmoid(l)) = (sigmoid(l) - 1) / batch
    np.testing.assert_allclose(saturating, -_sigmoid(logits) / 4, rtol=1e-4)
    np.testing.assert_allclose(nonsaturating, (_sigmoid(logits) - 1) / 4, rtol=1e-4)
    assert np.abs(saturating).max() < 2e-5 < 0.2 < np.abs(nonsaturating).min()


def _linear_critic(weights: np.ndarray):
    """D(x) = <w, x> over every non-batch axis, scores [batch, 1]."""
    w = ops.convert_to_tensor(weights)

    def critic(x):
        return ops.sum(ops.reshape(x * w, (ops.shape(x)[0], -1)), axis=1, keepdims=True)

    return critic


def test_gradient_penalty_is_zero_for_unit_slope_linear_critic(rng):
    real = rng.uniform(-1, 1, (4, 32, 1)).astype(np.float32)
    fake = rng.uniform(-1, 1, (4, 32, 1)).astype(np.float32)
    w = rng.normal(size=(32, 1)).astype(np.float32)
    unit = w / np.linalg.norm(w)
    penalty = losses.gradient_penalty(_linear_critic(unit), real, fake, seed=3)
    assert _value(penalty) == pytest.approx(0.0, abs=1e-5)
    # slope 3: ||grad|| = 3 everywhere, penalty = lambda (3 - 1)^2 = 40
    steep = losses.gradient_penalty(_linear_critic(3 * unit), real, fake, seed=3)
    assert _value(steep) == pytest.approx(40.0, rel=1e-4)
    assert _value(
        losses.gradient_penalty(_linear_critic(3 * unit), real, fake, weight=1.0, seed=3)
    ) == pytest.approx(4.0, rel=1e-4)


def test_r1_penalty_of_linear_discriminator(rng):
    real = rng.uniform(-1, 1, (3, 8, 4, 1)).astype(np.float32)
    w = rng.normal(size=(8, 4, 1)).astype(np.float32)
    r1 = losses.r1_penalty(_linear_critic(w), real, weight=10.0)
    assert _value(r1) == pytest.approx(5.0 * float(np.sum(w.astype(np.float64) ** 2)), rel=1e-4)


def test_gradient_penalty_gradient_reaches_critic_weights(rng):
    """For D(x) = <w, x>, GP = lambda (||w|| - 1)^2, so dGP/dw = 2 lambda (||w|| - 1) w / ||w||."""
    critic = keras.Sequential(
        [keras.Input((16, 1)), keras.layers.Flatten(), keras.layers.Dense(1, use_bias=False)]
    )
    w = 0.5 * rng.normal(size=(16, 1)).astype(np.float32)
    critic.layers[-1].kernel.assign(w)
    real = rng.uniform(-1, 1, (4, 16, 1)).astype(np.float32)
    fake = rng.uniform(-1, 1, (4, 16, 1)).astype(np.float32)
    seed = keras.random.SeedGenerator(7)

    def penalty():
        return losses.gradient_penalty(lambda x: critic(x, training=True), real, fake, seed=seed)

    value, (grad,) = value_and_gradients(penalty, critic.trainable_weights)
    norm = float(np.linalg.norm(w.astype(np.float64)))
    assert _value(value) == pytest.approx(10.0 * (norm - 1) ** 2, rel=1e-4)
    np.testing.assert_allclose(
        ops.convert_to_numpy(grad), 20.0 * (norm - 1) * w / norm, rtol=1e-3, atol=1e-5
    )


def test_registry_names_and_penalties():
    assert set(losses.LOSSES) == {"minimax", "nonsaturating", "lsgan", "hinge", "wgan-gp"}
    d_loss, g_loss = losses.LOSSES["nonsaturating"]
    assert d_loss is losses.minimax_discriminator_loss
    assert g_loss is losses.nonsaturating_generator_loss
    penalty, weight = losses.PENALTIES["wgan-gp"]
    assert penalty is losses.gradient_penalty and weight == 10.0



def _three_critic_steps(compiled: bool, real, fake):
    """Three WGAN-GP critic updates of a fresh seeded critic: (loss values, first kernel)."""
    from audiogan_kit.backend import compile_function

    keras.utils.set_random_seed(0)
    critic = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8), keras.layers.Dense(1)])
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(critic.trainable_weights)
    seed = keras.random.SeedGenerator(1)

    def loss(real, fake):
        d_loss = losses.wasserstein_discriminator_loss(critic(real), critic(fake))
        return d_loss + losses.gradient_penalty(critic, real, fake, seed=seed)

    def step(real, fake):
        value, grads = value_and_gradients(lambda: loss(real, fake), critic.trainable_weights)
        optimizer.apply(grads, critic.trainable_weights)
        return value

    step = compile_function(step) if compiled else step
    values = [float(ops.convert_to_numpy(step(real, fake))) for _ in range(3)]
    return values, ops.convert_to_numpy(critic.trainable_weights[0])


def test_compiled_training_step_matches_eager(rng):
    """compile_function (tf.function under TensorFlow, identity under JAX) keeps the numbers."""
    real = ops.convert_to_tensor(rng.uniform(-1, 1, (4, 6)).astype(np.float32))
    fake = ops.convert_to_tensor(rng.uniform(-1, 1, (4, 6)).astype(np.float32))
    eager_values, eager_kernel = _three_critic_steps(False, real, fake)
    compiled_values, compiled_kernel = _three_critic_steps(True, real, fake)
    np.testing.assert_allclose(eager_values, compiled_values, rtol=1e-5)
    np.testing.assert_allclose(eager_kernel, compiled_kernel, rtol=1e-5, atol=1e-6)
    assert eager_values[0] != eager_values[2]  # the steps did change the critic


def test_feature_matching_is_the_scaled_gap_of_the_class_means(rng):
    real = rng.normal(size=(6, 4)).astype(np.float32)
    labels = np.array([0, 0, 1, 1, 2, 2], dtype=np.int32)
    scale = real.var(axis=0).mean()
    assert _value(losses.feature_matching_loss(real, real, labels, 3)) == pytest.approx(0.0)
    # Every example of class 1 moved by +1 in every feature: the class-1 gap is 1 per
    # feature, classes 0 and 2 have none, so the mean over the present classes is 1/3.
    fake = real.copy()
    fake[labels == 1] += 1.0
    per_class = _value(losses.feature_matching_loss(real, fake, labels, 3))
    assert per_class == pytest.approx((1 / 3) / scale, rel=1e-4)
    # Unconditional: only the batch means count (a gap of 1/3 per feature).
    assert _value(losses.feature_matching_loss(real, fake)) == pytest.approx(
        (1 / 3) ** 2 / scale, rel=1e-4
    )
    # Two classes swapping features: the batch means agree, the class means do not.
    swapped = real[[2, 3, 0, 1, 4, 5]]
    assert _value(losses.feature_matching_loss(real, swapped)) == pytest.approx(0.0, abs=1e-6)
    assert _value(losses.feature_matching_loss(real, swapped, labels, 3)) > 0.1
    # A class absent from the batch does not dilute the mean over the classes present.
    assert _value(losses.feature_matching_loss(real, fake, labels, 10)) == pytest.approx(
        per_class, rel=1e-4
    )


def test_critic_steps_follow_each_losss_paper():
    from audiogan_kit import training

    assert losses.CRITIC_STEPS == {"wgan-gp": 5}  # Gulrajani et al. 2017, Algorithm 1
    assert set(losses.CRITIC_STEPS) <= set(losses.LOSSES)
    paper = training.TRAIN_PRESETS["paper"]  # WaveGAN's WGAN-GP setting
    assert paper.n_critic == losses.CRITIC_STEPS[paper.loss]
