"""Tests for the speech-quality metrics of audiogan_kit.metrics (PESQ, STOI, SI-SDR, segSNR).

Known cases: a clip against itself scores best, more noise scores monotonically worse,
SI-SDR ignores the scale and matches a hand computation, segmental SNR of mixtures whose
per-frame SNR is known exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from audiogan_kit import data, metrics
from audiogan_kit.data import load_fsdd
from conftest import tone


@pytest.fixture(scope="module")
def clips(fsdd_path):
    """Four FSDD clips that PESQ can score (one per digit 2-5, speaker jackson, take 10)."""
    fsdd = load_fsdd(fsdd_path, progress=False)
    jackson_take_10 = (fsdd.speakers == "jackson") & (fsdd.takes == 10)
    index = [int(np.flatnonzero((fsdd.labels == d) & jackson_take_10)[0]) for d in (2, 3, 4, 5)]
    return fsdd.audio[index]


def test_a_clip_against_itself_scores_best(clips):
    clean = clips[0]
    assert metrics.pesq_nb(clean, clean) == pytest.approx(4.55, abs=0.01)
    assert metrics.stoi(clean, clean) == pytest.approx(1.0, abs=1e-6)
    assert metrics.si_sdr(clean, clean) > 100
    assert metrics.segmental_snr(clean, clean) == pytest.approx(35.0)


def test_more_noise_scores_worse_at_every_step(clips):
    rng = np.random.default_rng(0)
    snrs = (-5.0, 0.0, 5.0, 10.0, 20.0)
    table = {name: [] for name in metrics.SPEECH_METRICS}
    noises = [data.make_noise("white", clips.shape[1], 8000, rng) for _ in clips]
    for snr in snrs:
        noisy = np.stack(
            [data.mix_at_snr(c, n, snr) for c, n in zip(clips, noises, strict=True)]
        )
        scores = metrics.speech_scores(clips, noisy, 8000, on_error="raise")
        for name in metrics.SPEECH_METRICS:
            table[name].append(scores[name])
    for name, values in table.items():
        assert np.all(np.diff(values) > 0), (name, values)
    assert 1.0 <= table["pesq"][0] < table["pesq"][-1] < 4.55
    assert 0 < table["stoi"][0] < table["stoi"][-1] < 1
    # SI-SDR tracks the mixing SNR (measured over the active samples; the padding adds
    # noise-only samples, so SI-SDR over the whole clip is a few dB lower).
    assert table["si_sdr"][-1] == pytest.approx(20.0, abs=5.0)
    assert table["si_sdr"][-1] - table["si_sdr"][1] == pytest.approx(20.0, abs=1.0)


def test_si_sdr_matches_a_hand_computation_and_ignores_scale():
    clean = np.array([1.0, 0.0])
    # processed [2, 1]: target = (2 / 1) * clean = [2, 0]; error [0, 1]; 10 log10(4 / 1).
    assert metrics.si_sdr(clean, np.array([2.0, 1.0]), zero_mean=False) == pytest.approx(
        10 * math.log10(4.0)
    )
    assert metrics.si_sdr(clean, np.array([1.0, 1.0]), zero_mean=False) == pytest.approx(0.0)
    rng = np.random.default_rng(1)
    reference = rng.standard_normal(4000)
    estimate = reference + 0.3 * rng.standard_normal(4000)
    value = metrics.si_sdr(reference, estimate)
    for scale in (0.01, 0.5, 7.0):
        assert metrics.si_sdr(reference, scale * estimate) == pytest.approx(value, abs=1e-9)
    # By hand with zero means.
    r, e = reference - reference.mean(), estimate - estimate.mean()
    target = (e @ r) / (r @ r) * r
    expected = 10 * np.log10((target @ target) / ((e - target) @ (e - target)))
    assert value == pytest.approx(expected, abs=1e-9)
    # A gain does not change SI-SDR, but it does change segmental SNR.
    assert metrics.segmental_snr(reference, 0.5 * reference) == pytest.approx(
        20 * math.log10(2.0)
    )


def test_segmental_snr_of_known_mixtures():
    clean = tone(440.0, 4096 / 8000, 8000).astype(np.float64)
    assert clean.shape == (4096,)
    # A 10 % error everywhere: every frame is at 20 dB.
    assert metrics.segmental_snr(clean, 1.1 * clean) == pytest.approx(20.0, abs=1e-6)
    # Overwhelming noise clamps to -10 dB, an exact copy to +35 dB.
    loud = clean + 100 * np.random.default_rng(2).standard_normal(4096)
    assert metrics.segmental_snr(clean, loud) == pytest.approx(-10.0)
    # First half at 20 dB, second half at 40 dB (clamped to 35); frames of 256 every 128:
    # 15 frames in each half and one straddling frame at 10 log10(2 / (0.01 + 0.0001)).
    error = np.where(np.arange(4096) < 2048, 0.1, 0.01) * clean
    straddle = 10 * math.log10(2 / (0.01 + 0.0001))
    expected = (15 * 20.0 + 15 * 35.0 + straddle) / 31
    assert metrics.segmental_snr(clean, clean + error, active_db=None) == pytest.approx(
        expected, abs=0.05
    )


def test_segmental_snr_leaves_out_silent_frames():
    clean = np.concatenate([tone(300.0, 0.25, 8000), np.zeros(2000, np.float32)])
    noisy = clean + 0.01 * np.random.default_rng(3).standard_normal(clean.shape[0])
    active = metrics.segmental_snr(clean, noisy)
    every = metrics.segmental_snr(clean, noisy, active_db=None)
    assert active > 25 and every < active - 10  # silent frames score -10 dB


def test_speech_scores_means_match_the_single_functions(clips):
    rng = np.random.default_rng(4)
    noisy = clips + 0.05 * rng.standard_normal(clips.shape).astype(np.float32)
    per_clip = metrics.speech_scores(clips, noisy, reduce=False)
    means = metrics.speech_scores(clips[..., None], noisy[..., None])
    assert per_clip["pesq"].shape == (4,)
    assert per_clip["pesq"][1] == pytest.approx(metrics.pesq_nb(clips[1], noisy[1]))
    assert per_clip["stoi"][2] == pytest.approx(metrics.stoi(clips[2], noisy[2]))
    assert per_clip["si_sdr"][3] == pytest.approx(metrics.si_sdr(clips[3], noisy[3]))
    for name in metrics.SPEECH_METRICS:
        assert means[name] == pytest.approx(float(np.mean(per_clip[name])))
    only = metrics.speech_scores(clips, noisy, metrics=("si_sdr",))
    assert list(only) == ["si_sdr"]


def test_speech_scores_progress_bar_counts_every_clip(clips, capsys):
    noisy = clips[:3] + 0.05 * np.random.default_rng(5).standard_normal(clips[:3].shape)
    quiet = metrics.speech_scores(clips[:3], noisy, metrics=("si_sdr", "segmental_snr"))
    shown = metrics.speech_scores(
        clips[:3], noisy, metrics=("si_sdr", "segmental_snr"), progress=True
    )
    assert shown == pytest.approx(quiet)
    # off a terminal the bar is a plain line (audiogan_kit.progress.LineProgress)
    assert "speech scores (si_sdr, segmental_snr): 3/3 clip (100%)" in capsys.readouterr().err


def test_pesq_16k_and_clear_errors(clips):
    import librosa

    clean16 = librosa.resample(clips[0], orig_sr=8000, target_sr=16000)
    assert metrics.pesq_nb(clean16, clean16, 16000) == pytest.approx(4.55, abs=0.01)
    with pytest.raises(ValueError, match="8,000 or 16,000 Hz"):
        metrics.pesq_nb(clips[0], clips[0], 44100)
    with pytest.raises(ValueError, match="no utterance"):
        metrics.pesq_nb(np.zeros(8192), np.zeros(8192))
    with pytest.raises(ValueError, match="same length"):
        metrics.si_sdr(clips[0], clips[0][:100])
    with pytest.raises(ValueError, match="unknown speech metric"):
        metrics.speech_scores(clips, clips, metrics=("mos",))


def test_undefined_pesq_is_nan_in_batches_and_left_out_of_means(clips):
    batch = np.stack([clips[0], np.zeros_like(clips[0])])
    with pytest.warns(UserWarning, match="left out"):
        per_clip = metrics.speech_scores(batch, batch, metrics=("pesq",), reduce=False)
    assert per_clip["pesq"][0] == pytest.approx(4.55, abs=0.01)
    assert np.isnan(per_clip["pesq"][1])
    with pytest.warns(UserWarning):
        assert metrics.speech_scores(batch, batch, metrics=("pesq",))["pesq"] == pytest.approx(
            4.55, abs=0.01
        )
    with pytest.raises(ValueError, match="no utterance"):
        metrics.speech_scores(batch, batch, metrics=("pesq",), on_error="raise")


def test_stoi_repeats_short_clips_or_raises():
    rng = np.random.default_rng(5)
    short = np.zeros(8192, np.float32)
    short[:2000] = tone(500.0, 0.25, 8000) * (1 + 0.5 * np.sin(np.arange(2000) / 200))
    noisy = short + 0.05 * rng.standard_normal(8192).astype(np.float32)
    with pytest.raises(ValueError, match="384 ms"):
        metrics.stoi(short, noisy, short="raise")
    repeated = metrics.stoi(short, noisy)
    assert 0.5 < repeated < 1.0
    assert metrics.stoi(short, short) == pytest.approx(1.0, abs=1e-6)


def test_pesq_is_p862_narrow_band_with_the_p862_1_mapping(clips):
    # A clip against itself has the raw P.862 score 4.5; P.862.1 maps it to 4.549, the
    # wide-band P.862.2 mapping would give 4.644.
    nb = 0.999 + 4.0 / (1.0 + math.exp(-1.4945 * 4.5 + 4.6607))
    wb = 0.999 + 4.0 / (1.0 + math.exp(-1.3669 * 4.5 + 3.8224))
    score = metrics.pesq_nb(clips[1], clips[1])
    assert score == pytest.approx(nb, abs=2e-3) and abs(score - wb) > 0.05
    labels = metrics.metric_labels()
    assert "P.862.1" in labels["pesq"] and "Corrigendum 2" in labels["pesq"]
    assert set(labels) == set(metrics.SPEECH_METRICS)


def test_stoi_repeats_says_which_clips_are_not_standard_stoi():
    from pystoi import stoi as pystoi_stoi

    rng = np.random.default_rng(6)
    long = np.zeros(8192, np.float32)
    long[:6400] = tone(500.0, 0.8, 8000) * (1 + 0.5 * np.sin(np.arange(6400) / 200))
    short = np.zeros(8192, np.float32)
    short[:2000] = long[:2000]  # 250 ms: two copies reach 384 ms
    shorter = np.zeros(8192, np.float32)
    shorter[:1000] = long[:1000]  # 125 ms: four copies
    assert metrics.stoi_repeats(np.stack([long, short, shorter])).tolist() == [1, 2, 4]
    noisy = long + 0.05 * rng.standard_normal(8192).astype(np.float32)
    # Long enough: exactly the standard score.
    assert metrics.stoi(long, noisy) == pytest.approx(pystoi_stoi(long, noisy, 8000), abs=1e-9)
