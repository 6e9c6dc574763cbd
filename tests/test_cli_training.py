"""`audiogan train` and `audiogan generate` on a tiny budget, and their option checks."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile

from audiogan_kit import cli, training

TINY = ["--steps", "2", "--batch-size", "4", "--model-dim", "2", "--checkpoint-every", "1"]


def test_train_then_resume_then_generate_wav_files(tmp_path, fsdd_path, capsys):
    run = tmp_path / "run"
    args = ["train", "--preset", "quick", "--data", str(fsdd_path), "--out", str(run), "--quiet"]
    assert cli.main(args + TINY + ["--sample-every", "2"]) == 0
    assert "to step 2" in capsys.readouterr().out
    config = training.TrainConfig.load(run / "config.json")
    assert config.model.model_dim == 2 and config.batch_size == 4 and config.num_steps == 2
    assert config.model.architecture == "specgan-lite" and config.spectrogram == "mel"
    assert [p.name for p in training.checkpoint_paths(run)] == [
        "ckpt-00000001.npz",
        "ckpt-00000002.npz",
    ]
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))

    # Same folder, more steps: resumes with the saved settings.
    argv = ["train", "--data", str(fsdd_path), "--out", str(run), "--steps", "3", "--quiet"]
    assert cli.main(argv) == 0
    assert training.checkpoint_paths(run)[-1].name == "ckpt-00000003.npz"
    assert [r["step"] for r in training.read_history(run)] == [2, 3]  # log_every 10, and the end

    out = tmp_path / "wavs"
    assert cli.main(["generate", str(run), "--digit", "7", "-n", "3", "--out", str(out)]) == 0
    wavs = sorted(out.glob("*.wav"))
    assert [w.name for w in wavs] == ["digit7_000.wav", "digit7_001.wav", "digit7_002.wav"]
    audio, rate = soundfile.read(wavs[0])
    assert rate == 8000 and audio.shape == (8192,) and np.abs(audio).max() <= 1.0
    assert "from step 3" in capsys.readouterr().out
    # --vocoder must name a vocoder run: refused before anything is written.
    with pytest.raises(SystemExit, match="--vocoder: .* is not a vocoder run"):
        cli.main(["generate", str(run), "--digit", "7", "-n", "1", "--out",
                  str(tmp_path / "vocoded"), "--vocoder", str(tmp_path / "wavs")])
    assert not (tmp_path / "vocoded").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--steps", "0"], "--steps: '0' must be a positive whole number"),
        (["--batch-size", "x"], "--batch-size: 'x' is not a whole number"),
        (["--loss", "wasserstein"], "invalid choice: 'wasserstein'"),
        (["--lr", "-1"], "--lr: '-1' must be a positive number"),
        (["--preset", "huge"], "invalid choice: 'huge'"),
        (["--ema-decay", "1.5"], "ema_decay must be in (0, 1)"),
    ],
)
def test_bad_train_options_stop_before_any_work(tmp_path, extra, message, capsys):
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "--out", str(run), "--data", str(tmp_path)] + extra)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not run.exists()


def test_resume_refuses_changed_settings(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    training.TRAIN_PRESETS["quick"].save(run / "config.json")
    with pytest.raises(SystemExit):
        cli.main(["train", "--out", str(run), "--data", str(tmp_path), "--loss", "lsgan"])
    assert "only --steps may be given" in capsys.readouterr().err


def test_bad_generate_options_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["generate", str(tmp_path), "--out", str(tmp_path / "o")])
    assert stop.value.code == 2 and "not a training run" in capsys.readouterr().err
    run = tmp_path / "run"
    run.mkdir()
    training.TRAIN_PRESETS["quick"].save(run / "config.json")
    for bad in (["--digit", "12"], ["--digit", "7", "-n", "0"]):
        with pytest.raises(SystemExit) as stop:
            cli.main(["generate", str(run), "--out", str(tmp_path / "o")] + bad)
        assert stop.value.code == 2
    assert "'12' is not a digit 0-9" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_help_explains_every_option():
    for command in ("train", "generate"):
        result = subprocess.run(
            [sys.executable, "-m", "audiogan_kit.cli", command, "--help"],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0
        parser = cli.build_parser()
        sub = parser._subparsers._group_actions[0].choices[command]
        for action in sub._actions:
            assert action.help, f"{command} {action.option_strings} has no help"
            for option in action.option_strings:
                assert option in result.stdout
