"""Tests for noisy FSDD (audiogan_kit.data.noise, .noisy): noise, mixing at an SNR, splits.

Checked on known cases: the achieved SNR equals the requested one, the noise colours have
their textbook spectral slopes, hum sits on mains harmonics, babble never contains the target
speaker, and the held-out test part shares neither voices nor noise with the training part.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from audiogan_kit import data
from audiogan_kit.data import load_fsdd


@pytest.fixture(scope="module")
def fsdd(fsdd_path):
    return load_fsdd(fsdd_path, progress=False)


@pytest.fixture(scope="module")
def small(fsdd):
    """Two clips per speaker: 12 clips of 6 speakers."""
    index = np.concatenate(
        [np.flatnonzero(fsdd.speakers == s)[:2] for s in sorted(set(fsdd.speakers.tolist()))]
    )
    return fsdd.subset(index)


def _slope_db_per_octave(noise: np.ndarray, sample_rate: int) -> float:
    frequencies, power = signal.welch(noise, fs=sample_rate, nperseg=1024)
    band = (frequencies >= 100) & (frequencies <= 3000)
    slope, _ = np.polyfit(np.log2(frequencies[band]), 10 * np.log10(power[band]), 1)
    return float(slope)


@pytest.mark.parametrize(
    ("noise_type", "expected"), [("white", 0.0), ("pink", -3.01), ("brown", -6.02)]
)
def test_noise_colours_have_their_spectral_slopes(noise_type, expected):
    rng = np.random.default_rng(0)
    noise = data.make_noise(noise_type, 1 << 17, 8000, rng)
    assert noise.dtype == np.float32 and noise.shape == (1 << 17,)
    assert np.sqrt(np.mean(noise.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-4)
    assert _slope_db_per_octave(noise, 8000) == pytest.approx(expected, abs=0.4)


@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
def test_hum_energy_is_on_the_mains_harmonics(mains_hz):
    rng = np.random.default_rng(1)
    hum = data.hum_noise(8000 * 4, 8000, rng, mains_hz=mains_hz)
    spectrum = np.abs(np.fft.rfft(hum.astype(np.float64))) ** 2
    frequencies = np.fft.rfftfreq(hum.shape[0], 1 / 8000)
    harmonic = np.round(frequencies / mains_hz)
    offset = np.abs(frequencies - harmonic * mains_hz)
    near = (harmonic >= 1) & (offset <= 0.02 * mains_hz * harmonic)
    assert spectrum[near].sum() / spectrum.sum() > 0.98
    # The fundamental carries the most energy (amplitude 1/k).
    peak = frequencies[np.argmax(spectrum)]
    assert abs(peak - mains_hz) <= 0.01 * mains_hz
    # The other mains frequency's fundamental region is empty.
    other = 110.0 - mains_hz
    assert spectrum[np.abs(frequencies - other) < 2].sum() / spectrum.sum() < 1e-3


def test_hum_draws_50_or_60_hz_when_not_told():
    peaks = set()
    for seed in range(12):
        hum = data.hum_noise(8000 * 2, 8000, np.random.default_rng(seed))
        spectrum = np.abs(np.fft.rfft(hum.astype(np.float64)))
        peak_hz = np.fft.rfftfreq(hum.shape[0], 1 / 8000)[np.argmax(spectrum)]
        peaks.add(int(round(peak_hz / 10) * 10))
    assert peaks == {50, 60}


@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 5.0, 10.0, 15.0])
def test_mix_at_snr_achieves_the_requested_snr(fsdd, snr_db):
    clean = fsdd.audio[7]
    noise = data.make_noise("pink", clean.shape[0], 8000, np.random.default_rng(2))
    noisy = data.mix_at_snr(clean, noise, snr_db)
    assert noisy.dtype == np.float32
    assert data.measure_snr(clean, noisy) == pytest.approx(snr_db, abs=0.1)
    whole = data.mix_at_snr(clean, noise, snr_db, over="all")
    assert data.measure_snr(clean, whole, over="all") == pytest.approx(snr_db, abs=0.1)
    # The clip is zero-padded, so over the whole clip the words are quieter on average: the
    # same "all" mixture measured over the active samples has a higher SNR.
    assert data.measure_snr(clean, whole) > snr_db + 1.0


def test_active_mask_marks_speech_not_padding(fsdd):
    index = int(np.argmin(fsdd.lengths))
    mask = data.active_mask(fsdd.audio[index])
    assert mask.shape == (fsdd.config.num_samples,)
    assert mask[: fsdd.lengths[index] // 2].any()
    assert not mask[fsdd.lengths[index] + data.ACTIVE_FRAME :].any()


def test_make_noisy_dataset_pairs_have_the_requested_snrs(small):
    noisy = data.make_noisy_dataset(small, snrs=(0, 5, 10, 15), seed=3)
    n = len(small) * 4 * len(data.NOISE_TYPES)
    assert len(noisy) == n and noisy.noisy.shape == (n, small.config.num_samples)
    assert noisy.noisy.dtype == np.float32 and noisy.clean.dtype == np.float32
    assert np.abs(noisy.noisy).max() <= 0.99 + 1e-6
    achieved = np.array(
        [data.measure_snr(c, x) for c, x in zip(noisy.clean, noisy.noisy, strict=True)]
    )
    np.testing.assert_allclose(achieved, noisy.snr_db, atol=0.1)
    # Clean targets are the source clips, scaled by at most 1 (the same gain as the mixture).
    sources = small.audio[np.repeat(np.arange(len(small)), 20)]
    gains = np.abs(noisy.clean).max(axis=1) / np.abs(sources).max(axis=1)
    assert np.all(gains <= 1 + 1e-6) and np.all(gains > 0.2)
    assert sorted(set(noisy.noise_type.tolist())) == sorted(data.NOISE_TYPES)
    assert set(noisy.speakers.tolist()) == set(small.speakers.tolist())
    assert len(noisy.select(snr_db=5, noise_type="hum")) == len(small)


def test_same_seed_same_pairs_other_seed_different(small):
    a = data.make_noisy_dataset(small, snrs=(5,), seed=11)
    b = data.make_noisy_dataset(small, snrs=(5,), seed=11)
    c = data.make_noisy_dataset(small, snrs=(5,), seed=12)
    np.testing.assert_array_equal(a.noisy, b.noisy)
    np.testing.assert_array_equal(a.babble_sources, b.babble_sources)
    assert not np.allclose(a.noisy, c.noisy)
    for noise_type in data.NOISE_TYPES:
        mask = a.noise_type == noise_type
        assert not np.allclose(a.noisy[mask], c.noisy[mask]), noise_type


def test_babble_uses_no_clip_of_the_target_speaker(small, fsdd):
    noisy = data.make_noisy_dataset(
        small, snrs=(0, 10), noise_types=("babble",), seed=4, babble_pool=fsdd
    )
    for speaker, sources in zip(noisy.speakers, noisy.babble_sources, strict=True):
        names = sources.split(",")
        assert len(names) == 4 and len(set(names)) == 4
        speakers = [data.FSDD_NAME_PATTERN.fullmatch(Path(n).stem)["speaker"] for n in names]
        assert all(s != speaker for s in speakers)
    # Babble is speech-like: far more energy below 1 kHz than white noise has.
    babble = noisy.noisy[0] - noisy.clean[0]
    frequencies, power = signal.welch(babble, fs=8000, nperseg=256)
    assert power[frequencies < 1000].sum() / power.sum() > 0.5


def test_sample_combinations_give_one_pair_per_clip(small):
    noisy = data.make_noisy_dataset(small, seed=5, combinations="sample")
    assert len(noisy) == len(small)
    np.testing.assert_array_equal(noisy.labels, small.labels)
    assert len(set(noisy.noise_type.tolist())) > 1


def test_noisy_split_holds_out_speakers_and_noise(fsdd):
    subset = fsdd.subset(fsdd.takes < 10)
    train, test = data.make_noisy_split(
        subset, snrs=(0, 10), noise_types=("white", "babble", "hum"), seed=0,
        test_combinations="all",
    )
    assert set(test.speakers.tolist()) == set(data.NOISY_TEST_SPEAKERS)
    assert not set(train.speakers.tolist()) & set(test.speakers.tolist())
    assert len(test) == 2 * 10 * 10 * 2 * 3
    # Takes 0-4 are held out of training altogether, as speech and as babble.
    assert train.takes.min() >= 5
    train_files = {Path(p).name for p in train.paths}
    train_babble = {n for s in train.babble_sources for n in s.split(",") if n}
    test_babble = {n for s in test.babble_sources for n in s.split(",") if n}
    assert test_babble and train_babble
    assert not test_babble & (train_files | train_babble)
    assert all(int(Path(n).stem.split("_")[2]) < 5 for n in test_babble)
    # Synthetic noise: different generators, and no test noise waveform resembles a training one.
    assert not set(train.noise_seed.tolist()) & set(test.noise_seed.tolist())
    def white_noise(part):
        mask = part.noise_type == "white"
        noise = (part.noisy - part.clean)[mask].astype(np.float64)
        return noise / np.linalg.norm(noise, axis=1, keepdims=True)
    correlation = np.abs(white_noise(test) @ white_noise(train).T)
    assert correlation.max() < 0.1
    # Same seed, same split.
    again_train, again_test = data.make_noisy_split(
        subset, snrs=(0, 10), noise_types=("white", "babble", "hum"), seed=0,
        test_combinations="all",
    )
    np.testing.assert_array_equal(again_test.noisy, test.noisy)
    np.testing.assert_array_equal(again_train.noisy, train.noisy)


def test_bad_arguments_raise_clear_errors(small):
    with pytest.raises(ValueError, match="noise_types must be a non-empty subset"):
        data.make_noisy_dataset(small, noise_types=("traffic",))
    with pytest.raises(ValueError, match="babble_pool"):
        data.make_noise("babble", 100, 8000, np.random.default_rng(0))
    with pytest.raises(ValueError, match="combinations"):
        data.make_noisy_dataset(small, combinations="some")
    with pytest.raises(ValueError, match="silent"):
        data.mix_at_snr(np.zeros(512), np.ones(512), 5.0)
    with pytest.raises(ValueError, match="at least num_talkers"):
        data.babble_noise(small.audio[:2], 4, np.random.default_rng(0))


def test_the_balanced_test_set_is_fair_held_out_and_reproducible(fsdd):
    subset = fsdd.subset(fsdd.takes < 10)
    kwargs = dict(snrs=(0, 10), noise_types=("white", "babble"), seed=3)
    train, test = data.make_noisy_split(subset, **kwargs)
    # 10 digits x 2 voices x 2 SNRs x 2 noises, one pair in every cell.
    assert len(test) == 80
    assert test.composition() == {
        "digit": {d: 8 for d in range(10)},
        "voice": {s: 40 for s in data.NOISY_TEST_SPEAKERS},
        "noise": {"babble": 40, "white": 40},
        "snr": {0.0: 40, 10.0: 40},
    }
    cells = set(zip(test.labels.tolist(), test.speakers.tolist(), test.snr_db.tolist(),
                    test.noise_type.tolist(), strict=True))
    assert len(cells) == 80
    # Chosen at random, not the first takes: 80 pairs on 80 different clips of takes 0-9.
    assert len(set(test.paths.tolist())) == 80 and len(set(test.takes.tolist())) > 5
    # Nothing of it was trained on: no voice, no clip, no babble clip, no noise generator.
    train_files = {Path(p).name for p in train.paths}
    train_babble = {n for s in train.babble_sources for n in s.split(",") if n}
    assert not set(test.speakers.tolist()) & set(train.speakers.tolist())
    assert not {Path(p).name for p in test.paths} & (train_files | train_babble)
    test_babble = {n for s in test.babble_sources for n in s.split(",") if n}
    assert test_babble and not test_babble & (train_files | train_babble)
    assert not set(train.noise_seed.tolist()) & set(test.noise_seed.tolist())
    # Same seed, same set; another seed, other clips.
    again = data.make_noisy_split(subset, **kwargs)[1]
    np.testing.assert_array_equal(again.noisy, test.noisy)
    np.testing.assert_array_equal(again.paths, test.paths)
    other = data.make_noisy_split(subset, **{**kwargs, "seed": 4})[1]
    assert set(other.paths.tolist()) != set(test.paths.tolist())


def test_a_small_stratum_reuses_its_clips_with_different_conditions(fsdd):
    few = fsdd.subset((fsdd.takes < 3) & (fsdd.speakers == "george") & (fsdd.labels < 2))
    conditions = [(0.0, "white"), (5.0, "white"), (0.0, "pink"), (5.0, "pink")]
    design = data.balanced_design(few.labels, few.speakers, conditions, 1,
                                  np.random.default_rng(0))
    # 2 strata x 4 conditions on 3 clips each: every clip once, one clip per stratum twice.
    assert sum(len(v) for v in design.values()) == 8 and len(design) == 6
    assert sorted(len(v) for v in design.values()) == [1, 1, 1, 1, 2, 2]
    for digit in (0, 1):
        given = [c for i, v in design.items() if few.labels[i] == digit for c in v]
        assert sorted(given) == sorted(conditions)
    with pytest.raises(ValueError, match="fewer clips than repeats=4"):
        data.balanced_design(few.labels, few.speakers, conditions, 4, np.random.default_rng(0))


def test_standard_error_and_the_pairs_it_needs():
    values = np.array([0.0, 1.0, 2.0, 3.0, np.nan])  # std (ddof 1) = 1.291
    assert data.standard_error(values) == pytest.approx(1.2910 / 2.0, rel=1e-4)
    # (1.291 / 0.05)^2 = 666.7 -> 667 pairs.
    assert data.pairs_for_standard_error(values, 0.05) == 667
    with pytest.raises(ValueError, match="at least 2 finite"):
        data.pairs_for_standard_error([1.0, np.nan])
