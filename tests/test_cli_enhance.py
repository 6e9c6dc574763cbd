"""`audiogan enhance`: a trained enhancer over a file or a folder, and its refusals.

Two tiny runs are trained once for the module (a SEGAN of 256-sample windows, 4 steps, and
a mask enhancer of 2,048-sample windows on the magnitude loss alone, 2 steps), so the file
runs in well under a minute on a 2-core CPU. ``AUDIOGAN_CACHE`` points at an empty folder in
every test, so the user's own cache is never read.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time

import librosa
import numpy as np
import pytest
import soundfile

from audiogan_kit import cli, enhance, models, training
from audiogan_kit.cli_enhance import train_enhancer_command
from audiogan_kit.config import AudioConfig

SEGAN = training.EnhancerTrainConfig(
    model=models.EnhancerConfig(num_samples=256, encoder_channels=(4, 8, 8), kernel_size=5),
    audio=AudioConfig(num_samples=256),
    batch_size=4,
    num_steps=4,
    checkpoint_every=4,
    sample_every=4,
    log_every=4,
    num_eval_samples=2,
    g_learning_rate=1e-3,
    d_learning_rate=1e-3,
)
MASK = training.MetricEnhancerTrainConfig(
    model=models.MetricEnhancerConfig(
        num_samples=2048, mask_channels=(8,), discriminator_channels=(4,), discriminator_dense=4
    ),
    audio=AudioConfig(num_samples=2048),
    adversarial_weight=0.0,
    magnitude_weight=1.0,
    batch_size=4,
    num_steps=2,
    checkpoint_every=2,
    sample_every=2,
    log_every=2,
    num_eval_samples=2,
    g_learning_rate=1e-2,
)


def _pairs(samples: int, n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Tones of different pitch (clean) and the same in white noise (noisy): [n, samples]."""
    t = np.arange(samples) / 8000
    clean = 0.5 * np.sin(2 * np.pi * (200 + 50 * np.arange(n))[:, None] * t[None, :])
    noisy = clean + 0.1 * np.random.default_rng(0).standard_normal(clean.shape)
    return noisy.astype(np.float32), clean.astype(np.float32)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{"segan": run folder, "mask": run folder}, each trained to its last step."""
    folders = {}
    for name, config in (("segan", SEGAN), ("mask", MASK)):
        folder = tmp_path_factory.mktemp(name)
        pairs = _pairs(config.audio.num_samples)
        training.train_enhancer(config, pairs, folder, log=lambda _: None)
        folders[name] = folder
    return folders


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    """The kit's cache: an empty folder of this test's own."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUDIOGAN_CACHE", str(cache))
    return cache


def _noisy_clip(path, seconds: float, rate: int, channels: int = 2, seed: int = 0):
    """Write a tone in noise (each channel its own noise) as 16-bit PCM; the written file's
    samples are what a decoder reads back."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    tone = 0.4 * np.sin(2 * np.pi * 440 * t)
    audio = tone[:, None] + 0.05 * rng.standard_normal((t.size, channels))
    soundfile.write(path, audio if channels > 1 else audio[:, 0], rate, subtype="PCM_16")


def _expected_pcm(path, generator, rate: int, window: int | None = None) -> np.ndarray:
    """What enhance.inference gives for the file, as the int16 samples a wav holds: the
    channels averaged, resampled to the enhancer's ``rate`` (soxr), enhanced at that rate."""
    audio, file_rate = soundfile.read(path, dtype="float32", always_2d=True)
    mono = audio.mean(axis=1)
    if file_rate != rate:
        mono = librosa.resample(mono, orig_sr=file_rate, target_sr=rate, res_type="soxr_hq")
    enhanced = enhance.enhance(mono, rate, generator, window=window, model_sample_rate=rate)
    return np.round(np.clip(enhanced, -1, 1) * 32767).astype(np.int16)


def _files(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_a_16k_stereo_file_becomes_an_8k_wav_equal_to_enhance(runs, tmp_path, capsys):
    source, out = tmp_path / "noisy.wav", tmp_path / "clean.wav"
    _noisy_clip(source, 1.7, 16000)
    code = cli.main(["enhance", str(source), "--out", str(out), "--run", str(runs["segan"])])
    assert code == 0
    assert "wrote 1 enhanced file(s) at 8000 Hz" in capsys.readouterr().out
    written, rate = soundfile.read(out, dtype="int16")
    assert rate == 8000 and written.ndim == 1
    assert abs(written.size - 1.7 * 8000) <= SEGAN.model.num_samples // 2  # one hop
    generator = training.load_enhancer_run(runs["segan"], log=lambda _: None)
    expected = _expected_pcm(source, generator, 8000)
    assert written.size == expected.size == 13600
    assert np.abs(written.astype(int) - expected).max() <= 1
    # The trained enhancer changed the audio: the file is not the input passed through.
    passed = _expected_pcm(source, lambda x: x, 8000, window=256)  # an identity "generator"
    assert np.abs(written.astype(int) - passed).mean() > 30
    assert _files(tmp_path) == ["clean.wav", "noisy.wav"]  # no temporary file left


def test_keep_rate_writes_the_input_rate_and_length(runs, tmp_path):
    source, out = tmp_path / "noisy.flac", tmp_path / "clean.wav"
    _noisy_clip(source, 0.45, 11025, channels=1)
    argv = ["enhance", str(source), "--out", str(out), "--run", str(runs["segan"])]
    assert cli.main(argv + ["--keep-rate", "--quiet", "--batch-size", "3"]) == 0
    written, rate = soundfile.read(out, dtype="float32")
    assert rate == 11025 and written.shape == (round(0.45 * 11025),)
    audio, _ = soundfile.read(source, dtype="float32")
    generator = training.load_enhancer_run(runs["segan"], log=lambda _: None)
    expected = enhance.enhance(audio, 11025, generator, model_sample_rate=8000)
    np.testing.assert_allclose(written, expected, atol=2 / 32768)


def test_a_folder_gives_the_mirrored_tree_with_the_mask_enhancer(runs, tmp_path, capsys):
    source, out = tmp_path / "in", tmp_path / "out"
    (source / "sub" / "deeper").mkdir(parents=True)
    _noisy_clip(source / "a.wav", 0.6, 16000, seed=1)
    _noisy_clip(source / "sub" / "b.flac", 0.3, 8000, channels=1, seed=2)
    _noisy_clip(source / "sub" / "deeper" / "c.WAV", 1.1, 22050, seed=3)
    (source / "notes.txt").write_text("not audio")
    assert cli.main(["enhance", str(source), "--out", str(out), "--run", str(runs["mask"])]) == 0
    captured = capsys.readouterr()
    assert "wrote 3 enhanced file(s) at 8000 Hz" in captured.out
    assert "enhancing: 3/3 file (100%)" in captured.err  # the progress helper's last line
    assert _files(out) == ["a.wav", "sub/b.wav", "sub/deeper/c.wav"]
    generator = training.load_enhancer_run(runs["mask"], log=lambda _: None)
    for name, relative, seconds in (("a.wav", "a.wav", 0.6), ("c.WAV", "sub/deeper/c.wav", 1.1)):
        written, rate = soundfile.read(out / relative, dtype="int16")
        original = next(source.rglob(name))
        assert rate == 8000 and written.size == round(seconds * 8000)
        assert np.abs(written.astype(int) - _expected_pcm(original, generator, 8000)).max() <= 1


def test_without_run_the_newest_finished_enhancer_run_in_the_cache_is_used(
    runs, tmp_path, empty_cache, capsys
):
    source, out = tmp_path / "noisy.wav", tmp_path / "clean.wav"
    _noisy_clip(source, 0.5, 8000, channels=1)
    with pytest.raises(SystemExit) as stop:
        cli.main(["enhance", str(source), "--out", str(out)])
    assert stop.value.code == 2
    message = capsys.readouterr().err
    folder = empty_cache / "runs"
    assert f"no finished enhancer run in {folder}" in message
    print(message)
    assert train_enhancer_command(folder) in message and "train_enhancer(" in message
    assert not out.exists()

    shutil.copytree(runs["segan"], folder / "older")
    shutil.copytree(runs["mask"], folder / "newer")
    unfinished = shutil.copytree(runs["segan"], folder / "unfinished")  # 4 of 40 steps
    dataclasses.replace(SEGAN, num_steps=40).save(unfinished / "config.json")
    (folder / "a-gan").mkdir()  # a GAN run: not an enhancer
    training.TRAIN_PRESETS["quick"].save(folder / "a-gan" / "config.json")
    now = time.time()
    for age, name in ((300, "older"), (200, "newer"), (0, "unfinished")):
        os.utime(training.checkpoint_paths(folder / name)[-1], (now - age, now - age))
    assert training.newest_enhancer_run(folder) == folder / "newer"
    assert cli.main(["enhance", str(source), "--out", str(out)]) == 0
    assert f"with {folder / 'newer'} at 8000 Hz" in capsys.readouterr().err
    generator = training.load_enhancer_run(runs["mask"], log=lambda _: None)
    written, _ = soundfile.read(out, dtype="int16")
    assert np.abs(written.astype(int) - _expected_pcm(source, generator, 8000)).max() <= 1


@pytest.mark.parametrize(
    "case", ["missing", "corrupt", "empty folder", "a GAN run", "out is in", "out inside in"]
)
def test_bad_input_exits_2_naming_it_and_writes_nothing(runs, tmp_path, case, capsys):
    good = tmp_path / "good.wav"
    _noisy_clip(good, 0.3, 8000, channels=1)
    before = good.read_bytes()
    source, out, run = good, tmp_path / "out.wav", runs["segan"]
    named = ""
    if case == "missing":
        source = named = tmp_path / "nope.wav"
    elif case == "corrupt":
        source = named = tmp_path / "broken.wav"
        source.write_bytes(b"RIFF\x00\x01\x00\x00WAVEjunk" + bytes(40))
    elif case == "empty folder":
        source = named = tmp_path / "empty"
        (source / "sub").mkdir(parents=True)
        (source / "sub" / "readme.txt").write_text("no audio here")
        out = tmp_path / "out"
    elif case == "a GAN run":
        run = named = tmp_path / "gan"
        run.mkdir()
        training.TRAIN_PRESETS["quick"].save(run / "config.json")
    elif case == "out is in":
        out = named = good
    else:
        source = tmp_path / "in"
        source.mkdir()
        shutil.copy(good, source / "a.wav")
        out = named = source / "enhanced"
    listing = _files(tmp_path)
    with pytest.raises(SystemExit) as stop:
        cli.main(["enhance", str(source), "--out", str(out), "--run", str(run)])
    assert stop.value.code == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message.startswith("audiogan enhance: error: ") and str(named) in message
    assert _files(tmp_path) == listing and good.read_bytes() == before


def test_a_bad_file_in_a_folder_is_skipped_named_and_counted(runs, tmp_path, capsys):
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    _noisy_clip(source / "a.wav", 0.3, 8000, channels=1)
    (source / "b.wav").write_bytes(b"")  # an empty file
    _noisy_clip(source / "c.wav", 0.3, 8000, channels=1)
    argv = ["enhance", str(source), "--out", str(out), "--run", str(runs["segan"]), "--quiet"]
    argv += ["--keep-rate"]  # the file's rate is read first: its errors are the same
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert f"skipping {source / 'b.wav'} is empty" in captured.err
    assert "skipped 1 file(s)" in captured.err
    assert "wrote 2 enhanced file(s)" in captured.out
    assert _files(out) == ["a.wav", "c.wav"]


def test_enhance_help_explains_every_option():
    parser = cli.build_parser()
    sub = parser._subparsers._group_actions[0].choices["enhance"]
    text = " ".join(sub.format_help().split())
    assert "at the ENHANCER's sample rate" in text
    for action in sub._actions:
        assert action.help, f"enhance {action.option_strings} has no help"
