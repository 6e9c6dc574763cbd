"""Tests for audiogan_kit.data: FSDD loading, caching, splits, decoding, bad input, pipelines."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
import soundfile

from audiogan_kit.config import AudioConfig
from audiogan_kit.data import (
    FSDD_DIGEST,
    AudioDataset,
    DataError,
    cache_dir,
    clip_length_table,
    dataset_digest,
    fix_length,
    fsdd_cache_file,
    load_audio,
    load_audio_raw,
    load_folder,
    load_fsdd,
    normalize_level,
    place_sound,
    save_wav,
    wav_bytes,
)
from conftest import tone

SR = 8000


@pytest.fixture(scope="module")
def fsdd(fsdd_path):
    """FSDD decoded once for the module (the cache makes later loads cheap)."""
    return load_fsdd(fsdd_path, progress=False)


def dominant_frequency(audio: np.ndarray, sample_rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    return float(np.fft.rfftfreq(audio.size, 1 / sample_rate)[np.argmax(spectrum)])


def write(path, audio, sample_rate=SR, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, audio, sample_rate, **kwargs)
    return path


# --- FSDD on the shared copy -----------------------------------------------------------------


def test_fsdd_shapes_labels_speakers(fsdd):
    assert len(fsdd) == 3000
    assert fsdd.audio.shape == (3000, 8192) and fsdd.audio.dtype == np.float32
    assert fsdd.labels.dtype == np.int64 and fsdd.takes.dtype == np.int64
    assert fsdd.lengths.dtype == np.int64
    assert np.bincount(fsdd.labels, minlength=10).tolist() == [300] * 10
    assert fsdd.class_names == tuple(str(d) for d in range(10))
    assert sorted(set(fsdd.speakers.tolist())) == [
        "george", "jackson", "lucas", "nicolas", "theo", "yweweler"
    ]
    assert fsdd.takes.min() == 0 and fsdd.takes.max() == 49
    assert np.abs(fsdd.audio).max() <= 1.0
    # peak-normalised by default: every clip peaks at peak_level
    np.testing.assert_allclose(np.abs(fsdd.audio).max(axis=1), 0.95, atol=1e-5)
    assert fsdd.sample_rate == 8000 and fsdd.skipped == ()
    # labels come from the file names
    name = os.path.basename(fsdd.paths[123])
    assert int(name.split("_")[0]) == fsdd.labels[123]
    assert name.split("_")[1] == fsdd.speakers[123]


def test_fsdd_lengths_match_readme(fsdd):
    # README of the copy: min 1,148, max 18,262 samples, 17 clips longer than 8,192
    assert fsdd.lengths.min() == 1148 and fsdd.lengths.max() == 18262
    assert int(np.sum(fsdd.lengths > 8192)) == 17
    # a short clip is padded with zeros after its end (pad_mode="end")
    i = int(np.argmin(fsdd.lengths))
    assert np.all(fsdd.audio[i, 1148:] == 0) and np.any(fsdd.audio[i, 1140:1148] != 0)
    table = clip_length_table(fsdd, by="speaker")
    assert sum(row["count"] for name, row in table.items() if name != "all") == 3000
    assert table["all"]["over"] == 17 and table["all"]["max"] == 18262
    by_digit = clip_length_table(fsdd)
    assert list(by_digit)[:10] == [str(d) for d in range(10)]
    assert all(row["count"] == 300 for name, row in by_digit.items() if name != "all")


def test_official_and_speaker_split(fsdd, fsdd_path):
    train, test = fsdd.official_split()
    assert (len(train), len(test)) == (2700, 300)
    assert test.takes.max() == 4 and train.takes.min() == 5
    assert np.bincount(test.labels).tolist() == [30] * 10
    train, test = fsdd.speaker_split("theo")
    assert len(test) == 500 and set(test.speakers.tolist()) == {"theo"}
    assert "theo" not in set(train.speakers.tolist()) and len(train) == 2500
    with pytest.raises(DataError, match="known speakers are .*george"):
        fsdd.speaker_split("nobody")
    folds = list(fsdd.speaker_folds())
    assert [speaker for speaker, _, _ in folds][:2] == ["george", "jackson"]
    assert all(len(tr) + len(te) == 3000 for _, tr, te in folds)
    assert len(load_fsdd(fsdd_path, split="test", progress=False)) == 300
    assert len(load_fsdd(fsdd_path, split="train", progress=False)) == 2700


def test_subset_by_mask_and_indices(fsdd):
    picked = fsdd.subset([5, 2, 7])
    assert picked.paths.tolist() == [fsdd.paths[5], fsdd.paths[2], fsdd.paths[7]]
    np.testing.assert_array_equal(picked.audio[1], fsdd.audio[2])
    masked = fsdd.subset(fsdd.labels == 3)
    assert len(masked) == 300 and set(masked.labels.tolist()) == {3}
    with pytest.raises(ValueError, match="mask"):
        fsdd.subset(np.ones(4, dtype=bool))


def test_shared_copy_digest(fsdd_path):
    assert dataset_digest(fsdd_path) == FSDD_DIGEST


def test_cache_hit_and_corrupt_cache_rebuilt(fsdd, fsdd_path):
    cache_file = fsdd_cache_file(fsdd_path)
    assert cache_file.parent == cache_dir() / "arrays"
    assert cache_file.is_file()  # written by the module fixture's load (or an earlier one)
    again = load_fsdd(fsdd_path, progress=False)
    assert again.from_cache
    np.testing.assert_array_equal(again.audio, fsdd.audio)
    np.testing.assert_array_equal(again.labels, fsdd.labels)
    assert again.paths.tolist() == fsdd.paths.tolist()
    np.testing.assert_array_equal(again.lengths, fsdd.lengths)

    # a truncated cache file is detected and rebuilt
    data = cache_file.read_bytes()
    cache_file.write_bytes(data[: len(data) // 2])
    rebuilt = load_fsdd(fsdd_path, progress=False)
    assert not rebuilt.from_cache
    np.testing.assert_array_equal(rebuilt.audio, fsdd.audio)
    assert cache_file.stat().st_size == len(data)

    # a cache file whose arrays were changed (valid zip, wrong checksum) is not trusted
    with np.load(cache_file) as stored:
        fields = dict(stored)
    fields["audio"] = fields["audio"].copy()
    fields["audio"][0, :100] = 0.5
    np.savez(cache_file, **fields)
    rebuilt = load_fsdd(fsdd_path, progress=False)
    assert not rebuilt.from_cache
    np.testing.assert_array_equal(rebuilt.audio[0], fsdd.audio[0])
    assert load_fsdd(fsdd_path, progress=False).from_cache


def test_cache_keyed_by_config(fsdd_path, fsdd):
    config = AudioConfig(normalize="none", num_samples=4096, pad_mode="center")
    raw = load_fsdd(fsdd_path, config, progress=False, split="test")
    assert raw.audio.shape == (300, 4096) and not raw.from_cache
    assert raw.config == config
    # not peak-normalised: the recorded level, below 0.95 for most clips
    assert np.median(np.abs(raw.audio).max(axis=1)) < 0.9
    assert load_fsdd(fsdd_path, config, progress=False, split="test").from_cache


# --- tf.data and NumPy batches ---------------------------------------------------------------


def test_tf_dataset_and_numpy_batches_cover_same_clips(fsdd):
    small = fsdd.subset(np.arange(0, 3000, 30))  # 100 clips
    tf_batches = list(small.to_tf_dataset(16, seed=1, drop_remainder=False).as_numpy_iterator())
    audio, labels = tf_batches[0]
    assert audio.shape == (16, 8192) and labels.shape == (16,)
    assert audio.dtype == np.float32 and labels.dtype == np.int64
    assert sum(b[1].shape[0] for b in tf_batches) == 100
    dropped = list(small.to_tf_dataset(16, seed=1).as_numpy_iterator())
    assert len(dropped) == 6 and all(b[0].shape == (16, 8192) for b in dropped)

    np_batches = list(small.batches(16, seed=3))
    assert [b[0].shape[0] for b in np_batches] == [16] * 6 + [4]
    assert len(list(small.batches(16, drop_remainder=True))) == 6

    def clip_keys(batches):
        return sorted(
            (int(label), float(clip[:2000].sum()))
            for audio, labels in batches
            for clip, label in zip(audio, labels, strict=True)
        )

    assert clip_keys(tf_batches) == clip_keys(np_batches)
    # shuffled order differs from the stored order; unshuffled keeps it
    first = next(small.batches(100, shuffle=False))[0]
    np.testing.assert_array_equal(first, small.audio)
    assert not np.array_equal(np_batches[0][0], small.audio[:16])


def test_tf_dataset_map_fn(fsdd):
    small = fsdd.subset(np.arange(8))
    dataset = small.to_tf_dataset(4, shuffle=False, map_fn=lambda a, y: (a[:100] * 2.0, y + 1))
    audio, labels = next(iter(dataset.as_numpy_iterator()))
    assert audio.shape == (4, 100)
    np.testing.assert_allclose(audio, small.audio[:4, :100] * 2.0)
    np.testing.assert_array_equal(labels, small.labels[:4] + 1)


# --- decoding synthetic audio ----------------------------------------------------------------


def test_resample_stereo_44k_to_8k_mono(tmp_path):
    clip = tone(1000, 1.0, 44100)
    stereo = np.stack([clip, 0.5 * clip], axis=1)
    path = write(tmp_path / "tone.wav", stereo, 44100, subtype="FLOAT")
    raw = load_audio_raw(path, 8000)
    assert raw.dtype == np.float32 and abs(raw.size - 8000) <= 2
    assert dominant_frequency(raw, 8000) == pytest.approx(1000, abs=5)
    # mono mix = mean of channels: 0.75 x 0.5 amplitude, resampling keeps the level
    assert np.abs(raw[500:-500]).max() == pytest.approx(0.375, abs=0.01)
    audio, length = load_audio(path, AudioConfig(), return_length=True)
    assert audio.shape == (8192,) and abs(length - 8000) <= 2
    assert np.all(audio[length:] == 0)
    assert dominant_frequency(audio[:length], 8000) == pytest.approx(1000, abs=5)


def test_pad_and_crop_both_modes():
    ramp = np.arange(1, 11, dtype=np.float32)
    np.testing.assert_array_equal(fix_length(ramp, 14, "end"), np.r_[ramp, np.zeros(4)])
    np.testing.assert_array_equal(fix_length(ramp, 14, "center"), np.r_[0, 0, ramp, 0, 0])
    np.testing.assert_array_equal(fix_length(ramp, 4, "end"), [1, 2, 3, 4])
    np.testing.assert_array_equal(fix_length(ramp, 4, "center"), [4, 5, 6, 7])
    np.testing.assert_array_equal(fix_length(ramp, 13, "center"), np.r_[0, ramp, 0, 0])


def test_pad_crop_through_load_audio(tmp_path):
    short = write(tmp_path / "short.wav", tone(500, 0.25, SR), subtype="FLOAT")  # 2,000 samples
    long = write(tmp_path / "long.wav", np.linspace(-0.5, 0.5, 10000, dtype=np.float32),
                 subtype="FLOAT")
    config = AudioConfig(normalize="none", pad_mode="center")
    centred = load_audio(short, config)
    assert np.all(centred[:3096] == 0) and np.all(centred[5096:] == 0)
    assert np.abs(centred[3096:5096]).max() > 0.45
    cropped = load_audio(long, config)
    # centre crop of 10,000 -> 8,192 drops 904 samples at each end
    assert cropped[0] == pytest.approx(-0.5 + 904 / 9999, abs=1e-4)
    end_cropped = load_audio(long, AudioConfig(normalize="none"))
    assert end_cropped[0] == pytest.approx(-0.5, abs=1e-4)
    audio, length = load_audio(long, config, return_length=True)
    assert length == 10000


def test_peak_and_rms_normalisation(tmp_path):
    path = write(tmp_path / "quiet.wav", tone(440, 0.5, SR, amplitude=0.05), subtype="FLOAT")
    peak = load_audio(path, AudioConfig(normalize="peak", peak_level=0.8))
    assert np.abs(peak).max() == pytest.approx(0.8, rel=1e-5)
    rms = load_audio(path, AudioConfig(normalize="rms", rms_level=0.1), return_length=True)
    audio, length = rms
    # RMS measured on the clip itself, not the zero padding
    assert np.sqrt(np.mean(audio[:length] ** 2)) == pytest.approx(0.1, rel=1e-3)
    assert np.abs(audio).max() == pytest.approx(0.1 * np.sqrt(2), rel=1e-2)
    none = load_audio(path, AudioConfig(normalize="none"))
    assert np.abs(none).max() == pytest.approx(0.05, rel=1e-3)


def test_trim_silence(tmp_path):
    clip = np.concatenate([np.zeros(1600), tone(300, 0.3, SR), np.zeros(2400)]).astype(np.float32)
    path = write(tmp_path / "padded.wav", clip, subtype="FLOAT")
    _, untrimmed = load_audio(path, AudioConfig(), return_length=True)
    assert untrimmed == 6400
    audio, trimmed = load_audio(path, AudioConfig(trim_db=40), return_length=True)
    # trimmed at frame resolution: centred frames of n_fft=256 samples every hop=128 keep up
    # to n_fft samples of silence at each end of the 2,400-sample tone (4,000 were there)
    assert 2400 <= trimmed <= 2400 + 2 * 256
    assert np.abs(audio[:200]).max() > 0.1  # the tone now starts at the beginning



def test_place_sound_moves_a_centred_word_to_the_start_or_back():
    word = tone(300, 0.3, SR).astype(np.float32)  # 2,400 samples
    centred = np.zeros((2, 8192), np.float32)
    centred[0, 2896:5296] = word
    config = AudioConfig(trim_db=40, n_fft=512, hop_length=256)
    start = place_sound(centred, config, "end")
    assert start.shape == (2, 8192) and start.dtype == np.float32
    onset = int(np.argmax(np.abs(start[0]) > 0.01))
    assert onset <= 512  # trimmed at frame resolution (n_fft 512)
    assert np.abs(start[0, 2400 + 2 * 512 :]).max() == 0  # padded at the end
    assert np.abs(start[1]).max() == 0  # a silent clip stays silent
    back = place_sound(start, config, "center")
    middle = np.flatnonzero(np.abs(back[0]) > 0.01)
    assert abs((middle[0] + middle[-1]) / 2 - 4096) <= 256


def test_normalize_level_scales_clips_as_loading_does(tmp_path):
    quiet = 0.1 * tone(440, 0.5, SR).astype(np.float32)
    loud = 0.8 * tone(220, 0.5, SR).astype(np.float32)
    clips = np.stack([quiet, loud, np.zeros_like(quiet)])
    peak = normalize_level(clips, AudioConfig(normalize="peak", peak_level=0.9))
    assert peak.dtype == np.float32 and peak.shape == clips.shape
    assert np.abs(peak[:2]).max(axis=1) == pytest.approx([0.9, 0.9], abs=1e-6)
    assert np.abs(peak[2]).max() == 0  # a silent clip stays silent
    rms = normalize_level(clips[0], AudioConfig(normalize="rms", rms_level=0.05))
    assert float(np.sqrt(np.mean(rms**2))) == pytest.approx(0.05, rel=1e-4)
    assert normalize_level(clips, AudioConfig(normalize="none")) == pytest.approx(clips)
    # the same scaling as a clip read from a file
    path = write(tmp_path / "quiet.wav", quiet, SR)
    read = load_audio(path, AudioConfig(num_samples=quiet.size))
    assert normalize_level(quiet, AudioConfig()) == pytest.approx(read, abs=1e-3)  # 16-bit file

def test_flac_and_ogg(tmp_path):
    clip = tone(700, 0.5, 16000)
    flac = write(tmp_path / "a.flac", clip, 16000)
    ogg = write(tmp_path / "b.ogg", clip, 16000)
    for path in (flac, ogg):
        audio, length = load_audio(path, AudioConfig(), return_length=True)
        assert abs(length - 4000) <= 2, path
        assert dominant_frequency(audio[:length], SR) == pytest.approx(700, abs=5)
        assert np.abs(audio).max() == pytest.approx(0.95, abs=1e-4)


def test_wav_bytes_and_save_wav_round_trip(tmp_path):
    clip = np.array([0.0, 0.5, -0.5, 1.5, -2.0, 0.25], dtype=np.float32)
    data = wav_bytes(clip, 8000)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    decoded, rate = soundfile.read(io.BytesIO(data), dtype="float32")
    assert rate == 8000 and soundfile.info(io.BytesIO(data)).subtype == "PCM_16"
    np.testing.assert_allclose(decoded, np.clip(clip, -1, 1), atol=1 / 32767)
    path = save_wav(tmp_path / "sub" / "x.wav", clip, 8000)
    assert path.read_bytes() == data


# --- load_folder -----------------------------------------------------------------------------


def test_load_folder_subfolders(tmp_path, capsys):
    for label, freq in (("dog", 300), ("cat", 900)):
        for i in range(2):
            write(tmp_path / label / f"{i}.wav", tone(freq, 0.2, 16000), 16000)
    write(tmp_path / "cat" / "deeper" / "x.flac", tone(900, 0.2, 22050), 22050)
    (tmp_path / "cat" / "notes.txt").write_text("not audio, ignored")
    data = load_folder(tmp_path)  # with a progress bar
    assert "5/5" in capsys.readouterr().err
    assert data.class_names == ("cat", "dog") and len(data) == 5
    assert np.bincount(data.labels).tolist() == [3, 2]
    assert set(data.speakers.tolist()) == {""} and set(data.takes.tolist()) == {-1}
    for audio, label, length in zip(data.audio, data.labels, data.lengths, strict=True):
        expected = 900 if data.class_names[label] == "cat" else 300
        assert dominant_frequency(audio[:length], SR) == pytest.approx(expected, abs=25)
    with pytest.raises(DataError, match="speaker"):
        data.official_split()


def test_load_folder_pattern(tmp_path):
    for label in (2, 10):
        for speaker in ("ann", "bob"):
            write(tmp_path / f"{label}-{speaker}-{label}.wav", tone(400, 0.1, SR))
    data = load_folder(tmp_path, labels="pattern",
                       pattern=r"(?P<label>\d+)-(?P<speaker>[a-z]+)-(?P<take>\d+)", progress=False)
    assert data.class_names == ("2", "10")  # numbers sorted numerically
    assert sorted(data.speakers.tolist()) == ["ann", "ann", "bob", "bob"]
    assert sorted(data.takes.tolist()) == [2, 2, 10, 10]
    train, test = data.speaker_split(["bob"])
    assert len(test) == 2 and len(train) == 2
    with pytest.raises(ValueError, match="label"):
        load_folder(tmp_path, labels="pattern", pattern=r"(?P<digit>\d+)-.*")
    with pytest.raises(DataError, match=r"10-ann-10\.wav"):
        load_folder(tmp_path, labels="pattern", pattern=r"(?P<label>x)", progress=False)


def test_load_folder_missing_or_empty(tmp_path):
    with pytest.raises(DataError, match="nowhere"):
        load_folder(tmp_path / "nowhere")
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(DataError, match="no audio files"):
        load_folder(tmp_path)


# --- bad input -------------------------------------------------------------------------------


def make_bad_files(folder):
    """One file per bad-input case, by name."""
    good = tone(440, 0.3, SR)
    write(folder / "good.wav", good, subtype="PCM_16")
    (folder / "empty.wav").write_bytes(b"")
    full = wav_bytes(good, SR)
    (folder / "truncated.wav").write_bytes(full[: len(full) // 2])
    (folder / "header_only.wav").write_bytes(full[:30])
    (folder / "text.wav").write_text("this is not audio\n" * 20)
    write(folder / "silent.wav", np.zeros(2000, dtype=np.float32))
    nan = good.copy()
    nan[100] = np.nan
    write(folder / "nan.wav", nan, subtype="FLOAT")
    inf = good.copy()
    inf[5] = np.inf
    write(folder / "inf.wav", inf, subtype="FLOAT")
    return {
        "empty.wav": "empty",
        "truncated.wav": "truncated",
        "header_only.wav": "cannot be decoded",
        "text.wav": "cannot be decoded",
        "silent.wav": "silent",
        "nan.wav": "NaN",
        "inf.wav": "NaN or Inf",
    }


def test_each_bad_file_raises_naming_it(tmp_path):
    cases = make_bad_files(tmp_path)
    assert load_audio(tmp_path / "good.wav").shape == (8192,)
    for name, reason in cases.items():
        with pytest.raises(DataError, match=reason) as info:
            load_audio(tmp_path / name)
        assert name in str(info.value)
    with pytest.raises(DataError, match="missing.wav") as info:
        load_audio(tmp_path / "missing.wav")
    assert "does not exist" in str(info.value)
    (tmp_path / "clip.mp4").write_bytes(b"x" * 100)
    with pytest.raises(DataError, match=r"clip\.mp4.*\.wav, \.flac, \.ogg"):
        load_audio(tmp_path / "clip.mp4")
    # a silent clip is fine when not normalising
    assert np.all(load_audio(tmp_path / "silent.wav", AudioConfig(normalize="none")) == 0)
    # the decoder's own error is chained, not hidden
    with pytest.raises(DataError) as info:
        load_audio(tmp_path / "text.wav")
    assert isinstance(info.value.__cause__, RuntimeError)


def test_folder_skip_and_raise(tmp_path):
    cases = make_bad_files(tmp_path / "words")
    write(tmp_path / "words" / "good2.wav", tone(880, 0.3, SR))
    with pytest.raises(DataError):
        load_folder(tmp_path, progress=False)
    with pytest.warns(UserWarning, match=f"skipped {len(cases)} bad file"):
        data = load_folder(tmp_path, on_error="skip", progress=False)
    assert len(data) == 2
    assert sorted(os.path.basename(p) for p in data.paths) == ["good.wav", "good2.wav"]
    skipped = {os.path.basename(path): reason for path, reason in data.skipped}
    assert set(skipped) == set(cases)
    for name, reason in cases.items():
        assert reason in skipped[name] and name in skipped[name]


def fake_fsdd(folder, bad=()):
    recordings = folder / "recordings"
    for digit in range(3):
        for take in range(6):
            write(recordings / f"{digit}_amy_{take}.wav", tone(200 + 100 * digit, 0.2, SR))
    for name in bad:
        (recordings / name).write_bytes(b"")
    return folder


def test_load_fsdd_skip_and_raise_on_bad_files(tmp_path):
    folder = fake_fsdd(tmp_path / "fsdd", bad=["3_amy_0.wav", "hello.wav"])
    with pytest.raises(DataError, match="3_amy_0.wav|hello.wav"):
        load_fsdd(folder, progress=False, cache=False)
    with pytest.warns(UserWarning, match="skipped 2"):
        data = load_fsdd(folder, on_error="skip", progress=False)
    assert len(data) == 18 and sorted(set(data.labels.tolist())) == [0, 1, 2]
    reasons = dict((os.path.basename(p), r) for p, r in data.skipped)
    assert "empty" in reasons["3_amy_0.wav"]
    assert "naming" in reasons["hello.wav"]
    test = data.official_split()[1]
    assert len(test) == 15  # takes 0-4 of 3 digits
    # the cache remembers the bad files: on_error="raise" still raises on a cache hit
    with pytest.raises(DataError, match="3_amy_0.wav|hello.wav"):
        load_fsdd(folder, progress=False)
    with pytest.warns(UserWarning):
        assert load_fsdd(folder, on_error="skip", progress=False).from_cache


def test_cache_invalidated_when_files_change(tmp_path):
    folder = fake_fsdd(tmp_path / "fsdd")
    assert not load_fsdd(folder, progress=False).from_cache
    assert load_fsdd(folder, progress=False).from_cache
    write(folder / "recordings" / "9_amy_7.wav", tone(1000, 0.1, SR))
    data = load_fsdd(folder, progress=False)
    assert not data.from_cache and len(data) == 19 and 9 in data.labels


def test_dataset_checks_shapes():
    config = AudioConfig(num_samples=16)
    with pytest.raises(ValueError, match="shape"):
        AudioDataset(
            audio=np.zeros((2, 8), np.float32), labels=np.zeros(2, np.int64), class_names=("a",),
            speakers=np.array(["", ""]), takes=np.full(2, -1), paths=np.array(["a", "b"]),
            lengths=np.zeros(2, np.int64), config=config,
        )
