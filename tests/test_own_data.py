"""Your own folder of sounds: no labels, long recordings sliced, mixed files, the summary."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest

from audiogan_kit.config import AudioConfig
from audiogan_kit.data import DataError, folder_summary, load_folder
from audiogan_kit.data.slicing import window_starts
from audiogan_kit.progress import LineProgress
from conftest import make_own_folder, tone

WINDOW = AudioConfig().duration_s  # 1.024 s: 8,192 samples at 8 kHz

# Skipping the broken files is what these tests check (through dataset.skipped).
pytestmark = pytest.mark.filterwarnings("ignore:skipped .* bad file")


def test_flat_unlabelled_folder_with_long_and_broken_files(tmp_path):
    expected = make_own_folder(tmp_path / "own")
    data = load_folder(
        tmp_path / "own", labels="none", hop_s=WINDOW, on_error="skip", progress=False
    )
    assert len(data) == expected["clips"] == 10
    assert data.class_names == ("all",) and set(data.labels.tolist()) == {0}
    assert data.silent_windows == expected["silent_windows"] == 2
    names, counts = np.unique(data.paths, return_counts=True)
    per_file = {p.rsplit("/", 1)[-1]: n for p, n in zip(names, counts, strict=True)}
    assert per_file == {
        "a_16k.wav": 1, "b_44k_stereo.flac": 1, "c_22k.ogg": 1, "d_11k_float.wav": 1,
        "e_48k_stereo.wav": 1, "long_8k.wav": 3, "long_44k.flac": 2,
    }
    reasons = {path.rsplit("/", 1)[-1]: reason for path, reason in data.skipped}
    assert sorted(reasons) == ["broken.wav", "empty.ogg", "silent.wav", "truncated.wav"]
    assert "cannot be decoded" in reasons["broken.wav"] and "is empty" in reasons["empty.ogg"]
    assert "truncated" in reasons["truncated.wav"] and "silent" in reasons["silent.wav"]
    # Every clip is a peak-normalised window of a tone, none of them the dropped silence.
    assert np.allclose(np.abs(data.audio).max(axis=1), 0.95, atol=1e-3)
    # Without hop_s a long file is one clip (its first second), as before.
    whole = load_folder(tmp_path / "own", labels="none", on_error="skip", progress=False)
    assert len(whole) == 7 and whole.silent_windows == 0


def test_window_starts_drop_silence_and_count():
    audio = np.zeros(10 * 1000, np.float32)
    audio[:1000] = tone(200, 0.125, 8000)
    audio[6000:] = 0.5
    starts, silent = window_starts(audio, window=1000, hop=500, silence_db=40)
    # 19 windows every 500 samples; only those that overlap a sound are kept.
    assert starts == [0, 500, 5500, *range(6000, 9001, 500)] and silent == 19 - len(starts)
    assert window_starts(audio[:800], 1000, 500, 40) == ([0], 0)  # short: one padded clip


def test_subfolders_and_pattern_labels_with_slicing(tmp_path):
    make_own_folder(tmp_path / "own")
    for name, label in (("long_8k.wav", "speech"), ("long_44k.flac", "music"),
                        ("a_16k.wav", "speech")):
        (tmp_path / "classes" / label).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "own" / name, tmp_path / "classes" / label / name)
    data = load_folder(tmp_path / "classes", hop_s=WINDOW / 2, progress=False)
    assert data.class_names == ("music", "speech")
    # music: 3 s at 8 kHz = 24,000 samples, windows of 8,192 every 4,096: 1 + 15,808 // 4,096.
    assert np.bincount(data.labels).tolist() == [4, 1 + 6]
    pattern = load_folder(
        tmp_path / "own", labels="pattern", pattern=r"long_(?P<label>\d+k)",
        hop_s=WINDOW, on_error="skip", progress=False,
    )
    assert pattern.class_names == ("44k", "8k") and np.bincount(pattern.labels).tolist() == [2, 3]


def test_summary_says_what_was_found(tmp_path):
    make_own_folder(tmp_path / "own")
    data = load_folder(
        tmp_path / "own", labels="none", hop_s=WINDOW, on_error="skip", progress=False
    )
    text = folder_summary(data)
    assert text.startswith("10 clips of 1.024 s at 8000 Hz from 7 files (2 long files sliced")
    assert "2 silent windows dropped" in text and "classes: none" in text
    for found in ("FLAC PCM_24 44100 Hz x2 ch", "OGG VORBIS 22050 Hz x1 ch",
                  "WAV FLOAT 11025 Hz x1 ch", "WAV PCM_16 48000 Hz x2 ch"):
        assert found in text
    assert "skipped 4 files:" in text and "broken.wav cannot be decoded" in text


def test_a_folder_of_only_bad_files_and_bad_arguments(tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"nope" * 20)
    with pytest.raises(DataError, match=r"no usable clip .*bad\.wav"):
        load_folder(tmp_path, labels="none", on_error="skip", progress=False)
    with pytest.raises(DataError, match=r"labels='none'") as refused:  # flat, by sub-folder
        load_folder(tmp_path, progress=False)
    assert f"(e.g. {tmp_path}/<class>/file.wav)" in str(refused.value)
    assert "{folder}" not in str(refused.value)
    with pytest.raises(ValueError, match="labels must be one of"):
        load_folder(tmp_path, labels="folders")
    with pytest.raises(ValueError, match="hop_s must be a positive number"):
        load_folder(tmp_path, labels="none", hop_s=0)
    with pytest.raises(ValueError, match="not a valid regex"):
        load_folder(tmp_path, labels="pattern", pattern="(?P<label>")


def test_progress_in_a_log_is_periodic_lines_not_carriage_returns():
    stream = io.StringIO()
    bar = LineProgress(total=300, desc="training", unit="step", interval_s=0.0, stream=stream)
    for _ in range(3):
        bar.update(100)
    bar.set_postfix(d_loss="0.693")
    bar.close()
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and len(lines) == 4
    assert lines[0].startswith("training: 100/300 step (33%)")
    assert lines[-1].startswith("training: 300/300 step (100%)") and "d_loss=0.693" in lines[-1]
    quiet = io.StringIO()
    slow = LineProgress(total=10_000, interval_s=3600, stream=quiet)
    for _ in range(10_000):
        slow.update()
    slow.close()
    assert quiet.getvalue().count("\n") == 1  # 10,000 updates, one line
