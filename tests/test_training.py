"""The trainer: every architecture x loss trains, exact resume, checkpoints, NaN guard, kill -9.

Tests marked ``backend`` run again under ``KERAS_BACKEND=jax`` (``make test-jax``). Models are
tiny (``model_dim`` 4, batch 4, 4,096-sample clips, 32 x 64 mel spectrograms) so that the file
stays within a couple of minutes on a 2-core CPU.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from keras import ops

from audiogan_kit import training
from audiogan_kit.config import AudioConfig
from conftest import (
    REPO,
    TINY_ARCHITECTURES,
    noise_bursts,
    numpy_values,
    tiny_train_config,
    tone,
)

AUDIO = AudioConfig(num_samples=4096)
LOSSES = ["minimax", "nonsaturating", "lsgan", "hinge", "wgan-gp"]


@pytest.mark.backend
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("architecture", TINY_ARCHITECTURES)
def test_a_step_of_every_architecture_and_loss_changes_the_weights(architecture, loss, rng):
    config = tiny_train_config(architecture, loss=loss)
    gan = training.build_gan(config)
    g_before = numpy_values(gan.generator.trainable_variables)
    d_before = numpy_values(gan.discriminator.trainable_variables)
    ema_before = numpy_values(gan.ema_generator.weights)
    shape = config.model.sample_shape
    real = rng.uniform(-1, 1, (config.n_critic, 4, *shape)).astype(np.float32)
    labels = rng.integers(0, 10, (config.n_critic, 4)).astype(np.int32)

    logs = {k: float(ops.convert_to_numpy(v)) for k, v in gan.train_step((real, labels)).items()}

    assert set(logs) == {
        "d_loss", "g_loss", "penalty", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"
    }
    assert all(np.isfinite(v) for v in logs.values()), logs
    assert logs["d_grad_norm"] > 0 and logs["g_grad_norm"] > 0
    if loss == "wgan-gp":
        assert logs["penalty"] > 0  # an untrained critic is far from 1-Lipschitz
    else:
        assert logs["penalty"] == 0
    g_after = numpy_values(gan.generator.trainable_variables)
    d_after = numpy_values(gan.discriminator.trainable_variables)
    for before, after in ((g_before, g_after), (d_before, d_after)):
        pairs = zip(before, after, strict=True)
        assert all(not np.array_equal(a, b) for a, b in pairs if a.size > 1)
    # EMA with decay 0.9 moves 10 % of the way from the old weights to the new generator's.
    kernel = next(i for i, w in enumerate(gan.generator.weights) if "kernel" in w.path)
    ema_after = numpy_values(gan.ema_generator.weights)[kernel]
    expected = 0.9 * ema_before[kernel] + 0.1 * numpy_values(gan.generator.weights)[kernel]
    np.testing.assert_allclose(ema_after, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.backend
def test_resumed_run_gives_the_same_losses_as_an_uninterrupted_one(tmp_path, rng):
    """Seeded CPU run, compiled step: 6 steps at once == 3 steps, stop, resume to 6."""
    config = tiny_train_config("dense", loss="wgan-gp", num_steps=6, checkpoint_every=3)
    data = noise_bursts(rng)
    whole = training.train(config, data, tmp_path / "whole", log=lambda _: None).history
    messages: list[str] = []
    first_half = dataclasses.replace(config, num_steps=3)
    training.train(first_half, data, tmp_path / "split", log=messages.append)
    resumed = training.train(config, data, tmp_path / "split", log=messages.append).history
    assert [r["step"] for r in resumed] == [1, 2, 3, 4, 5, 6]
    for key in ("d_loss", "g_loss", "penalty", "d_real", "d_fake"):
        assert [r[key] for r in whole] == [r[key] for r in resumed], key
    assert any("resuming" in m and "step 3" in m for m in messages)
    assert [r["step"] for r in training.read_history(tmp_path / "split")] == [1, 2, 3, 4, 5, 6]
    assert len(set(r["d_loss"] for r in whole)) > 1  # the losses do move


def test_checkpoints_hold_the_whole_state_and_only_the_newest_are_kept(tmp_path, rng):
    config = tiny_train_config("dense", num_steps=6, checkpoint_every=1, keep_checkpoints=2)
    trainer = training.train(config, noise_bursts(rng), tmp_path, log=lambda _: None)
    assert [p.name for p in training.checkpoint_paths(tmp_path)] == [
        "ckpt-00000005.npz",
        "ckpt-00000006.npz",
    ]
    assert not list((tmp_path / "checkpoints").glob("*.tmp"))
    with np.load(training.checkpoint_paths(tmp_path)[-1]) as content:
        meta = json.loads(content["meta"].tobytes())
        assert meta["step"] == 6
        assert training.TrainConfig.from_dict(meta["config"]) == config
        assert set(meta["layout"]) == {
            "generator", "discriminator", "ema_generator", "d_optimizer", "g_optimizer", "seed"
        }
        layout = meta["layout"]["g_optimizer"]
        iterations = [i for i, (path, _) in enumerate(layout) if "iteration" in path]
        assert int(content[f"g_optimizer/{iterations[0]}"]) == 6  # one Adam update per step
        assert int(content[f"d_optimizer/{iterations[0]}"]) == 12  # n_critic = 2
    # A fresh GAN restored from the checkpoint has the trained weights, EMA and seed state.
    fresh = training.build_gan(dataclasses.replace(config, seed=99))
    assert training.load_latest_checkpoint(fresh, tmp_path, log=lambda _: None) == 6
    for group, variables in trainer.gan.state_groups().items():
        restored = numpy_values(fresh.state_groups()[group])
        for a, b in zip(numpy_values(variables), restored, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=group)
    assert (tmp_path / "config.json").is_file()
    assert not (tmp_path / "stats.json").exists()  # waveform models need no statistics


def test_a_corrupt_latest_checkpoint_falls_back_to_the_previous_one(tmp_path, rng):
    config = tiny_train_config("dense", num_steps=4, checkpoint_every=2, keep_checkpoints=3)
    training.train(config, noise_bursts(rng), tmp_path, log=lambda _: None)
    first, latest = training.checkpoint_paths(tmp_path)
    latest.write_bytes(latest.read_bytes()[: latest.stat().st_size // 2])  # cut mid-write
    (tmp_path / "checkpoints" / ".ckpt-00000006.npz.123.tmp").write_bytes(b"partial")
    messages: list[str] = []
    gan = training.build_gan(config)
    assert training.load_latest_checkpoint(gan, tmp_path, log=messages.append) == 2
    assert len(messages) == 1 and "ckpt-00000004.npz" in messages[0] and "previous" in messages[0]
    # A wrong-config checkpoint is refused, not half-loaded.
    other = training.build_gan(tiny_train_config("dense", ema_decay=None))
    assert training.load_latest_checkpoint(other, tmp_path, log=messages.append) is None
    assert "another config" in messages[-1]


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, rng):
    class Poison(training.TrainCallback):
        def on_step_end(self, trainer, step, logs):
            if step == 3:
                kernel = trainer.gan.discriminator.trainable_variables[0]
                kernel.assign(np.full(kernel.shape, np.nan, dtype=np.float32))

    config = tiny_train_config("dense", num_steps=8, checkpoint_every=2)
    with pytest.raises(training.TrainingDiverged) as stop:
        training.train(
            config, noise_bursts(rng), tmp_path, callbacks=[Poison()], log=lambda _: None
        )
    message = str(stop.value)
    assert "step 4" in message and "nan" in message.lower() and "ckpt-00000002.npz" in message
    assert "lower the learning rates" in message
    assert [p.name for p in training.checkpoint_paths(tmp_path)] == ["ckpt-00000002.npz"]
    gan = training.build_gan(config)
    assert training.load_latest_checkpoint(gan, tmp_path, log=lambda _: None) == 2
    assert all(np.all(np.isfinite(w)) for w in numpy_values(gan.discriminator.variables))


def test_a_run_projected_over_an_hour_needs_allow_slow(tmp_path, rng):
    """The projection comes from a few measured steps, before the run gets far."""
    data = noise_bursts(rng)
    endless = tiny_train_config("dense", num_steps=50_000_000, checkpoint_every=1_000_000)

    class StopAt(training.TrainCallback):  # bounds the test should the guard not fire
        def on_step_end(self, trainer, step, logs):
            if step == 8:
                trainer.stop()

    with pytest.raises(training.RunTooSlow, match=r"projected wall time .* allow_slow=True"):
        training.train(endless, data, tmp_path / "slow", [StopAt()], log=lambda _: None)
    assert training.checkpoint_paths(tmp_path / "slow") == []

    messages: list[str] = []
    trainer = training.train(
        endless, data, tmp_path / "allowed", [StopAt()], messages.append, allow_slow=True
    )
    assert trainer.step == 8
    (projection,) = [m for m in messages if m.startswith("projected wall time")]
    pattern = r"projected wall time of the 49,999,99\d steps left: [\d.,]+ (h|days) "
    assert re.match(pattern, projection), projection
    # A short run says its (short) projection and trains to the end.
    messages.clear()
    short = tiny_train_config("dense", num_steps=8)
    assert training.train(short, data, tmp_path / "short", log=messages.append).step == 8
    assert any(m.startswith("projected wall time of the 4 steps left") for m in messages), messages
    assert [training.format_duration(s) for s in (45, 720, 5.3 * 3600, 230 * 86400)] == [
        "45 s", "12 min", "5.3 h", "230 days"
    ]


def test_nan_in_the_data_is_caught_at_the_first_step(tmp_path, rng):
    audio, labels = noise_bursts(rng)
    audio[:] = np.nan
    with pytest.raises(training.TrainingDiverged, match=r"step 1: d_loss"):
        training.train(tiny_train_config("dense"), (audio, labels), tmp_path, log=lambda _: None)
    assert training.checkpoint_paths(tmp_path) == []


_KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    sys.path.insert(0, {tests!r})
    from conftest import noise_bursts, tiny_train_config
    from audiogan_kit import training
    config = tiny_train_config(
        "dense", num_steps=100000, checkpoint_every=1, keep_checkpoints=3
    )
    print("started", flush=True)
    data = noise_bursts(np.random.default_rng(1234))
    # allow_slow: 100,000 steps only so that the kill, not the end, stops it
    training.train(config, data, {run!r}, log=lambda _: None, allow_slow=True)
    """
)


def test_a_run_killed_with_sigkill_resumes_from_its_last_checkpoint(tmp_path, rng):
    run = tmp_path / "run"
    script = _KILL_SCRIPT.format(tests=str(REPO / "tests"), run=str(run))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        # Checkpoints are written every step, so the kill lands during or between writes.
        while len(training.checkpoint_paths(run)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, "the training subprocess died on its own"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    last = int(training.checkpoint_paths(run)[-1].stem.split("-")[1])
    assert last >= 3
    messages: list[str] = []
    config = tiny_train_config("dense", num_steps=last + 2, checkpoint_every=1, keep_checkpoints=3)
    data = noise_bursts(np.random.default_rng(1234))
    resumed = training.train(config, data, run, log=messages.append)
    assert any(f"from step {last}" in m for m in messages), messages
    assert resumed.step == last + 2
    steps = [r["step"] for r in training.read_history(run)]
    assert steps == list(range(1, last + 3))  # rows past the checkpoint were dropped


def test_generate_from_a_run_makes_clips_of_the_asked_digit(tmp_path, rng):
    config = tiny_train_config("specgan", num_steps=2)
    training.train(config, noise_bursts(rng), tmp_path, log=lambda _: None)
    samples = sorted((tmp_path / "samples").glob("step-*.npz"))
    assert [s.name for s in samples] == ["step-00000002.npz"]
    with np.load(samples[0]) as content:
        assert content["examples"].shape == (2, 32, 64, 1)
        assert content["audio"].shape == (2, 4096) and np.all(np.abs(content["audio"]) <= 1)
    run = training.load_run(tmp_path, log=lambda _: None)
    assert run.step == 2
    audio = run.generate(3, digit=7)
    assert audio.shape == (3, 4096) and audio.dtype == np.float32
    assert np.all(np.isfinite(audio)) and np.abs(audio).max() <= 1.0
    assert not np.array_equal(audio[0], audio[1])  # different noise per clip
    with pytest.raises(ValueError, match="digit 0..9"):
        run.generate(1)
    with pytest.raises(ValueError, match="0..9, got 12"):
        run.generate(1, digit=12)


def test_a_run_folder_refuses_a_different_config(tmp_path, rng):
    data = noise_bursts(rng)
    training.train(tiny_train_config("dense", num_steps=2), data, tmp_path, log=lambda _: None)
    with pytest.raises(ValueError, match="another config"):
        training.make_trainer(tiny_train_config("dense", num_steps=2, loss="lsgan"), data, tmp_path)


def test_config_round_trips_through_json_and_checks_its_values(tmp_path):
    config = training.TRAIN_PRESETS["quick"]
    assert training.TrainConfig.load(config.save(tmp_path / "c.json")) == config
    with pytest.raises(ValueError, match="loss must be one of"):
        dataclasses.replace(config, loss="wasserstein")
    with pytest.raises(ValueError, match="n_critic must be a positive integer"):
        dataclasses.replace(config, n_critic=0)
    with pytest.raises(ValueError, match="ema_decay"):
        dataclasses.replace(config, ema_decay=1.0)
    with pytest.raises(ValueError, match=r"num_bins=256"):
        dataclasses.replace(config, spectrogram="linear")  # 256 STFT bins at n_fft 512
    with pytest.raises(ValueError, match="has no field"):
        training.TrainConfig.from_dict({**config.to_dict(), "lerning_rate": 1})


def test_presets_quick_is_a_small_conditional_mel_gan_and_paper_follows_wavegan():
    quick, paper = training.TRAIN_PRESETS["quick"], training.TRAIN_PRESETS["paper"]
    assert quick.model.architecture == "specgan-lite" and quick.spectrogram == "mel"
    assert quick.model.conditional and quick.ema_decay is not None
    assert (quick.model.num_frames, quick.model.num_bins) == (32, 64)
    assert (quick.audio.trim_db, quick.audio.pad_mode) == (40.0, "center")
    assert quick.output_pad_mode == "end"  # generated words start the clip, as FSDD's do
    assert quick.model.aux_classifier and 0 < quick.aux_weight < 1
    assert paper.model.architecture == "wavegan" and paper.model.model_dim == 64
    assert (paper.loss, paper.n_critic, paper.batch_size, paper.penalty_weight) == (
        "wgan-gp", 5, 64, 10.0
    )
    assert (paper.g_learning_rate, paper.d_learning_rate, paper.beta_1, paper.beta_2) == (
        1e-4, 1e-4, 0.5, 0.9
    )
    assert paper.model.phase_shuffle == 2


def test_mel_round_trip_keeps_the_spectral_envelope(rng):
    """Normalised log-mel -> audio (NNLS + Griffin-Lim) -> log-mel stays close."""
    from audiogan_kit import features

    config = AudioConfig()
    t = np.arange(config.num_samples) / config.sample_rate
    audio = np.stack([0.5 * np.sin(2 * np.pi * f * t) for f in (300.0, 1200.0)]).astype(np.float32)
    audio += 0.01 * rng.standard_normal(audio.shape).astype(np.float32)
    stats = features.compute_log_mel_stats(audio, config)
    assert stats.num_bins == config.n_mels
    normalized = features.normalize_spectrogram(features.log_mel(audio, config), stats)
    back = features.mel_to_audio(normalized, stats, config, n_iter=16)
    assert back.shape == audio.shape and np.abs(back).max() <= 1
    mel_in = ops.convert_to_numpy(features.log_mel(audio, config))
    mel_out = ops.convert_to_numpy(features.log_mel(back, config))
    # the loudest band is where the tone is, before and after
    assert np.array_equal(mel_in.mean(1).argmax(-1), mel_out.mean(1).argmax(-1))
    assert np.abs(mel_in - mel_out).mean() < 1.0  # natural-log units


def test_dashboard_shows_losses_samples_beside_real_clips_and_stops_cleanly(tmp_path, rng):
    from audiogan_kit.widgets import TrainingDashboard

    audio, labels = noise_bursts(rng)
    config = tiny_train_config("specgan", num_steps=2, sample_every=2, log_every=1)
    dashboard = TrainingDashboard(audio, labels, sample_rate=AUDIO.sample_rate)
    training.train(
        config, (audio, labels), tmp_path / "a", callbacks=[dashboard], log=lambda _: None
    )
    assert dashboard.status.value.startswith("finished at step 2")
    assert dashboard.loss_image.value[:4] == b"\x89PNG"
    comparison = dashboard.samples_box.children[0]
    titles = [p.label.value for p in comparison.players]
    assert titles[0].startswith("step 2: digit 0") and titles[1].startswith("real digit 0")
    assert len(comparison.players) == 2 * config.num_eval_samples



class _SlowSteps(training.TrainCallback):
    """Sleeps after every step, so that a run of a tiny model lasts long enough to be clicked."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_step_end(self, trainer, step, logs) -> None:
        time.sleep(self.seconds)


def _wait_for(condition, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert condition(), "timed out"


def test_dashboard_start_returns_while_it_trains_and_stop_leaves_a_resumable_run(tmp_path, rng):
    """The cell that starts a run is free at once; Stop ends it within two steps."""
    from audiogan_kit.widgets import RunStillGoing, TrainingDashboard

    data = noise_bursts(rng)
    # 1,000 steps of >= 20 ms: a start() that trained in the cell would return after 20 s+.
    config = tiny_train_config("dense", num_steps=1000, checkpoint_every=500, log_every=5)
    dashboard = TrainingDashboard(*data, sample_rate=AUDIO.sample_rate)
    assert dashboard.stop_button.disabled  # nothing to stop yet
    assert dashboard.start(config, data, tmp_path, callbacks=[_SlowSteps(0.02)]) is None
    assert dashboard.running and dashboard.trainer.step < 100
    assert not dashboard.stop_button.disabled
    with pytest.raises(RunStillGoing, match="still training"):
        dashboard.result()
    with pytest.raises(RuntimeError, match="still going"):
        dashboard.start(config, data, tmp_path / "other")
    _wait_for(lambda: dashboard.trainer.step >= 5)
    at_click = dashboard.trainer.step
    dashboard.stop_button.click()
    trainer = dashboard.wait(timeout=60)
    assert at_click <= trainer.step <= at_click + 2 < config.num_steps
    assert not dashboard.running and dashboard.stop_button.disabled
    assert "(stopped)" in dashboard.status.value and dashboard.error is None
    assert training.checkpoint_paths(tmp_path)[-1].name == f"ckpt-{trainer.step:08d}.npz"
    # A late click on the finished run changes nothing.
    finished = dashboard.status.value
    dashboard.stop()
    assert dashboard.status.value == finished
    # The stopped run resumes where it stopped.
    messages: list[str] = []
    more = dataclasses.replace(config, num_steps=trainer.step + 2)
    resumed = training.train(more, data, tmp_path, log=messages.append)
    assert resumed.step == trainer.step + 2
    assert any(f"from step {trainer.step}" in m for m in messages), messages


@pytest.mark.parametrize("receiver", ["process", "training thread"])
def test_an_interrupt_while_a_cell_waits_stops_the_run_and_wait_returns_it(
    tmp_path, rng, receiver, request
):
    """A kernel interrupt (SIGINT) during wait() is a Stop: the run ends with a checkpoint and
    wait() returns it, so that Run All goes on; the hint line says how, then what happened.
    The signal may reach any thread of the kernel: sent to the training thread, it must still
    stop the run within a few steps (a single long wait heard it only when the run ended)."""
    import threading

    from audiogan_kit.widgets import TrainingDashboard

    # A kernel's SIGINT handler raises KeyboardInterrupt; an earlier test may have left
    # another one installed in this process, so install Python's own for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    data = noise_bursts(rng)
    config = tiny_train_config("dense", num_steps=1000, checkpoint_every=500, log_every=5)
    dashboard = TrainingDashboard(*data, sample_rate=AUDIO.sample_rate)
    dashboard.start(config, data, tmp_path, callbacks=[_SlowSteps(0.02)])
    _wait_for(lambda: dashboard.trainer.step >= 5)
    seen = {}

    def interrupt() -> None:  # what JupyterLab's interrupt button does to the kernel
        seen["hint"], seen["step"] = dashboard.hint.value, dashboard.trainer.step
        if receiver == "process":
            os.kill(os.getpid(), signal.SIGINT)
        else:
            signal.pthread_kill(dashboard._thread.ident, signal.SIGINT)

    timer = threading.Timer(0.5, interrupt)
    timer.start()
    try:
        trainer = dashboard.wait(timeout=60)
    except KeyboardInterrupt:
        pytest.fail("wait() let the interrupt through instead of stopping the run")
    finally:
        timer.cancel()
    assert "interrupt the kernel" in seen["hint"]
    assert trainer.stop_requested and seen["step"] <= trainer.step <= seen["step"] + 30
    assert trainer.step < config.num_steps and not dashboard.running
    assert dashboard.hint.value == f"interrupted: stopped at step {trainer.step}, checkpoint saved"
    assert training.checkpoint_paths(tmp_path)[-1].name == f"ckpt-{trainer.step:08d}.npz"


def test_a_run_that_fails_in_the_thread_shows_its_error_and_frees_the_comparison(tmp_path, rng):
    from audiogan_kit.widgets import RunComparison, TrainingDashboard

    audio, labels = noise_bursts(rng)
    broken = (np.full_like(audio, np.nan), labels)
    comparison = RunComparison(tiny_train_config("dense"), broken, tmp_path)
    comparison.controls["num_steps"].value = 10
    comparison.start_button.click()
    with pytest.raises(training.TrainingDiverged):
        comparison.dashboard.wait(timeout=120)
    assert "stopped by an error at step 0: TrainingDiverged" in comparison.dashboard.status.value
    message = comparison.message.value
    assert "run-1 failed" in message and "TrainingDiverged" in message
    assert not comparison.start_button.disabled and comparison.results == []
    # The next click trains in a new folder (run-1 stays as it is), with good data.
    comparison.dataset = (audio, labels)
    comparison.start_button.click()
    comparison.dashboard.wait(timeout=120)
    assert [row["run"] for row in comparison.results] == ["run-2"]
    # A folder of another run refuses a start in the calling cell, with the reason shown.
    dashboard = TrainingDashboard()
    other = dataclasses.replace(tiny_train_config("dense"), loss="lsgan")
    with pytest.raises(ValueError, match="another config"):
        dashboard.start(other, (audio, labels), tmp_path / "run-2")
    assert dashboard.status.value.startswith("could not start") and not dashboard.running


class _StubJudge:
    """Says the first half of the clips it is given are heard as the digit asked for."""

    def __init__(self) -> None:
        self.seen: list[tuple[tuple[int, ...], list[int]]] = []

    def accuracy(self, audio, labels) -> float:
        self.seen.append((np.shape(audio), list(labels)))
        return float(np.mean(np.arange(len(labels)) < len(labels) // 2))


def test_run_comparison_trains_with_the_chosen_values_and_tabulates_them(tmp_path, rng):
    from audiogan_kit.widgets import RunComparison

    judge = _StubJudge()
    comparison = RunComparison(
        tiny_train_config("dense"), noise_bursts(rng), tmp_path, judge=judge, judge_clips=20
    )
    # Choosing a loss sets the critic steps of its paper; the slider can still be moved.
    comparison.controls["loss"].value = "wgan-gp"
    assert comparison.controls["n_critic"].value == 5
    comparison.controls["loss"].value = "lsgan"
    assert comparison.controls["n_critic"].value == 1
    comparison.controls["n_critic"].value = 2
    comparison.controls["num_steps"].value = 12
    comparison.controls["n_critic"].value = 1
    # No judge plot shown before a judged run has drawn it (an empty <img> in a browser).
    assert comparison.judge_plot not in comparison.children
    comparison.start_button.click()
    comparison.dashboard.wait(timeout=120)
    (row,) = comparison.results
    assert (row["loss"], row["steps"], row["n_critic"], row["batch_size"]) == ("lsgan", 12, 1, 4)
    assert np.isfinite(row["d_loss"]) and row["wall_s"] > 0
    assert "<td>lsgan</td>" in comparison.table.value
    saved = training.TrainConfig.load(tmp_path / "run-1" / "config.json")
    assert saved.loss == "lsgan" and saved.num_steps == 12
    # The judge heard 20 clips of the run's generator, two of each digit, at steps 3, 6, 9, 12.
    assert judge.seen == [((20, 4096), [d % 10 for d in range(20)])] * 4
    assert comparison.judge_curves == {"run-1": [(3, 0.5), (6, 0.5), (9, 0.5), (12, 0.5)]}
    assert bytes(comparison.judge_plot.value).startswith(b"\x89PNG")
    at = comparison.children.index(comparison.table)
    assert comparison.children[at + 1] is comparison.judge_plot  # drawn: under the table
    assert row["judge_accuracy"] == 0.5 and "<td>0.5</td>" in comparison.table.value
    # The run's last sample set, as players under the table.
    audio, labels = comparison.end_samples["run-1"]
    assert audio.shape == (2, 4096) and list(labels) == [0, 1]
    title, grid = comparison.samples_box.children
    assert "run-1" in title.value and "step 12" in title.value
    assert [p.label.value.split(" (")[0] for p in grid.players] == ["digit 0", "digit 1"]
    # A second click with another loss trains a new run; never "another config".
    comparison.controls["loss"].value = "hinge"
    comparison.start_button.click()
    comparison.dashboard.wait(timeout=120)
    assert [r["run"] for r in comparison.results] == ["run-1", "run-2"]
    assert len(comparison.samples_box.children) == 4


@pytest.mark.backend
def test_the_aux_classifier_term_trains_the_class_head_of_both_players(rng):
    config = tiny_train_config("specgan1d", loss="nonsaturating", n_critic=1)
    model = dataclasses.replace(config.model, aux_classifier=True)
    config = dataclasses.replace(config, model=model, aux_weight=0.5)
    gan = training.build_gan(config)
    head = gan.discriminator.get_layer("class_logits")
    before = numpy_values(head.trainable_weights)
    real = rng.uniform(-1, 1, (1, 4, *model.sample_shape)).astype(np.float32)
    labels = rng.integers(0, 10, (1, 4)).astype(np.int32)
    logs = {k: float(ops.convert_to_numpy(v)) for k, v in gan.train_step((real, labels)).items()}
    # An untrained head guesses: cross-entropy near log 10, times the weight 0.5.
    assert logs["aux_real"] == pytest.approx(0.5 * np.log(10), rel=0.3)
    assert logs["aux_fake"] == pytest.approx(0.5 * np.log(10), rel=0.3)
    after = numpy_values(head.weights)
    assert all(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    with pytest.raises(ValueError, match="aux_classifier=True"):
        dataclasses.replace(config, model=dataclasses.replace(model, aux_classifier=False))


@pytest.mark.backend
def test_feature_matching_pulls_the_generator_towards_the_real_features(rng):
    config = tiny_train_config("specgan1d", loss="nonsaturating", n_critic=1)
    config = dataclasses.replace(config, feature_matching=5.0, ema_decay=None)
    gan = training.build_gan(config)
    real = rng.uniform(-1, 1, (1, 4, *config.model.sample_shape)).astype(np.float32)
    labels = rng.integers(0, 10, (1, 4)).astype(np.int32)
    # The same start without the term: its generator update differs only by the term.
    plain = training.build_gan(dataclasses.replace(config, feature_matching=0.0))
    for a, b in zip(
        plain.generator.weights + plain.discriminator.weights,
        gan.generator.weights + gan.discriminator.weights,
        strict=True,
    ):
        a.assign(b.value)
    logs = {k: float(ops.convert_to_numpy(v)) for k, v in gan.train_step((real, labels)).items()}
    plain_logs = plain.train_step((real, labels))
    assert "feature_matching" not in plain_logs
    assert logs["feature_matching"] > 0.0
    # Same weights, data and noise: only the term can make the two generators differ.
    moved = [
        float(np.abs(ops.convert_to_numpy(a.value) - ops.convert_to_numpy(b.value)).max())
        for a, b in zip(
            gan.generator.trainable_weights, plain.generator.trainable_weights, strict=True
        )
    ]
    assert max(moved) > 1e-6
    with pytest.raises(ValueError, match="feature_matching"):
        dataclasses.replace(config, feature_matching=-1.0)


@pytest.mark.backend
def test_ema_warm_up_follows_the_raw_weights_at_first(rng):
    config = tiny_train_config("dense", n_critic=1, ema_decay=0.99, ema_warmup=10)
    gan = training.build_gan(config)
    ema_before = numpy_values(gan.ema_generator.weights)
    real = rng.uniform(-1, 1, (1, 4, *config.model.sample_shape)).astype(np.float32)
    gan.train_step((real, rng.integers(0, 10, (1, 4)).astype(np.int32)))
    # After generator step t = 1 the decay is min(0.99, (1 + 1) / (10 + 1)) = 2/11.
    kernel = next(i for i, w in enumerate(gan.generator.weights) if "kernel" in w.path)
    raw = numpy_values(gan.generator.weights)[kernel]
    expected = 2 / 11 * ema_before[kernel] + 9 / 11 * raw
    np.testing.assert_allclose(numpy_values(gan.ema_generator.weights)[kernel], expected,
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("decay_start, fraction", [(0, 1 / 4), (2, 1 / 2), (3, 2**-0.5)])
def test_learning_rates_halve_every_half_life_after_the_decay_start(
    tmp_path, rng, decay_start, fraction
):
    config = tiny_train_config("dense", n_critic=2, num_steps=4, lr_half_life=2,
                               lr_decay_start=decay_start)
    trainer = training.train(config, noise_bursts(rng), tmp_path, log=lambda _: None)
    g_rate = float(ops.convert_to_numpy(trainer.gan.g_optimizer.learning_rate))
    d_rate = float(ops.convert_to_numpy(trainer.gan.d_optimizer.learning_rate))
    # 4 generator steps, the last 4 - start of them at a half-life of 2, for both players
    # (D counts n_critic updates a step).
    assert g_rate == pytest.approx(config.g_learning_rate * fraction, rel=1e-5)
    assert d_rate == pytest.approx(config.d_learning_rate * fraction, rel=1e-5)


def test_a_decay_start_needs_a_half_life():
    with pytest.raises(ValueError, match="lr_decay_start=5 needs lr_half_life"):
        tiny_train_config("dense", lr_decay_start=5)


def test_augmentation_is_checked():
    with pytest.raises(ValueError, match="augment_shift must be in 0..31"):
        tiny_train_config("specgan1d", augment_shift=32)


def test_shift_augmentation_changes_what_the_discriminator_sees(rng):
    import keras

    plain = tiny_train_config("specgan1d", n_critic=1)
    real = rng.uniform(-1, 1, (1, 4, *plain.model.sample_shape)).astype(np.float32)
    labels = rng.integers(0, 10, (1, 4)).astype(np.int32)
    d_real = {}
    for shift in (0, 8):
        keras.utils.set_random_seed(0)  # the same weights and noise for both
        gan = training.build_gan(dataclasses.replace(plain, augment_shift=shift))
        d_real[shift] = float(ops.convert_to_numpy(gan.train_step((real, labels))["d_real"]))
    assert np.isfinite(d_real[8]) and d_real[8] != pytest.approx(d_real[0], abs=1e-6)


def test_output_pad_mode_lays_generated_audio_out_like_the_recordings():
    quick = dataclasses.replace(training.TRAIN_PRESETS["quick"], griffin_lim_iters=4)
    clips = np.zeros((4, quick.audio.num_samples), np.float32)
    for i, freq in enumerate((300, 500, 700, 900)):
        clips[i, 3000:5400] = tone(freq, 0.3, quick.audio.sample_rate)  # a centred word

    def onsets(config):
        audio = training.resynthesize(clips, config)
        return [int(np.argmax(np.abs(clip) > 0.05 * np.abs(clip).max())) for clip in audio]

    assert all(onset <= 512 for onset in onsets(quick))  # "end": the word starts the clip
    as_read = onsets(dataclasses.replace(quick, output_pad_mode=None))
    assert all(2500 <= onset <= 3100 for onset in as_read), as_read
    with pytest.raises(ValueError, match="output_pad_mode"):
        dataclasses.replace(quick, output_pad_mode="start")


def test_output_normalize_gives_generated_clips_the_level_of_the_recordings():
    quick = training.TRAIN_PRESETS["quick"]
    assert not quick.output_normalize  # off in the preset (benchmarks/presets.md, session 8)
    quick = dataclasses.replace(quick, griffin_lim_iters=4, output_normalize=True)
    clips = np.zeros((3, quick.audio.num_samples), np.float32)
    for i, (freq, gain) in enumerate(((300, 0.9), (500, 0.2), (700, 0.05))):
        clips[i, 3000:5400] = gain * tone(freq, 0.3, quick.audio.sample_rate)

    def peaks(config):
        return np.abs(training.resynthesize(clips, config, progress=False)).max(axis=1)

    assert peaks(quick) == pytest.approx([0.95] * 3, abs=1e-5)  # audio.peak_level
    as_inverted = peaks(dataclasses.replace(quick, output_normalize=False))
    assert as_inverted.max() / as_inverted.min() > 2  # the levels differ without it


def test_sample_temperature_scales_the_sampling_noise_and_not_the_training_noise():
    config = dataclasses.replace(tiny_train_config(), sample_temperature=0.5, num_eval_samples=64)
    sampler = training.NoiseSampler(config, stats=None)
    cold = float(np.std(sampler.noise))
    standard = dataclasses.replace(config, sample_temperature=1.0)
    warm = float(np.std(training.NoiseSampler(standard, stats=None).noise))
    assert cold == pytest.approx(0.5 * warm, rel=1e-6) and 0.8 < warm < 1.2
    noise = training.sample_noise(np.random.default_rng(0), 1000, config)
    assert noise.dtype == np.float32 and float(np.std(noise)) == pytest.approx(0.5, abs=0.03)
    with pytest.raises(ValueError, match="sample_temperature"):
        dataclasses.replace(config, sample_temperature=0.0)


def test_for_classes_makes_the_quick_preset_unconditional_or_resizes_its_classes():
    quick = training.TRAIN_PRESETS["quick"]
    plain = training.for_classes(quick, 1)  # a flat folder: one class is no class
    assert plain.model.num_classes == 0 and not plain.model.conditional
    assert not plain.model.aux_classifier and plain.aux_weight == 0.0
    gan = training.build_gan(plain)
    assert len(gan.generator.inputs) == 1  # noise only, no label input
    three = training.for_classes(quick, 3)
    assert three.model.num_classes == 3 and three.model.aux_classifier and three.aux_weight > 0
    assert training.for_classes(quick, 10) is quick
