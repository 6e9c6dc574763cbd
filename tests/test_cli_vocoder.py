"""`audiogan train-vocoder` on a tiny budget, its resume, and its option checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from audiogan_kit import cli, training

#: A vocoder of a few channels, one scale and one period, on 1,024-sample segments.
TINY = [
    "--steps", "2", "--batch-size", "2", "--segment-length", "1024", "--checkpoint-every", "1",
    "--set", "model.channels=4", "--set", "model.num_scales=1", "--set", "model.periods=[3]",
    "--set", "model.discriminator_channels=[2,4]", "--set", "num_eval_samples=2", "--quiet",
]  # fmt: skip


def test_train_vocoder_then_resume_then_generate_through_it(tmp_path, fsdd_path, capsys):
    vocoder = tmp_path / "vocoder"
    argv = ["train-vocoder", "--data", str(fsdd_path), "--out", str(vocoder)]
    assert cli.main(argv + TINY) == 0
    assert "to step 2" in capsys.readouterr().out
    config = training.VocoderTrainConfig.load(vocoder / "config.json")
    assert config.segment_length == 1024 and config.batch_size == 2 and config.num_steps == 2
    assert config.model.channels == 4 and config.model.periods == (3,)
    assert config.audio == training.TRAIN_PRESETS["quick"].audio
    with np.load(vocoder / "samples" / "step-00000002.npz") as samples:
        assert samples["audio"].shape == (2, 8192)  # whole held-out clips

    # --resume, more steps: continues from the saved run.
    argv_resume = ["train-vocoder", "--data", str(fsdd_path), "--out", str(vocoder)]
    assert cli.main(argv_resume + ["--resume", "--steps", "3", "--quiet"]) == 0
    assert training.checkpoint_paths(vocoder)[-1].name == "ckpt-00000003.npz"
    assert [r["step"] for r in training.read_history(vocoder)][-1] == 3
    loaded = training.load_vocoder_run(vocoder, log=lambda _: None)
    assert loaded.step == 3

    # A tiny quick GAN (same audio config) through the vocoder.
    run = tmp_path / "gan"
    gan = ["train", "--preset", "quick", "--data", str(fsdd_path), "--out", str(run), "--quiet"]
    assert cli.main(gan + ["--steps", "1", "--batch-size", "4", "--model-dim", "2"]) == 0
    out = tmp_path / "wavs"
    argv = ["generate", str(run), "--digit", "3", "-n", "2", "--out", str(out)]
    assert cli.main(argv + ["--vocoder", str(vocoder)]) == 0
    wavs = sorted(out.glob("*.wav"))
    assert [w.name for w in wavs] == ["digit3_000.wav", "digit3_001.wav"]
    audio, rate = soundfile.read(wavs[0])
    assert rate == 8000 and audio.shape == (8192,) and np.abs(audio).max() <= 1.0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--segment-length", "1000"], "segment_length=1000 must be a whole number of hops"),
        (["--segment-length", "16384"], "segment_length=16384 must be a whole number of hops"),
        (["--steps", "0"], "--steps: '0' must be a positive whole number"),
        (["--preset", "huge"], "invalid choice: 'huge'"),
        (["--set", "feature_weight=-1"], "--set: stft_weight, feature_weight"),
        (["--resume"], "--resume: "),
    ],
)
def test_bad_vocoder_options_exit_2_before_anything_is_written(tmp_path, extra, message, capsys):
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        cli.main(["train-vocoder", "--out", str(run), "--data", str(tmp_path)] + extra)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not run.exists()


def test_a_saved_run_resumes_only_with_its_own_settings(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    training.VOCODER_TRAIN_PRESETS["quick"].save(run / "config.json")
    with pytest.raises(SystemExit) as stop:
        cli.main(["train-vocoder", "--out", str(run), "--data", str(tmp_path), "--lr", "1e-3"])
    assert stop.value.code == 2
    assert "only --steps may be given; drop ['--lr']" in capsys.readouterr().err
    # a GAN run's folder is not a vocoder run
    training.TRAIN_PRESETS["quick"].save(run / "config.json")
    with pytest.raises(SystemExit) as stop:
        cli.main(["train-vocoder", "--out", str(run), "--data", str(tmp_path)])
    assert stop.value.code == 2
    assert "does not hold a vocoder run" in capsys.readouterr().err
    assert json.loads((run / "config.json").read_text())["__class__"] == "TrainConfig"
