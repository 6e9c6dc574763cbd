"""Mixed precision and data parallelism of the trainer (TrainConfig.precision and .devices).

Several devices are simulated on the CPU in a fresh subprocess (TensorFlow must be told
before it starts; JAX reads XLA_FLAGS when it starts): two logical CPU devices under
``tf.distribute.MirroredStrategy`` and two host devices under
``keras.distribution.DataParallel``. Models are the tiny dense GAN of conftest.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from keras import ops

from audiogan_kit import backend, training
from conftest import REPO, noise_bursts, numpy_values, tiny_train_config


def test_precision_and_devices_are_checked_with_a_message():
    with pytest.raises(ValueError, match=r"precision must be one of .*'mixed_float16'"):
        tiny_train_config("dense", precision="float16")
    with pytest.raises(ValueError, match=r"divides batch_size=4"):
        tiny_train_config("dense", devices=3)
    with pytest.raises(ValueError, match="devices must be a positive integer"):
        tiny_train_config("dense", devices=0)
    visible = len(backend.device_summary()["devices"])
    with pytest.raises(ValueError, match=rf"only {visible} are visible"):
        training.build_gan(tiny_train_config("dense", batch_size=8, devices=8))
    saved = tiny_train_config("dense", precision="mixed_bfloat16", devices=2).to_dict()
    assert training.TrainConfig.from_dict(saved).precision == "mixed_bfloat16"


def _one_step(config, rng_seed=0):
    keras.utils.set_random_seed(config.seed)  # the same starting weights for every precision
    gan = training.build_gan(config)
    rng = np.random.default_rng(rng_seed)
    real = rng.uniform(-1, 1, (config.n_critic, 4, *config.model.sample_shape)).astype(np.float32)
    labels = rng.integers(0, 10, (config.n_critic, 4)).astype(np.int32)
    before = numpy_values(gan.generator.trainable_variables)
    step = backend.compile_step(gan.train_step, gan.all_state())
    outputs = step((real, labels))
    return gan, before, outputs


@pytest.mark.backend
def test_mixed_float16_computes_in_16_bits_scales_the_loss_and_matches_float32():
    float32 = tiny_train_config("dense", loss="hinge", n_critic=1)
    gan32, _, out32 = _one_step(float32)
    gan16, before, out16 = _one_step(dataclasses.replace(float32, precision="mixed_float16"))

    # Per-model policy: 16-bit compute, float32 weights, and no global setting left behind.
    assert keras.config.dtype_policy().name == "float32"
    assert gan16.generator.layers[-1].compute_dtype == "float16"
    assert all(v.dtype == "float32" for v in gan16.generator.weights)
    assert gan32.generator.layers[-1].compute_dtype == "float32"
    assert isinstance(gan16.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert not isinstance(gan32.d_optimizer, keras.optimizers.LossScaleOptimizer)
    # Logits and losses come back in float32, close to the float32 run from the same weights.
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert ops.convert_to_numpy(out16[key]).dtype == np.float32, key
    for key in ("d_loss", "d_real", "d_grad_norm"):
        a, b = (float(ops.convert_to_numpy(o[key])) for o in (out16, out32))
        assert a == pytest.approx(b, rel=2e-2, abs=2e-3), key
    # The loss scale is unscaled away: the gradient norm is not ~32768 times too big, and the
    # update moved the float32 weights.
    assert float(ops.convert_to_numpy(gan16.d_optimizer.dynamic_scale.value)) == 2.0**15
    after = numpy_values(gan16.generator.trainable_variables)
    assert all(not np.array_equal(a, b) for a, b in zip(before, after, strict=True) if a.size > 1)


def test_checkpoints_of_a_mixed_float16_run_hold_the_loss_scale(tmp_path, rng):
    config = tiny_train_config("dense", precision="mixed_float16", num_steps=2, checkpoint_every=2)
    trainer = training.train(config, noise_bursts(rng), tmp_path, log=lambda _: None)
    assert all(np.isfinite(row["d_loss"]) for row in trainer.history)
    with np.load(training.checkpoint_paths(tmp_path)[-1]) as content:
        layout = json.loads(content["meta"].tobytes())["layout"]
    names = [path for path, _ in layout["d_optimizer"]]
    assert any("dynamic_scale" in n for n in names) and any("step_counter" in n for n in names)
    # A fresh GAN gets every variable back, the optimizers' loss-scale state included.
    fresh = training.build_gan(dataclasses.replace(config, seed=5))
    trainer.gan.d_optimizer.dynamic_scale.assign(1024.0)  # as if it had halved 5 times
    training.save_checkpoint(trainer.gan, config, 2, tmp_path)
    assert training.load_latest_checkpoint(fresh, tmp_path, log=lambda _: None) == 2
    assert float(ops.convert_to_numpy(fresh.d_optimizer.dynamic_scale.value)) == 1024.0
    for group, variables in trainer.gan.state_groups().items():
        restored = numpy_values(fresh.state_groups()[group])
        for a, b in zip(numpy_values(variables), restored, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=group)


def test_mixed_bfloat16_trains_without_loss_scaling(tmp_path, rng):
    config = tiny_train_config(
        "dense", loss="nonsaturating", precision="mixed_bfloat16", num_steps=2
    )
    trainer = training.train(config, noise_bursts(rng), tmp_path, log=lambda _: None)
    assert trainer.gan.discriminator.layers[-1].compute_dtype == "bfloat16"
    assert not isinstance(trainer.gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert all(np.isfinite(row["g_loss"]) for row in trainer.history)
    assert len({row["d_loss"] for row in trainer.history}) == 2
    made, audio = trainer.samples()
    assert made.dtype == np.float32 and audio.shape == (2, 4096)


# --- several devices, in a subprocess --------------------------------------------------------

_PARALLEL_SCRIPT = textwrap.dedent(
    """
    import dataclasses, json, os, sys, tempfile
    if os.environ["KERAS_BACKEND"] == "tensorflow":
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        two = [tf.config.LogicalDeviceConfiguration()] * 2
        tf.config.set_logical_device_configuration(cpu, two)
    import numpy as np
    sys.path.insert(0, {tests!r})
    from conftest import noise_bursts, numpy_values, tiny_train_config
    from audiogan_kit import backend, training
    config = tiny_train_config(
        "dense", loss="hinge", n_critic=1, num_steps=2, checkpoint_every=2
    )
    data = noise_bursts(np.random.default_rng(0))
    report = {{"summary": backend.device_summary()}}
    for devices in (1, 2):
        gan = training.build_gan(dataclasses.replace(config, devices=devices))
        start = numpy_values(gan.discriminator.trainable_variables)
        trainer = training.train(
            dataclasses.replace(config, devices=devices), data, tempfile.mkdtemp(), log=print
        )
        end = numpy_values(trainer.gan.discriminator.trainable_variables)
        weight = trainer.gan.discriminator.trainable_variables[0].value
        report[devices] = {{
            "history": trainer.history,
            "moved": all(not np.array_equal(a, b) for a, b in zip(start, end) if a.size > 1),
            "replicas": getattr(trainer.gan.parallel, "num_replicas", 1),
            "copies": len(getattr(weight, "values", None) or weight.sharding.device_set)
            if devices == 2 else 1,
            "seed_state": numpy_values([trainer.gan.seed_generator.state])[0].tolist(),
        }}
    print("REPORT", json.dumps(report))
    """
)


def _run_parallel(keras_backend: str, tmp_path) -> dict:
    env = {
        **os.environ,
        "KERAS_BACKEND": keras_backend,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "PYTHONPATH": str(REPO),
    }
    script = _PARALLEL_SCRIPT.format(tests=str(REPO / "tests"))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("REPORT "))
    return json.loads(line[len("REPORT ") :])


@pytest.mark.backend
def test_two_devices_train_like_one_device_on_the_same_data(tmp_path):
    """MirroredStrategy (TF) / DataParallel (JAX, in make test-jax) over 2 CPU devices.

    The dense GAN has no batch norm and hinge loss draws no random numbers besides the
    noise, which each replica slices from the whole batch's draw: the two replicas together
    compute the one-device batch, so the losses agree to float32 rounding.
    """
    report = _run_parallel(keras.backend.backend(), tmp_path)
    assert len(report["summary"]["devices"]) == 2 and report["summary"]["accelerator"] == "cpu"
    one, two = report["1"], report["2"]
    assert (one["replicas"], two["replicas"], two["copies"]) == (1, 2, 2)
    assert one["moved"] and two["moved"]
    assert [r["step"] for r in two["history"]] == [1, 2]
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        a = np.array([r[key] for r in one["history"]])
        b = np.array([r[key] for r in two["history"]])
        assert np.all(np.isfinite(b)), key
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6, err_msg=key)
    assert len({r["d_loss"] for r in two["history"]}) > 1  # it trained: the losses moved
    assert one["seed_state"] == two["seed_state"]  # the same noise was drawn
