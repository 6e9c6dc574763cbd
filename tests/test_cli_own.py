"""`audiogan train --folder` on a folder of one's own, export, and the faults that lose nothing.

Every training here is a few steps of a tiny model (model_dim 2, batch 4).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from audiogan_kit import cli, training
from audiogan_kit.io import FolderInUse, exclusive_lock
from conftest import REPO, make_own_folder

TINY = ["--batch-size", "4", "--model-dim", "2", "--quiet"]
pytestmark = pytest.mark.filterwarnings("ignore:skipped .* bad file")


@pytest.fixture(scope="module")
def own(tmp_path_factory) -> Path:
    """The mixed folder of conftest.make_own_folder, flat (no labels)."""
    folder = tmp_path_factory.mktemp("own") / "sounds"
    make_own_folder(folder)
    return folder


def test_train_on_own_classes_then_export_then_generate(tmp_path, own, capsys):
    classes = tmp_path / "classes"
    for label, names in {"tones": ["a_16k.wav", "c_22k.ogg", "broken.wav"],
                         "long": ["long_8k.wav", "long_44k.flac"]}.items():
        (classes / label).mkdir(parents=True)
        for name in names:
            shutil.copy(own / name, classes / label / name)
    run = tmp_path / "run"
    argv = ["train", "--folder", str(classes), "--out", str(run), "--steps", "2",
            "--checkpoint-every", "1", "--batch-size", "4", "--model-dim", "2"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "7 clips of 1.024 s at 8000 Hz from 4 files" in out  # 3 + 2 windows, 2 short files
    assert "classes: 2 (long 5, tones 2 clips)" in out and "broken.wav cannot be decoded" in out
    config = training.TrainConfig.load(run / "config.json")
    assert config.model.num_classes == 2 and config.model.aux_classifier
    saved = json.loads((run / "data.json").read_text())
    assert saved["class_names"] == ["long", "tones"] and saved["labels"] == "subfolders"

    model_file = tmp_path / "export" / "generator.keras"
    assert cli.main(["export", str(run), "--out", str(model_file)]) == 0
    import keras

    import audiogan_kit.layers  # noqa: F401  (registers the kit's layers)

    plain = keras.saving.load_model(model_file, safe_mode=True, compile=False)
    made = plain([np.zeros((2, config.model.latent_dim), np.float32), np.array([0, 1])])
    assert tuple(made.shape) == (2, config.model.num_frames, config.model.num_bins, 1)

    from_run, from_file = tmp_path / "from_run", tmp_path / "from_file"
    assert cli.main(["generate", str(run), "--label", "tones", "-n", "2", "--out",
                     str(from_run)]) == 0
    assert cli.main(["generate", str(model_file), "--label", "tones", "-n", "2", "--out",
                     str(from_file)]) == 0
    wavs = sorted(from_file.glob("*.wav"))
    assert [w.name for w in wavs] == ["tones_000.wav", "tones_001.wav"]
    a, rate = soundfile.read(from_run / "tones_000.wav")
    b, _ = soundfile.read(wavs[0])
    assert rate == 8000 and a.shape == (8192,) and np.abs(a - b).max() < 1e-3  # same generator
    with pytest.raises(SystemExit, match="'dogs' is not one of"):
        cli.main(["generate", str(model_file), "--label", "dogs", "--out", str(from_file)])
    # The same file under the JAX backend, in a fresh process: the same audio, and not one
    # line of TensorFlow's CUDA probing on stderr.
    from_jax = tmp_path / "from_jax"
    jax = subprocess.run(
        [sys.executable, "-m", "audiogan_kit", "--backend", "jax", "generate", str(model_file),
         "--label", "tones", "-n", "2", "--out", str(from_jax)],
        cwd=REPO, capture_output=True, text=True,
    )
    assert jax.returncode == 0 and jax.stderr == "", jax.stderr
    c, _ = soundfile.read(from_jax / "tones_000.wav")
    assert np.abs(b - c).max() < 1e-3


def _failing_second_write(real):
    """An atomic_write whose second use fails half-way with ENOSPC (a full disk)."""
    calls = []

    @contextlib.contextmanager
    def atomic_write(path):
        calls.append(path)
        with real(path) as handle:
            if len(calls) == 2:
                handle.write(b"PK\x03\x04 half a checkpoint")
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            yield handle

    return atomic_write


def test_full_disk_during_a_checkpoint_keeps_the_previous_one(tmp_path, own, capsys,
                                                              monkeypatch):
    from audiogan_kit.training import checkpoints

    failing = _failing_second_write(checkpoints.atomic_write)
    monkeypatch.setattr(checkpoints, "atomic_write", failing)
    run = tmp_path / "run"
    argv = ["train", "--folder", str(own), "--labels", "none", "--out", str(run), "--steps", "5",
            "--checkpoint-every", "1", *TINY]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "could not write the checkpoint of step 2" in err and "No space left on device" in err
    assert "the previous checkpoint ckpt-00000001.npz (step 1) is whole" in err
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["ckpt-00000001.npz"]  # no .tmp
    gan = training.build_gan(training.TrainConfig.load(run / "config.json"))
    assert training.load_latest_checkpoint(gan, run) == 1
    monkeypatch.undo()  # the disk has room again: the same command resumes from step 1
    assert cli.main(argv) == 0
    assert training.checkpoint_paths(run)[-1].name == "ckpt-00000005.npz"


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.2)


def test_ctrl_c_checkpoints_the_current_step_and_a_second_train_is_refused(tmp_path, own,
                                                                          capsys):
    run = tmp_path / "run"
    command = [sys.executable, "-m", "audiogan_kit", "train", "--folder", str(own), "--labels",
               "none", "--out", str(run), "--steps", "100000", "--checkpoint-every", "1000",
               "--allow-slow",
               "--set", "log_every=1", *TINY]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        _wait_for(lambda: len(training.read_history(run)) >= 2 or process.poll() is not None,
                  240, "two training steps")
        assert process.poll() is None, process.communicate()
        # A second `audiogan train` on the folder in use is refused before loading any data.
        assert cli.main(["train", "--out", str(run), "--steps", "5", "--quiet"]) == 1
        err = capsys.readouterr().err
        assert f"is in use by another process (pid {process.pid})" in err
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    step = training.read_history(run)[-1]["step"]
    assert f"interrupted at step {step}: wrote" in stdout
    assert training.checkpoint_paths(run)[-1].name == f"ckpt-{step:08d}.npz"
    with exclusive_lock(run):  # released on exit: a new run may start
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from audiogan_kit.io import exclusive_lock\n"
         "with exclusive_lock(sys.argv[1]):\n print('held', flush=True); time.sleep(120)",
         str(tmp_path)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderInUse, match=f"pid {holder.pid}"), exclusive_lock(tmp_path):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with exclusive_lock(tmp_path):  # the kernel released it with the process
        assert (tmp_path / ".lock").read_text() == str(os.getpid())


def test_a_hand_edited_config_is_refused_naming_the_field(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    training.TRAIN_PRESETS["quick"].save(run / "config.json")
    values = json.loads((run / "config.json").read_text())
    for field, bad, message in [
        ("batch_size", "32", "batch_size must be a whole number, got '32'"),
        ("batch_size", -3, "batch_size must be a positive integer, got -3"),
        ("ema_decay", 1.5, "ema_decay must be in (0, 1) or None, got 1.5"),
    ]:
        (run / "config.json").write_text(json.dumps({**values, field: bad}))
        for argv in (["train", "--out", str(run), "--steps", "3"],
                     ["generate", str(run), "--digit", "1", "--out", str(tmp_path / "o")]):
            with pytest.raises(SystemExit) as stop:
                cli.main(argv)
            text = str(stop.value.code) + capsys.readouterr().err
            assert message in text and "config.json" in text
    assert not (tmp_path / "o").exists() and not (run / "checkpoints").exists()


@contextlib.contextmanager
def _unwritable_folder(tmp_path: Path):
    """A folder this process cannot write to: chmod 555, made immutable when running as root
    (chmod does not stop root), else a path under /sys (no one may create folders there)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    if os.access(folder, os.W_OK):  # root
        chattr = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
        immutable = chattr.returncode == 0
    try:
        yield folder if (immutable or not os.access(folder, os.W_OK)) else Path("/sys/audiogan")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_a_read_only_out_fails_before_any_training(tmp_path, own, capsys):
    with _unwritable_folder(tmp_path) as folder:
        for out in (folder, folder / "run"):
            with pytest.raises(SystemExit) as stop:
                cli.main(["train", "--folder", str(own), "--labels", "none", "--out", str(out)])
            assert stop.value.code == 2
            err = capsys.readouterr().err
            assert f"--out {out} is not writable" in err and "nothing was trained" in err
        assert list(folder.iterdir()) == []


# The bad inputs of issue 18 and their messages: each stops `audiogan train` with exit code 2
# before any work (nothing is written).
BAD_INPUTS = [
    (["--set", "audio.n_mels=0"], "audio: n_mels must be a positive whole number, got 0."),
    (["--set", "audio.sample_rate=NaN"], "sample_rate must be a whole number, got nan"),
    (["--set", "audio.sample_rate=8000.5"], "sample_rate must be a whole number, got 8000.5"),
    (["--set", "audio.fmin=-5"], "fmin must be in [0, 4000.0) Hz"),
    (["--set", "audio.fmax=5000"], "fmax=5000 Hz is above the Nyquist frequency 4000.0 Hz"),
    (["--set", "audio.log_floor=0"], "log_floor must be > 0"),
    (["--set", "audio.trim_db=-10"], "trim_db must be > 0 dB"),
    (["--set", "audio.peak_level=Infinity"], "peak_level must be a finite number, got inf"),
    (["--set", "audio.normalize=loud"], "normalize must be 'peak', 'rms' or 'none'"),
    (["--set", "batch_size=abc"], "batch_size must be a whole number, got 'abc'"),
    (["--set", "batch_size=2.5"], "batch_size must be a whole number, got 2.5"),
    (["--set", "batch_size=true"], "batch_size must be a whole number, got True"),
    (["--set", "batchsize=4"], "has no field 'batchsize'; did you mean 'batch_size'?"),
    (["--set", "batch_size"], "'batch_size' is not key=value"),
    (["--set", "audio.window=hann"], "audio has no field 'window'"),
    (["--set", "loss=wasserstein"], "loss must be one of"),
    (["--set", "g_learning_rate=NaN"], "g_learning_rate must be a positive number, got nan"),
    (["--set", "gp_weight=-1"], "gp_weight and r1_weight must be >= 0"),
    (["--set", "r1_weight=NaN"], "r1_weight must be a finite number, got nan"),
    (["--set", "ema_decay=1.5"], "ema_decay must be in (0, 1) or None"),
    (["--set", "n_critic=0"], "n_critic must be a positive integer, got 0"),
    (["--set", "spectrogram=cqt"], "spectrogram must be one of ('linear', 'mel')"),
    (["--set", "augment_shift=99"], "augment_shift must be in 0..31 steps"),
    (["--set", "model.model_dim=0"], "model: model_dim must be positive, got 0"),
    (["--set", "model.num_classes=1"], "num_classes must be 0 (unconditional) or >= 2"),
    (["--set", "precision=fp8"], "precision must be one of"),
    (["--devices", "3"], "devices must be a positive integer that divides batch_size=32"),
    (["--precision", "fp8"], "--precision: invalid choice: 'fp8'"),
    (["--hop", "-1"], "--hop: '-1' must be a positive number"),
    (["--labels", "pattern"], "--labels pattern needs --pattern REGEX"),
    (["--labels", "pattern", "--pattern", "(?P<label>"], "is not a valid regex"),
    (["--config", "missing.json"], "--config missing.json: cannot read it as JSON"),
    (["--config", "{audio}"], "--config {audio}: audio: n_mels must be a whole number, got '64'"),
]


@pytest.mark.parametrize(("extra", "message"), BAD_INPUTS, ids=[" ".join(e) for e, _ in BAD_INPUTS])
def test_bad_inputs_are_refused_with_their_message(tmp_path, own, extra, message, capsys):
    config_file = tmp_path / "partial.json"
    config_file.write_text(json.dumps({"audio": {"n_mels": "64"}, "batch_size": 16}))
    extra = [str(config_file) if e == "{audio}" else e for e in extra]
    message = message.replace("{audio}", str(config_file))
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "--folder", str(own), "--out", str(out), "--labels", "none", *extra])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_version_from_the_module_entry_point():
    """`python -m audiogan_kit --version`, answered without importing Keras. (That a real
    command prints nothing of TensorFlow's is checked by the JAX generate above.)"""
    version = subprocess.run([sys.executable, "-m", "audiogan_kit", "--version"], cwd=REPO,
                             capture_output=True, text=True, check=True, timeout=60)
    import audiogan_kit

    assert version.stdout.strip() == f"audiogan-kit {audiogan_kit.__version__}"
    assert version.stderr == ""


def test_native_log_lines_are_hidden_unless_verbose(capfd):
    with cli.native_stderr_silenced():
        os.write(2, b"E0000 cuda_executor.cc failed call to cuInit: UNKNOWN ERROR (303)\n")
    with cli.native_stderr_silenced(active=False):
        os.write(2, b"shown\n")
    assert capfd.readouterr().err == "shown\n"
