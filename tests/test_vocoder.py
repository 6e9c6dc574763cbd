"""The GAN vocoder: shapes, discriminators, its losses, a training step, a tiny run, resume.

The models are tiny (2,048-sample clips at 8 kHz, hop 64, 16 mel bands, a few channels) and
the data synthetic (harmonic tones with a rising pitch and a fade), so the file runs in well
under a minute on a 2-core CPU. Tests marked ``backend`` also run under
``KERAS_BACKEND=jax`` (``make test-jax``).
"""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pytest
from keras import ops

from audiogan_kit import backend, losses, models, training
from audiogan_kit.config import AudioConfig
from conftest import numpy_values

SAMPLES, HOP, MELS = 2048, 64, 16
AUDIO = AudioConfig(num_samples=SAMPLES, n_fft=128, hop_length=HOP, n_mels=MELS)
MODEL = models.VocoderConfig(
    n_mels=MELS,
    hop_length=HOP,
    upsample_factors=(8, 8),
    channels=16,
    dilations=(1, 3),
    num_scales=2,
    periods=(2, 3),
    discriminator_channels=(4, 8),
)
TINY = training.VocoderTrainConfig(
    # one scale and one period: each trainer traces its step, and the trace time grows with
    # the sub-discriminators
    model=dataclasses.replace(MODEL, num_scales=1, periods=(3,)),
    audio=AUDIO,
    stft_resolutions=((64, 16), (128, 32), (256, 64)),
    adversarial_start=3,
    segment_length=1024,  # random aligned halves of the clips (16 of 32 frames)
    batch_size=4,
    num_steps=30,
    checkpoint_every=15,
    keep_checkpoints=2,
    sample_every=15,
    log_every=1,
    num_eval_samples=2,
    g_learning_rate=2e-3,
    d_learning_rate=2e-3,
)


def _clips(n: int, first_pitch: float) -> np.ndarray:
    """Harmonic tones (3 partials) gliding up 20 %, faded in and out: float32 [n, 2048]."""
    t = np.arange(SAMPLES) / AUDIO.sample_rate
    f0 = first_pitch + 37.0 * np.arange(n)[:, None]
    phase = 2 * np.pi * f0 * (t + 0.1 * t**2 / t[-1])
    wave = sum(np.sin(k * phase) / k for k in (1, 2, 3))
    fade = np.sin(np.pi * t / t[-1]) ** 2
    return (0.4 * wave * fade).astype(np.float32)


TRAIN = (_clips(12, 150.0), np.zeros(12, np.int32))
HELD_OUT = (_clips(4, 170.0), np.zeros(4, np.int32))


@pytest.mark.backend
@pytest.mark.parametrize("frames", [8, 13])
def test_the_generator_makes_hop_samples_per_frame(frames):
    generator = models.build_vocoder_generator(MODEL)
    mel = np.random.default_rng(0).normal(-4.0, 2.0, (2, frames, MELS)).astype(np.float32)
    wave = ops.convert_to_numpy(generator(mel))
    assert wave.shape == (2, frames * HOP, 1)
    assert np.all(np.abs(wave) <= 1.0)


@pytest.mark.backend
def test_the_discriminators_give_logits_and_feature_maps_for_each_scale_and_period():
    discriminator = models.build_vocoder_discriminator(MODEL)
    wave = np.zeros((3, SAMPLES, 1), np.float32)
    outputs = discriminator(wave)
    assert MODEL.num_sub_discriminators == 4 and MODEL.feature_maps == 3
    assert len(outputs) == 4 * (3 + 1)
    groups = models.split_discriminator_outputs(outputs, MODEL)
    assert [len(maps) for _, maps in groups] == [3, 3, 3, 3]
    shapes = [tuple(logits.shape) for logits, _ in groups]
    # scales: stride 4 once (c1), on 2048 and 1024 samples; periods: 3 rows per stride 3
    assert shapes[:2] == [(3, 512, 1), (3, 256, 1)]
    assert shapes[2] == (3, -(-(-(-SAMPLES // 2) // 3) // 3), 2, 1)
    assert shapes[3][2:] == (3, 1)
    with pytest.raises(ValueError, match="multiply to the hop"):
        models.VocoderConfig(hop_length=256, upsample_factors=(8, 8))
    with pytest.raises(ValueError, match="discriminators must be"):
        models.VocoderConfig(discriminators=("spectral",))


@pytest.mark.backend
def test_the_stft_loss_is_zero_for_a_match_and_grows_as_the_snr_falls():
    clean = _clips(4, 200.0)[..., None]
    config = dataclasses.replace(AUDIO)
    assert float(losses.multi_resolution_stft_loss(clean, clean, config)) < 1e-5
    noise = np.random.default_rng(1).standard_normal(clean.shape).astype(np.float32)
    power = np.mean(clean**2)
    values = []
    for snr_db in (40, 30, 20, 10, 0):
        scale = np.sqrt(power / 10 ** (snr_db / 10) / np.mean(noise**2))
        noisy = clean + scale * noise
        values.append(float(losses.multi_resolution_stft_loss(clean, noisy, config)))
    assert np.all(np.diff(values) > 0), values
    assert values[0] > 0.01 and values[-1] > 1.0, values
    # a silent estimate: spectral convergence 1 at each resolution, plus the log distance
    silent = float(losses.multi_resolution_stft_loss(clean, np.zeros_like(clean), config))
    assert silent > 1.0


@pytest.mark.backend
def test_the_feature_and_adversarial_terms():
    real = [np.ones((2, 5, 3), np.float32), np.zeros((2, 4), np.float32)]
    fake = [np.ones((2, 5, 3), np.float32) * 1.5, np.full((2, 4), -1.0, np.float32)]
    assert float(losses.discriminator_feature_loss(real, real)) == 0.0
    assert float(losses.discriminator_feature_loss(real, fake, 2.0)) == pytest.approx(
        2.0 * (0.5 + 1.0) / 2
    )
    ones, zeros = [np.ones((2, 7, 1))] * 2, [np.zeros((2, 7, 1))] * 2
    assert float(losses.multiscale_lsgan_discriminator_loss(ones, zeros)) == 0.0
    assert float(losses.multiscale_lsgan_generator_loss(zeros)) == pytest.approx(2 * 0.5)


@pytest.mark.backend
def test_one_step_changes_every_weight_of_both_networks():
    import keras

    keras.utils.set_random_seed(0)
    gan = training.build_vocoder_gan(dataclasses.replace(TINY, adversarial_start=0))
    g_before = numpy_values(gan.generator.trainable_variables)
    d_before = numpy_values(gan.discriminator.trainable_variables)
    step = backend.compile_step(gan.train_step, gan.all_state(), jit_compile=False)
    mel, wave = training.vocoder_pairs(TRAIN[0][:4], TINY)
    out = {k: float(v) for k, v in step((mel, wave)).items()}
    for name, before, variables in (
        ("G", g_before, gan.generator.trainable_variables),
        ("D", d_before, gan.discriminator.trainable_variables),
    ):
        unchanged = [
            v.path
            for v, b in zip(variables, before, strict=True)
            if np.array_equal(ops.convert_to_numpy(v), b)
        ]
        assert not unchanged, f"{name}: {unchanged}"
    assert out["g_loss"] == pytest.approx(out["g_adversarial"] + out["feature"] + out["stft"])
    assert min(out["g_adversarial"], out["feature"], out["stft"], out["d_loss"]) > 0


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("vocoder")
    import keras

    keras.utils.set_random_seed(0)
    fresh = training.build_vocoder_gan(TINY)
    mel, wave = training.vocoder_pairs(HELD_OUT[0], TINY)
    before = float(losses.multi_resolution_stft_loss(wave, fresh.vocode(mel)[..., None], AUDIO))
    trainer = training.train_vocoder(TINY, TRAIN, path, log=lambda _: None, eval_dataset=HELD_OUT)
    return trainer, path, before


def test_a_tiny_run_lowers_the_stft_distance_on_held_out_clips(whole_run):
    trainer, path, before = whole_run
    mel, wave = training.vocoder_pairs(HELD_OUT[0], TINY)
    made = trainer.gan.vocode(mel)[..., None]
    after = float(losses.multi_resolution_stft_loss(wave, made, AUDIO))
    assert after < 0.8 * before, (before, after)
    history = trainer.history
    assert [r["step"] for r in history] == list(range(1, 31))
    for row in history:
        terms = row["g_adversarial"] + row["feature"] + row["stft"]
        assert row["g_loss"] == pytest.approx(terms, rel=1e-5)
    # the adversarial and feature terms join after adversarial_start generator updates
    assert all(r["g_adversarial"] == 0 and r["feature"] == 0 for r in history[:3])
    assert all(r["g_adversarial"] > 0 and r["feature"] > 0 for r in history[3:])
    # the run folder gives the same generator back
    loaded = training.load_vocoder_run(path, log=lambda _: None)
    assert loaded.step == 30
    np.testing.assert_allclose(
        loaded.resynthesize(HELD_OUT[0]), trainer.gan.vocode(mel), atol=1e-6
    )
    with np.load(path / "samples" / "step-00000030.npz") as samples:
        assert samples["audio"].shape == (2, SAMPLES)


def test_resume_continues_with_the_same_losses_as_an_uninterrupted_run(whole_run, tmp_path):
    whole = whole_run[0].history
    config = dataclasses.replace(TINY, num_steps=4)
    split = tmp_path / "split"
    training.train_vocoder(
        dataclasses.replace(config, num_steps=2), TRAIN, split, log=lambda _: None
    )
    messages: list[str] = []
    resumed = training.train_vocoder(config, TRAIN, split, log=messages.append)
    assert any("resuming" in m and "step 2" in m for m in messages)
    assert [r["step"] for r in resumed.history] == [1, 2, 3, 4]
    for key in ("d_loss", "g_loss", "stft", "feature", "g_adversarial"):
        np.testing.assert_allclose(
            [r[key] for r in resumed.history], [r[key] for r in whole[:4]], rtol=1e-4, err_msg=key
        )


def test_segments_are_aligned_frames_and_samples_drawn_again_on_resume():
    mel, wave = training.vocoder_pairs(TRAIN[0], TINY)
    batches = training.SegmentBatches(mel, wave, 4, seed=0, segment_length=512, hop=HOP)
    seg_mel, seg_wave = batches(5)
    assert seg_mel.shape == (4, 8, MELS) and seg_wave.shape == (4, 512, 1)
    whole_mel, whole_wave = training.EpochBatches((mel, wave), 4, 0)(5)  # the same clips
    starts = []
    for i in range(4):
        # the frames' offset in the clip's frames gives the samples' offset in the clip
        start = next(
            f for f in range(33 - 8) if np.array_equal(whole_mel[i, f : f + 8], seg_mel[i])
        )
        np.testing.assert_array_equal(seg_wave[i], whole_wave[i, start * HOP : start * HOP + 512])
        starts.append(start)
    assert len(set(starts)) > 1  # random offsets, not always the first frames
    np.testing.assert_array_equal(batches(5)[1], seg_wave)  # a pure function of the step
    assert not np.array_equal(batches(6)[1], seg_wave)
    with pytest.raises(ValueError, match="multiple of hop"):
        training.SegmentBatches(mel, wave, 4, seed=0, segment_length=500, hop=HOP)


def test_the_segment_length_is_checked_saved_and_optional_in_old_configs():
    for bad in (1000, 4096, 0):
        with pytest.raises(ValueError, match=f"segment_length={bad} must be a whole number"):
            dataclasses.replace(TINY, segment_length=bad)
    with pytest.raises(ValueError, match="training length \\(512"):  # n_fft 1024 > segment
        dataclasses.replace(TINY, segment_length=512, stft_resolutions=((1024, 256),))
    saved = TINY.to_dict()
    assert saved["segment_length"] == 1024
    assert training.VocoderTrainConfig.from_dict(saved) == TINY
    del saved["segment_length"]  # a config written before segments existed: whole clips
    old = training.VocoderTrainConfig.from_dict(saved)
    assert old.segment_length is None and old.train_audio.num_samples == SAMPLES
    assert TINY.train_audio.num_samples == 1024
    quick = training.VOCODER_TRAIN_PRESETS["quick"]
    assert quick.segment_length % quick.audio.hop_length == 0
    assert quick.segment_length < quick.audio.num_samples


def test_the_config_checks_its_values():
    with pytest.raises(ValueError, match="mel bands"):
        training.VocoderTrainConfig(model=MODEL)  # the quick audio: hop 256, 64 bands
    with pytest.raises(ValueError, match="not all"):
        dataclasses.replace(TINY, stft_weight=0, feature_weight=0, adversarial_weight=0)
    with pytest.raises(ValueError, match="stft_resolutions"):
        dataclasses.replace(TINY, stft_resolutions=((4096, 256),))
    assert training.VocoderTrainConfig.from_dict(TINY.to_dict()) == TINY
    quick = training.VOCODER_TRAIN_PRESETS["quick"]
    assert quick.model.hop_length == training.TRAIN_PRESETS["quick"].audio.hop_length
    assert quick.audio == training.TRAIN_PRESETS["quick"].audio


class _RecordingVocoder:
    """Stands in for a RunVocoder: keeps the log-mel frames it is given, returns 0.25s."""

    def __init__(self, audio: AudioConfig) -> None:
        self.config = types.SimpleNamespace(audio=audio)  # what examples_to_audio reads
        self.seen = None

    def vocode(self, mel):
        self.seen = np.asarray(mel)
        return np.full((len(mel), mel.shape[1] * self.config.audio.hop_length), 0.25, np.float32)


def test_a_mel_specgans_frames_reach_the_vocoder_as_log_mel(whole_run):
    """examples_to_audio(vocoder=...) denormalises a mel SpecGAN's frames to the vocoder's
    features (features.log_mel) and returns what the vocoder makes; a vocoder of other
    features, or one for a waveform run, is refused."""
    from audiogan_kit import features
    from conftest import tiny_train_config

    config = tiny_train_config("specgan1d")
    clips = np.concatenate([_clips(3, 200.0), _clips(3, 260.0)], axis=1)  # [3, 4096]
    examples, stats = training.prepare_examples(clips, config)
    vocoder = _RecordingVocoder(config.audio)
    audio = training.examples_to_audio(examples, config, stats, vocoder=vocoder)
    assert audio.shape == (3, config.audio.num_samples) and np.all(audio == 0.25)
    expected = features.compute_features(features.log_mel, clips, config.audio)
    assert vocoder.seen.shape == expected.shape == (3, config.audio.num_frames, 64)
    unclipped = np.abs(examples[..., 0]) < 0.99  # normalisation clips at 3 std
    assert unclipped.mean() > 0.9
    np.testing.assert_allclose(vocoder.seen[unclipped], expected[unclipped], atol=1e-4)

    trained = training.load_vocoder_run(whole_run[1], log=lambda _: None)  # 2,048-sample clips
    with pytest.raises(ValueError, match="trained on the features"):
        training.examples_to_audio(examples, config, stats, vocoder=trained)
    waveform = tiny_train_config("dense")
    with pytest.raises(ValueError, match="makes waveforms"):
        training.examples_to_audio(np.zeros((1, 4096, 1)), waveform, None, vocoder=vocoder)
