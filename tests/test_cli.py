"""The `audiogan` command line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile

from audiogan_kit import cli


def test_demo_writes_a_wav_per_digit_and_a_picture(tmp_path, fsdd_path):
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), "--data", str(fsdd_path), "--quiet"]) == 0
    wavs = sorted(out.glob("digit_*.wav"))
    assert [w.name for w in wavs] == [f"digit_{d}.wav" for d in range(10)]
    audio, rate = soundfile.read(wavs[7])
    assert rate == 8000 and audio.shape == (8192,)
    assert 0.5 < np.abs(audio).max() <= 1.0  # peak-normalised speech, not silence
    png = (out / "spectrograms.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_bad_data_folder_is_refused_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["demo", "--out", str(tmp_path / "x"), "--data", str(tmp_path / "missing")])
    assert stop.value.code == 2
    assert "missing" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_help_lists_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "audiogan_kit.cli", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "demo" in result.stdout
