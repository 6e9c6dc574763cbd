"""Tests for the evaluation widgets (widgets.evaluation, widgets.latents).

Everything runs on synthetic clips (tones and noise made here), a tiny untrained generator
and a tiny untrained judge, so that the behaviour (what a control changes, which scale and
which numbers are shown) is checked in a few seconds; the metrics themselves are tested in
test_metrics.py.
"""

from __future__ import annotations

import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from audiogan_kit import metrics, plots, training, widgets  # noqa: E402
from audiogan_kit.config import AudioConfig  # noqa: E402
from audiogan_kit.models import ModelConfig  # noqa: E402
from conftest import PCM_TOLERANCE, decode_wav, tone  # noqa: E402

CONFIG = AudioConfig()
SAMPLES = CONFIG.num_samples

# Every test must leave no matplotlib figure open.
pytestmark = pytest.mark.usefixtures("no_figure_left_open")


def _decode(wav: bytes) -> np.ndarray:
    audio, rate = decode_wav(wav)
    assert rate == CONFIG.sample_rate
    return audio


@pytest.fixture
def image_limits(monkeypatch):
    """Record the colour limits of every image of every figure the widgets render."""
    recorded: list[list[tuple[float, float]]] = []
    original = plots.figure_to_png

    def spy(fig, dpi: int = 90) -> bytes:
        recorded.append([tuple(im.get_clim()) for ax in fig.axes for im in ax.images])
        return original(fig, dpi)

    monkeypatch.setattr(plots, "figure_to_png", spy)
    return recorded


def _digit_tone(digit: int, amplitude: float, seed: int) -> np.ndarray:
    """A clip for ``digit``: a tone at 300 + 250 * digit Hz plus a little noise, 8,192 samples."""
    rng = np.random.default_rng(seed)
    clip = tone(300.0 + 250.0 * digit, SAMPLES / CONFIG.sample_rate, CONFIG.sample_rate, amplitude)
    return (clip + 0.01 * rng.standard_normal(SAMPLES)).astype(np.float32)


@pytest.fixture(scope="module")
def real_and_generated():
    """Real: digits 0-3, 3 loud clips each; generated: digits 1-4, 2 quiet clips each."""
    real = np.stack([_digit_tone(d, 0.8, 10 * d + k) for d in range(4) for k in range(3)])
    real_labels = np.repeat(np.arange(4), 3)
    made = np.stack([_digit_tone(d, 0.05, 100 + 10 * d + k) for d in range(1, 5) for k in range(2)])
    made_labels = np.repeat(np.arange(1, 5), 2)
    return real, real_labels, made, made_labels


# ---------------------------------------------------------------------------------------------
# Confusion matrix figure
# ---------------------------------------------------------------------------------------------


def test_confusion_figure_shows_counts_fractions_and_accuracy():
    confusion = np.array([[8, 2, 0], [0, 5, 5], [0, 0, 0]])
    fig = widgets.confusion_figure(confusion, class_names=["zero", "one", "two"])
    try:
        ax = fig.axes[0]
        texts = sorted(t.get_text() for t in ax.texts)
        assert texts == ["2", "5", "5", "8"]  # empty cells are left blank
        np.testing.assert_allclose(
            ax.images[0].get_array(), [[0.8, 0.2, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 0.0]]
        )
        assert "accuracy 65.0% of 20 clips" in ax.get_title()
        assert ax.get_xlabel() == "digit the judge heard"
        assert ax.get_ylabel() == "digit asked for"
        assert [t.get_text() for t in ax.get_xticklabels()] == ["zero", "one", "two"]
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="square"):
        widgets.confusion_figure(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="2 class_names for a 3 x 3"):
        widgets.confusion_figure(confusion, class_names=["a", "b"])


# ---------------------------------------------------------------------------------------------
# Real vs generated
# ---------------------------------------------------------------------------------------------


def test_real_vs_generated_digit_selector_changes_audio_and_picture(
    real_and_generated, image_limits
):
    real, real_labels, made, made_labels = real_and_generated
    view = widgets.RealVsGenerated(real, real_labels, made, made_labels, CONFIG, per_digit=3)
    # Only digits with both real and generated clips can be chosen.
    assert [value for _, value in view.digit.options] == [1, 2, 3]
    assert view.digit.value == 1
    # Two clips a side (the generated side has only 2 of each digit), in picture order.
    np.testing.assert_array_equal(view.shown[0], [3, 4])
    np.testing.assert_array_equal(view.shown[1], [0, 1])
    assert len(view.real_players) == len(view.generated_players) == 2
    np.testing.assert_allclose(
        _decode(view.real_players[0].audio.value), real[3], atol=PCM_TOLERANCE
    )
    np.testing.assert_allclose(
        _decode(view.generated_players[1].audio.value), made[1], atol=PCM_TOLERANCE
    )
    first_image, first_wav = view.image.value, view.generated_players[0].audio.value

    view.digit.value = 3
    np.testing.assert_array_equal(view.shown[0], [9, 10])
    np.testing.assert_array_equal(view.shown[1], [4, 5])
    assert view.image.value != first_image
    assert view.generated_players[0].audio.value != first_wav
    np.testing.assert_allclose(
        _decode(view.generated_players[0].audio.value), made[4], atol=PCM_TOLERANCE
    )
    assert "Digit 3" in view.title.value


def test_real_vs_generated_puts_loud_real_and_quiet_generated_on_one_db_scale(
    real_and_generated, image_limits
):
    real, real_labels, made, made_labels = real_and_generated
    view = widgets.RealVsGenerated(real, real_labels, made, made_labels, CONFIG, per_digit=2)
    # The generated clips are 24 dB quieter: separate scales would hide that.
    expected = widgets.shared_db_limits([real[3], real[4], made[0], made[1]], CONFIG)
    assert view.limits == pytest.approx(expected)
    limits = image_limits[-1]
    assert len(limits) == 4
    assert all(clim == pytest.approx(expected) for clim in limits)
    loudest_generated = max(
        float(widgets.spectrogram_db(clip, CONFIG, top_db=None).max()) for clip in made[:2]
    )
    assert loudest_generated < expected[1] - 20


def test_real_vs_generated_rejects_bad_input(real_and_generated):
    real, real_labels, made, made_labels = real_and_generated
    with pytest.raises(ValueError, match="generated_labels must be int"):
        widgets.RealVsGenerated(real, real_labels, made, made_labels[:-1])
    with pytest.raises(ValueError, match=r"real_audio must be float \[clips, samples\]"):
        widgets.RealVsGenerated(real[0], real_labels[:1], made, made_labels)
    with pytest.raises(ValueError, match="real_labels must be int"):
        widgets.RealVsGenerated(real, real_labels.astype(float), made, made_labels)
    with pytest.raises(ValueError, match="no digit has both real and generated clips"):
        widgets.RealVsGenerated(real, real_labels, made, made_labels + 10)
    with pytest.raises(ValueError, match="per_digit"):
        widgets.RealVsGenerated(real, real_labels, made, made_labels, per_digit=0)


# ---------------------------------------------------------------------------------------------
# Latent interpolation
# ---------------------------------------------------------------------------------------------


def test_interpolate_latents_slerp_keeps_the_norm_linear_is_a_straight_line():
    a = np.array([3.0, 0.0, 0.0])
    b = np.array([0.0, 3.0, 0.0])
    path = widgets.interpolate_latents(a, b, 5)
    assert path.shape == (5, 3) and path.dtype == np.float32
    np.testing.assert_allclose(path[0], a, atol=1e-6)
    np.testing.assert_allclose(path[-1], b, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 3.0, atol=1e-5)
    np.testing.assert_allclose(path[2], [3 / np.sqrt(2), 3 / np.sqrt(2), 0.0], atol=1e-5)
    line = widgets.interpolate_latents(a, b, 5, method="linear")
    np.testing.assert_allclose(line[2], [1.5, 1.5, 0.0], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(line[2]), 3 / np.sqrt(2), atol=1e-5)
    # Parallel ends: slerp is undefined and falls back to the line.
    np.testing.assert_allclose(widgets.interpolate_latents(a, 2 * a, 3)[1], 1.5 * a, atol=1e-5)
    with pytest.raises(ValueError, match="same size"):
        widgets.interpolate_latents(a, b[:2], 5)
    with pytest.raises(ValueError, match="at least 2"):
        widgets.interpolate_latents(a, b, 1)
    with pytest.raises(ValueError, match="slerp"):
        widgets.interpolate_latents(a, b, 3, method="cubic")


@pytest.fixture(scope="module")
def tiny_run():
    """An untrained tiny conditional dense GAN, shaped like a run (gan, config, stats)."""
    model = ModelConfig(
        architecture="dense", num_samples=SAMPLES, latent_dim=8, model_dim=2, num_classes=10,
        label_dim=4,
    )
    config = training.TrainConfig(model=model, audio=CONFIG, loss="nonsaturating", n_critic=1)
    return types.SimpleNamespace(gan=training.build_gan(config), config=config, stats=None)


def test_latent_interpolation_slider_moves_along_the_path(tiny_run, image_limits):
    view = widgets.LatentInterpolation(tiny_run, digit=3, steps=5, seed=4)
    assert view.noise.shape == (5, 8) and view.path_audio.shape == (5, SAMPLES)
    # The path's ends are the seeded noise vectors, and each clip is the generator's output.
    ends = np.random.default_rng(4).standard_normal((2, 8)).astype(np.float32)
    np.testing.assert_allclose(view.noise[[0, -1]], ends, atol=1e-5)
    expected = training.examples_to_audio(
        tiny_run.gan.generate(view.noise, np.full(5, 3)), tiny_run.config, None
    )
    np.testing.assert_allclose(view.path_audio, expected, atol=1e-6)
    assert view.t == 0.0
    np.testing.assert_allclose(_decode(view.player.audio.value), expected[0], atol=PCM_TOLERANCE)
    np.testing.assert_allclose(
        _decode(view.end_player.audio.value), expected[4], atol=PCM_TOLERANCE
    )
    image, wav = view.image.value, view.player.audio.value

    view.position.value = 2
    assert view.t == pytest.approx(0.5)
    assert view.player.audio.value != wav
    np.testing.assert_allclose(_decode(view.player.audio.value), expected[2], atol=PCM_TOLERANCE)
    assert view.image.value != image
    assert "t = 0.50" in view.title.value
    # Every panel of the path picture is drawn on the path's one dB scale.
    assert all(clim == pytest.approx(view.limits) for clim in image_limits[-1])
    assert len(image_limits[-1]) == 5

    # Another digit: same noise, other clips; new ends: other noise.
    assert view.digit is not None
    noise = view.noise.copy()
    view.digit.value = 7
    np.testing.assert_array_equal(view.noise, noise)
    assert not np.allclose(view.path_audio, expected)
    view.new_ends.click()
    assert view.seed == 5 and not np.allclose(view.noise, noise)


def test_latent_interpolation_takes_a_trainer(tiny_run):
    """A running Trainer has no stats of its own: its sampler's are used."""
    trainer = types.SimpleNamespace(
        gan=tiny_run.gan, config=tiny_run.config, sampler=types.SimpleNamespace(stats=None)
    )
    view = widgets.LatentInterpolation(trainer, digit=1, steps=3, seed=2)
    assert view.digit is not None and view.digit.value == 1
    expected = training.examples_to_audio(
        tiny_run.gan.generate(view.noise, np.full(3, 1)), tiny_run.config, None
    )
    np.testing.assert_allclose(view.path_audio, expected, atol=1e-6)


def test_latent_interpolation_takes_a_function_and_checks_it():
    def synthesize(noise, labels):
        # The clip's level is a tenth of the noise vector's first value: linear in the noise.
        return 0.1 * noise[:, :1] * np.hanning(SAMPLES)[None, :]

    view = widgets.LatentInterpolation(synthesize, steps=3, latent_dim=4, method="linear")
    assert view.digit is None
    np.testing.assert_allclose(
        view.path_audio[1], np.mean(view.path_audio[[0, 2]], axis=0), atol=1e-6
    )
    with pytest.raises(ValueError, match="latent_dim must be given"):
        widgets.LatentInterpolation(synthesize, steps=3)
    with pytest.raises(ValueError, match="a trained run"):
        widgets.LatentInterpolation(object(), latent_dim=4)
    with pytest.raises(ValueError, match="returned 1 clips for 3 noise vectors"):
        widgets.LatentInterpolation(lambda z, y: np.zeros((1, SAMPLES)), steps=3, latent_dim=4)


# ---------------------------------------------------------------------------------------------
# The judge's view
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_judge() -> metrics.Judge:
    """An untrained judge: it still gives each clip a probability for every digit."""
    config = metrics.JudgeConfig(filters=(4,), embedding_dim=4, held_out_speaker=None)
    return metrics.Judge(metrics.build_judge_model(config, CONFIG), CONFIG, config)


def test_judge_view_shows_the_judges_digit_and_probability_for_each_clip(
    tiny_judge, real_and_generated
):
    real, real_labels, _, _ = real_and_generated
    clips, intended = real[:6], real_labels[:6]
    view = widgets.JudgeView(tiny_judge, clips, intended, columns=3)
    probabilities = tiny_judge.predict_proba(clips)
    np.testing.assert_array_equal(view.shown, np.arange(6))
    np.testing.assert_array_equal(view.predicted, probabilities.argmax(1))
    np.testing.assert_allclose(view.confidence, probabilities.max(1), rtol=1e-5)
    for i, (caption, card) in enumerate(zip(view.captions, view.cards, strict=True)):
        heard = int(probabilities[i].argmax())
        expected = f"judge hears {heard} (p = {probabilities[i].max():.0%})"
        assert expected in caption and f"asked for {intended[i]}" in caption
        assert ("right" if heard == intended[i] else "WRONG") in caption
        assert expected in card.caption.value
        np.testing.assert_allclose(_decode(card.player.value), clips[i], atol=PCM_TOLERANCE)
    accuracy = float(np.mean(probabilities.argmax(1) == intended))
    assert f"{accuracy:.0%} of all clips" in view.summary.value


def test_judge_view_orders_best_and_worst_by_the_intended_digits_probability(image_limits):
    # Probabilities chosen by hand: p(intended) is 0.9, 0.2, 0.6, 0.05.
    p = np.full((4, 10), 0.0)
    p[0, 1], p[0, 2] = 0.9, 0.1
    p[1, 1], p[1, 5] = 0.2, 0.8
    p[2, 3], p[2, 4] = 0.6, 0.4
    p[3, 0], p[3, 7] = 0.05, 0.95
    intended = np.array([1, 1, 3, 0])
    clips = np.stack([_digit_tone(d, 0.5, d) for d in range(4)])
    view = widgets.JudgeView(None, clips, intended, probabilities=p, order="best", max_clips=3)
    np.testing.assert_array_equal(view.shown, [0, 2, 1])
    np.testing.assert_array_equal(view.predicted, [1, 3, 5])
    assert view.captions[2] == "#1 asked for 1: judge hears 5 (p = 80%), WRONG"
    image, bars = view.image.value, view.bars_image.value
    assert all(clim == pytest.approx(image_limits[-2][0]) for clim in image_limits[-2])

    view.order.value = "worst"
    np.testing.assert_array_equal(view.shown, [3, 1, 2])
    assert view.captions[0] == "#3 asked for 0: judge hears 7 (p = 95%), WRONG"
    assert view.image.value != image and view.bars_image.value != bars
    np.testing.assert_allclose(_decode(view.cards[0].player.value), clips[3], atol=PCM_TOLERANCE)
    # Without intended digits the ranking uses the judge's own confidence.
    unlabelled = widgets.JudgeView(None, clips, probabilities=p, order="worst")
    np.testing.assert_array_equal(unlabelled.shown, [2, 1, 0, 3])
    assert unlabelled.captions[0] == "#2: judge hears 3 (p = 60%)"


def test_judge_view_rejects_bad_input(tiny_judge):
    clips = np.zeros((3, SAMPLES), np.float32)
    with pytest.raises(ValueError, match=r"probabilities must be float \[clips, classes\] = \[3"):
        widgets.JudgeView(None, clips, probabilities=np.full((2, 10), 0.1))
    with pytest.raises(ValueError, match="pass a judge"):
        widgets.JudgeView(None, clips)
    with pytest.raises(ValueError, match="intended must be int"):
        widgets.JudgeView(tiny_judge, clips, intended=[1, 2])
    with pytest.raises(ValueError, match="clip\\[None\\]"):
        widgets.JudgeView(tiny_judge, clips[0])
    with pytest.raises(ValueError, match="order must be one of"):
        widgets.JudgeView(tiny_judge, clips, order="random")
    with pytest.raises(ValueError, match="probabilities must be float"):
        widgets.probability_figure(np.ones(10))
