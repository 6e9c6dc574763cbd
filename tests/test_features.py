"""Tests for audiogan_kit.features: in-graph STFT features, statistics, Griffin-Lim, display."""

from __future__ import annotations

import dataclasses

import keras
import librosa
import numpy as np
import pytest
from keras import ops

from audiogan_kit import features
from audiogan_kit.config import AudioConfig
from audiogan_kit.data import AudioDataset, load_audio
from conftest import tone

CONFIG = AudioConfig()
# One clip per (digit, speaker) pair below: different voices, lengths and spectra.
FSDD_CLIPS = ["0_jackson_0", "3_theo_7", "5_nicolas_12", "7_george_3", "8_yweweler_20", "9_lucas_1"]


def _numpy(x) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


def _librosa_magnitude(audio: np.ndarray, config: AudioConfig = CONFIG) -> np.ndarray:
    """Independent reference: librosa's centred STFT, [batch, frames, bins] after the crop."""
    spec = librosa.stft(
        audio, n_fft=config.n_fft, hop_length=config.hop_length, center=True, pad_mode="reflect"
    )
    return np.abs(spec).swapaxes(-1, -2)[..., : config.num_frames, : config.num_bins]


def _spectral_convergence(reference: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """||S - S_hat||_F / ||S||_F per clip, for magnitudes [batch, frames, bins]."""
    return np.linalg.norm(reference - estimate, axis=(1, 2)) / np.linalg.norm(
        reference, axis=(1, 2)
    )


@pytest.fixture(scope="module")
def fsdd_clips(fsdd_path) -> np.ndarray:
    """Six real FSDD clips, float32 [6, 8192], read the kit's way."""
    return np.stack(
        [load_audio(fsdd_path / "recordings" / f"{name}.wav", CONFIG) for name in FSDD_CLIPS]
    )


@pytest.fixture
def noise_batch(rng) -> np.ndarray:
    return (0.3 * rng.standard_normal((3, CONFIG.num_samples))).clip(-1, 1).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# In-graph features
# ---------------------------------------------------------------------------------------------


@pytest.mark.backend
def test_shapes_at_defaults(noise_batch):
    stats = features.compute_spectrogram_stats(noise_batch, CONFIG)
    assert tuple(features.stft_magnitude(noise_batch, CONFIG).shape) == (3, 64, 128)
    assert tuple(features.log_magnitude(noise_batch, CONFIG).shape) == (3, 64, 128)
    assert tuple(features.log_mel(noise_batch, CONFIG).shape) == (3, 64, 64)
    assert tuple(features.specgan_features(noise_batch, stats, CONFIG).shape) == (3, 64, 128, 1)
    assert features.mel_filterbank(CONFIG).shape == (128, 64)
    # WaveGAN-style [batch, samples, 1] input gives the same numbers.
    np.testing.assert_array_equal(
        _numpy(features.stft_magnitude(noise_batch[..., None], CONFIG)),
        _numpy(features.stft_magnitude(noise_batch, CONFIG)),
    )
    assert features.frame_times(CONFIG)[1] == pytest.approx(0.016)
    assert features.bin_frequencies(CONFIG)[-1] == pytest.approx(4000 - 31.25)


@pytest.mark.backend
def test_stft_magnitude_matches_librosa_on_a_tone():
    audio = np.stack([tone(440.0, 1.024, 8000), tone(2500.0, 1.024, 8000, amplitude=0.1)])
    ours = _numpy(features.stft_magnitude(audio, CONFIG))
    reference = _librosa_magnitude(audio)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-5 * reference.max())
    # A Hann-windowed sine of amplitude a peaks near a * n_fft / 4 (= 32 for a = 0.5).
    assert ours[0, 10:50].max() == pytest.approx(0.5 * 256 / 4, rel=0.05)


@pytest.mark.backend
@pytest.mark.parametrize("frequency_hz, expected_bin", [(1000.0, 32), (1500.0, 48), (250.0, 8)])
def test_pure_tone_peaks_in_its_bin(frequency_hz, expected_bin):
    audio = tone(frequency_hz, 1.024, 8000)[None]
    magnitude = _numpy(features.stft_magnitude(audio, CONFIG))[0]
    peaks = magnitude.argmax(axis=1)
    # Frame 0 straddles the reflected edge (the sine folds back on itself); all others are
    # inside the clip.
    assert np.all(peaks[1:] == expected_bin), f"peak bins {np.unique(peaks[1:])}"
    assert features.bin_frequencies(CONFIG)[expected_bin] == frequency_hz


@pytest.mark.backend
def test_log_magnitude_and_log_mel_match_librosa(noise_batch, fsdd_clips):
    audio = np.concatenate([noise_batch, fsdd_clips[:2]])
    log_mag = _numpy(features.log_magnitude(audio, CONFIG))
    np.testing.assert_allclose(log_mag, np.log(_librosa_magnitude(audio) + 1e-5), atol=2e-3)

    mel = librosa.feature.melspectrogram(
        y=audio, sr=8000, n_fft=256, hop_length=128, n_mels=64, power=1.0, pad_mode="reflect"
    )
    reference = np.log(mel.swapaxes(-1, -2)[:, :64] + 1e-5)
    np.testing.assert_allclose(_numpy(features.log_mel(audio, CONFIG)), reference, atol=2e-3)
    # Silence sits at the floor: log(1e-5).
    silence = _numpy(features.log_magnitude(np.zeros((1, 8192), np.float32), CONFIG))
    np.testing.assert_allclose(silence, np.log(1e-5), atol=1e-4)


def test_mel_filterbank_drops_only_an_empty_nyquist_column():
    full = librosa.filters.mel(sr=8000, n_fft=256, n_mels=64)
    assert np.all(full[:, -1] == 0)
    np.testing.assert_array_equal(features.mel_filterbank(CONFIG), full[:, :128].T)


def test_mel_to_magnitude_is_a_non_negative_least_squares_fit(fsdd_clips):
    magnitude = _numpy(features.stft_magnitude(fsdd_clips[:4], CONFIG)).astype(np.float64)
    weights = features.mel_filterbank(CONFIG).astype(np.float64)
    mel = magnitude @ weights
    fitted = features.mel_to_magnitude(mel, CONFIG)
    assert fitted.shape == magnitude.shape and fitted.dtype == np.float32
    assert fitted.min() >= 0
    misfit = np.linalg.norm(fitted @ weights - mel) / np.linalg.norm(mel)
    # At least as tight as librosa's one-clip-at-a-time solver on the same problem.
    reference = np.stack([librosa.util.nnls(weights.T, clip.T).T for clip in mel[:1]])
    reference_misfit = np.linalg.norm(reference @ weights - mel[:1]) / np.linalg.norm(mel[:1])
    assert misfit < 5e-3 and misfit <= reference_misfit * 1.01
    # A single spectrogram works too; the wrong number of bands is refused.
    assert features.mel_to_magnitude(mel[0], CONFIG).shape == magnitude[0].shape
    with pytest.raises(ValueError, match="64"):
        features.mel_to_magnitude(mel[..., :10], CONFIG)


@pytest.mark.backend
def test_other_config_changes_the_shapes():
    config = AudioConfig(num_samples=4096, n_fft=512, hop_length=64, n_mels=40)
    audio = np.zeros((2, 4096), np.float32)
    assert tuple(features.stft_magnitude(audio, config).shape) == (2, 64, 256)
    assert tuple(features.log_mel(audio, config).shape) == (2, 64, 40)


@pytest.mark.backend
def test_features_inside_a_compiled_graph_equal_eager(noise_batch):
    stats = features.compute_spectrogram_stats(noise_batch, CONFIG)

    def all_features(audio):
        return (
            features.stft_magnitude(audio, CONFIG),
            features.log_mel(audio, CONFIG),
            features.specgan_features(audio, stats, CONFIG),
        )

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        compiled = tf.function(
            all_features, input_signature=[tf.TensorSpec([None, 8192], tf.float32)]
        )
    elif keras.backend.backend() == "jax":
        import jax

        compiled = jax.jit(all_features)
    else:
        pytest.fail(f"no compiled-graph check for backend {keras.backend.backend()}")
    for graph, eager in zip(compiled(noise_batch), all_features(noise_batch), strict=True):
        np.testing.assert_allclose(_numpy(graph), _numpy(eager), rtol=1e-5, atol=1e-5)


@pytest.mark.backend
def test_gradient_is_finite_on_silence():
    silence = ops.zeros((1, 8192))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(silence)
            total = ops.sum(features.log_magnitude(silence, CONFIG))
        gradient = tape.gradient(total, silence)
    else:
        import jax

        gradient = jax.grad(lambda x: ops.sum(features.log_magnitude(x, CONFIG)))(silence)
    assert np.all(np.isfinite(_numpy(gradient)))


@pytest.mark.backend
@pytest.mark.parametrize(
    "shape, message",
    [((8192,), r"clip\[None\]"), ((2, 8000), "num_samples"), ((2, 8192, 2), "batch, samples")],
)
def test_bad_audio_shapes_raise(shape, message):
    with pytest.raises(ValueError, match=message):
        features.stft_magnitude(np.zeros(shape, np.float32), CONFIG)


# ---------------------------------------------------------------------------------------------
# Statistics and normalisation
# ---------------------------------------------------------------------------------------------


def test_dataset_stats_match_numpy(fsdd_clips, tmp_path):
    n = len(fsdd_clips)
    dataset = AudioDataset(
        audio=fsdd_clips,
        labels=np.array([int(name[0]) for name in FSDD_CLIPS], dtype=np.int64),
        class_names=tuple(str(d) for d in range(10)),
        speakers=np.array([name.split("_")[1] for name in FSDD_CLIPS]),
        takes=np.array([int(name.split("_")[2]) for name in FSDD_CLIPS], dtype=np.int64),
        paths=np.array(FSDD_CLIPS),
        lengths=np.full(n, 8192, dtype=np.int64),
        config=CONFIG,
    )
    stats = features.compute_spectrogram_stats(dataset, batch_size=4)  # two uneven batches
    logs = np.log(_librosa_magnitude(fsdd_clips).astype(np.float64) + 1e-5)  # [6, 64, 128]
    np.testing.assert_allclose(stats.mean, logs.mean(axis=(0, 1)), atol=2e-4)
    np.testing.assert_allclose(stats.std, logs.std(axis=(0, 1)), atol=2e-4, rtol=1e-4)
    assert stats.mean.shape == (128,) and stats.mean.dtype == np.float32
    # Padded FSDD clips are mostly digital silence (log 1e-5 = -11.5), so the statistics mix
    # silence and speech: large std (measured 3.7-5.8) and a mean a little higher in the
    # speech band (bins 5-39, 156-1,250 Hz) than at the top (3.1-4 kHz): measured +0.84.
    assert stats.std.min() > 2.0
    assert stats.mean[5:40].mean() > stats.mean[100:].mean() + 0.5

    same = features.compute_spectrogram_stats(fsdd_clips, CONFIG, batch_size=256)
    np.testing.assert_allclose(same.mean, stats.mean, atol=1e-5)

    loaded = features.SpectrogramStats.load(stats.save(tmp_path / "stats.json"))
    np.testing.assert_array_equal(loaded.mean, stats.mean)
    np.testing.assert_array_equal(loaded.std, stats.std)
    again = features.SpectrogramStats.from_dict(stats.to_dict())
    np.testing.assert_array_equal(again.std, stats.std)


def test_stats_reject_bad_values(tmp_path):
    with pytest.raises(ValueError, match="same shape"):
        features.SpectrogramStats(mean=np.zeros(128), std=np.ones(127))
    with pytest.raises(ValueError, match="positive finite std"):
        features.SpectrogramStats(mean=np.zeros(4), std=np.array([1.0, 0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="lacks the key"):
        features.SpectrogramStats.from_dict({"mean": [0.0]})
    bad = tmp_path / "stats.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="stats.json"):
        features.SpectrogramStats.load(bad)
    with pytest.raises(ValueError, match="non-empty"):
        features.compute_spectrogram_stats(np.zeros((0, 8192), np.float32), CONFIG)


@pytest.mark.backend
def test_normalize_denormalize_round_trip(rng):
    stats = features.SpectrogramStats(
        mean=rng.normal(-3.0, 1.0, 128), std=rng.uniform(0.5, 2.0, 128)
    )
    # Inside +-3 std: exact round trip.
    z = rng.uniform(-2.9, 2.9, (2, 64, 128))
    log_mag = (z * stats.std + stats.mean).astype(np.float32)
    normalized = _numpy(features.normalize_spectrogram(log_mag, stats))
    np.testing.assert_allclose(normalized, z / 3.0, atol=1e-5)
    back = _numpy(features.denormalize_spectrogram(normalized, stats))
    np.testing.assert_allclose(back, log_mag, atol=1e-4)
    # Outside: clipped to +-1, and back at mean +- 3 std.
    far = np.stack([stats.mean + 10 * stats.std, stats.mean - 5 * stats.std])[None].astype(
        np.float32
    )
    normalized = _numpy(features.normalize_spectrogram(far, stats))
    np.testing.assert_allclose(normalized[0, 0], 1.0)
    np.testing.assert_allclose(normalized[0, 1], -1.0)
    np.testing.assert_allclose(
        _numpy(features.denormalize_spectrogram(normalized, stats))[0, 0],
        stats.mean + 3 * stats.std,
        rtol=1e-5,
    )
    # A trailing channel axis broadcasts per bin, too.
    with_channel = _numpy(features.normalize_spectrogram(log_mag[..., None], stats))
    np.testing.assert_allclose(with_channel[..., 0], z / 3.0, atol=1e-5)
    with pytest.raises(ValueError, match="128 bins"):
        features.normalize_spectrogram(np.zeros((1, 64, 100), np.float32), stats)


@pytest.mark.backend
def test_specgan_features_in_range(fsdd_clips, noise_batch):
    stats = features.compute_spectrogram_stats(fsdd_clips, CONFIG)
    for audio in (fsdd_clips, noise_batch, np.zeros((1, 8192), np.float32)):
        x = _numpy(features.specgan_features(audio, stats, CONFIG))
        assert x.min() >= -1.0 and x.max() <= 1.0
    x = _numpy(features.specgan_features(fsdd_clips, stats, CONFIG))
    # Normalised with their own statistics the clips average 0; silence (about half the
    # frames) sits at about -0.3 and the loudest speech above +0.5 (measured -0.31 to 0.71).
    assert abs(float(x.mean())) < 1e-3
    assert x.max() > 0.5 and x.min() < -0.25
    assert 0.3 < float(np.mean(x < -0.25)) < 0.8


# ---------------------------------------------------------------------------------------------
# Back to audio
# ---------------------------------------------------------------------------------------------


def test_griffin_lim_round_trip_on_fsdd(fsdd_clips):
    """Spectral convergence on real speech, measured on 30 FSDD clips (one in 100):

    n_iter   8: max 0.22, mean 0.13;  32: max 0.11, mean 0.053;  100: max 0.085, mean 0.024;
    random phase without iterations: mean 0.50. Bounds: every clip < 0.15 at 32 iterations
    (a third above the worst measured), and more iterations do better on average.
    """
    magnitude = _numpy(features.stft_magnitude(fsdd_clips, CONFIG))
    convergence = {}
    for n_iter in (8, 32, 100):
        audio = features.griffin_lim(magnitude, CONFIG, n_iter=n_iter, seed=0)
        assert audio.shape == (6, 8192) and audio.dtype == np.float32
        assert np.abs(audio).max() <= 1.0
        estimate = _numpy(features.stft_magnitude(audio, CONFIG))
        convergence[n_iter] = _spectral_convergence(magnitude, estimate)
    assert convergence[32].max() < 0.15, convergence[32]
    assert convergence[8].mean() > convergence[32].mean() > convergence[100].mean()
    # Same seed, same audio; one clip [frames, bins] works too.
    np.testing.assert_array_equal(
        features.griffin_lim(magnitude[0], CONFIG, n_iter=4, seed=3),
        features.griffin_lim(magnitude[:1], CONFIG, n_iter=4, seed=3),
    )


def test_griffin_lim_in_chunks_is_the_whole_batch_at_once_and_shows_progress(fsdd_clips, capsys):
    """Chunks draw their initial phases in turn from one generator: the same audio."""
    magnitude = _numpy(features.stft_magnitude(fsdd_clips, CONFIG))  # 6 clips
    whole = features.griffin_lim(magnitude, CONFIG, n_iter=3, seed=5)
    # The reference: librosa's own call on the whole batch (what griffin_lim did before chunks).
    mag = np.concatenate([magnitude, magnitude[:, -1:, :]], axis=1)
    mag = np.transpose(np.pad(mag, ((0, 0), (0, 0), (0, 1))), (0, 2, 1))
    reference = librosa.griffinlim(
        mag, n_iter=3, hop_length=CONFIG.hop_length, win_length=CONFIG.n_fft,
        n_fft=CONFIG.n_fft, pad_mode="reflect", length=CONFIG.num_samples, random_state=5,
    )
    np.testing.assert_allclose(whole, np.clip(reference, -1, 1), rtol=0, atol=1e-6)
    capsys.readouterr()
    chunked = features.griffin_lim(magnitude, CONFIG, n_iter=3, seed=5, progress=True, chunk=4)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-6)
    assert "Griffin-Lim, 6 clips" in capsys.readouterr().err  # 2 chunks: a bar
    features.griffin_lim(magnitude, CONFIG, n_iter=3, seed=5, progress=True)
    assert "Griffin-Lim" not in capsys.readouterr().err  # one chunk: no bar


def test_spectrogram_to_audio_from_specgan_features(fsdd_clips):
    stats = features.compute_spectrogram_stats(fsdd_clips, CONFIG)
    spec = features.specgan_features(fsdd_clips[:3], stats, CONFIG)
    audio = features.spectrogram_to_audio(spec, stats, CONFIG, n_iter=32)
    assert audio.shape == (3, 8192) and audio.dtype == np.float32
    # Normalisation clips at +-3 std, so the reconstruction loses a bit more than Griffin-Lim
    # alone; measured 0.10-0.13 on these clips.
    reference = _numpy(features.stft_magnitude(fsdd_clips[:3], CONFIG))
    estimate = _numpy(features.stft_magnitude(audio, CONFIG))
    assert _spectral_convergence(reference, estimate).max() < 0.25
    with pytest.raises(ValueError, match=r"\[batch, 64, 128\]"):
        features.spectrogram_to_audio(np.zeros((1, 64, 129), np.float32), stats, CONFIG)
    with pytest.raises(ValueError, match="n_iter"):
        features.griffin_lim(np.zeros((1, 64, 128), np.float32), CONFIG, n_iter=0)


# ---------------------------------------------------------------------------------------------
# Display
# ---------------------------------------------------------------------------------------------


def test_spectrogram_db_matches_graph_features(fsdd_clips):
    clip = fsdd_clips[1]
    db = features.spectrogram_db(clip, CONFIG, top_db=None)
    magnitude = _numpy(features.stft_magnitude(clip[None], CONFIG))[0]
    assert db.shape == (64, 128) and db.dtype == np.float32
    np.testing.assert_allclose(db, 20 * np.log10(np.maximum(magnitude, 1e-5)), atol=0.01)
    # top_db floors the picture 80 dB under its peak; ref moves it.
    floored = features.spectrogram_db(clip, CONFIG)
    assert floored.min() == pytest.approx(floored.max() - 80.0, abs=1e-3)
    np.testing.assert_allclose(
        features.spectrogram_db(clip, CONFIG, ref=10.0, top_db=None), db - 20.0, atol=1e-3
    )
    # A full-scale 1 kHz tone: its peak at about 20 log10(256 / 4) = 36 dB, in bin 32.
    loud = features.spectrogram_db(tone(1000.0, 1.024, 8000, amplitude=1.0), CONFIG)
    assert loud.max() == pytest.approx(36.1, abs=0.5)
    assert np.all(loud.argmax(axis=1)[1:] == 32)
    # Other lengths: frames = samples // hop_length.
    assert features.spectrogram_db(clip[:4000], CONFIG).shape == (31, 128)
    mel = features.mel_spectrogram_db(clip, dataclasses.replace(CONFIG, n_mels=40))
    assert mel.shape == (64, 40)
    with pytest.raises(ValueError, match="one clip"):
        features.spectrogram_db(fsdd_clips, CONFIG)


def test_mfcc_is_the_dct_of_log_mel_with_centred_deltas(rng):
    import scipy.fft

    x = rng.standard_normal((3, 40))
    np.testing.assert_allclose(
        x @ features.dct_matrix(40, 13), scipy.fft.dct(x, norm="ortho")[:, :13], atol=1e-5
    )
    config = AudioConfig(n_fft=512, hop_length=64, n_mels=40)
    audio = (0.1 * rng.standard_normal((2, 8192))).astype(np.float32)
    out = ops.convert_to_numpy(features.mfcc_with_deltas(audio, config, n_mfcc=13))
    assert out.shape == (2, 128, 39)
    mel = ops.convert_to_numpy(features.log_mel(audio, config))
    np.testing.assert_allclose(out[..., :13], mel @ features.dct_matrix(40, 13), atol=1e-3)
    c = out[..., :13]
    np.testing.assert_allclose(out[:, 5, 13:26], 0.5 * (c[:, 6] - c[:, 4]), atol=1e-4)
    with pytest.raises(ValueError, match="n_mfcc"):
        features.mfcc_with_deltas(audio, config, n_mfcc=41)
