"""Tests for audiogan_kit.widgets: players, spectrogram comparisons, the dataset browser."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from audiogan_kit import widgets  # noqa: E402
from audiogan_kit.config import AudioConfig  # noqa: E402
from audiogan_kit.data import AudioDataset, load_audio  # noqa: E402
from conftest import PCM_TOLERANCE, REPO, decode_wav, tone  # noqa: E402

CONFIG = AudioConfig()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Every test must leave no matplotlib figure open.
pytestmark = pytest.mark.usefixtures("no_figure_left_open")


@pytest.fixture
def clips() -> list[np.ndarray]:
    """Three clips of different loudness (and one of a different length)."""
    return [
        tone(500.0, 1.024, 8000, amplitude=0.9),
        tone(1500.0, 1.024, 8000, amplitude=0.05),
        tone(3000.0, 0.5, 8000, amplitude=0.3),
    ]


@pytest.fixture(scope="module")
def small_fsdd(fsdd_path) -> AudioDataset:
    """FSDD digits 1 and 7 by jackson and theo, takes 0-3, without 7_theo_2: 15 clips."""
    rows = [
        (digit, speaker, take)
        for digit in (1, 7)
        for speaker in ("jackson", "theo")
        for take in range(4)
        if (digit, speaker, take) != (7, "theo", 2)
    ]
    audio, lengths = [], []
    for digit, speaker, take in rows:
        clip, length = load_audio(
            fsdd_path / "recordings" / f"{digit}_{speaker}_{take}.wav", CONFIG, return_length=True
        )
        audio.append(clip)
        lengths.append(length)
    return AudioDataset(
        audio=np.stack(audio),
        labels=np.array([r[0] for r in rows], dtype=np.int64),
        class_names=tuple(str(d) for d in range(10)),
        speakers=np.array([r[1] for r in rows]),
        takes=np.array([r[2] for r in rows], dtype=np.int64),
        paths=np.array([f"{r[0]}_{r[1]}_{r[2]}.wav" for r in rows]),
        lengths=np.array(lengths, dtype=np.int64),
        config=CONFIG,
    )


# ---------------------------------------------------------------------------------------------
# Players
# ---------------------------------------------------------------------------------------------


def test_audio_player_holds_a_valid_wav(clips):
    player = widgets.audio_player(clips[2], 8000, label="tone")
    assert isinstance(player, ipywidgets.VBox)
    assert isinstance(player.audio, ipywidgets.Audio) and player.audio in player.children
    assert player.audio.format == "wav" and player.audio.autoplay is False
    audio, rate = decode_wav(player.audio.value)
    assert rate == 8000 and audio.shape == (4000,)
    np.testing.assert_allclose(audio, clips[2], atol=PCM_TOLERANCE)  # 16-bit PCM
    assert player.label.value == "tone (0.50 s)"
    # Default label: the duration; a [samples, 1] clip and another rate work too.
    other = widgets.audio_player(clips[0][:, None], 16000)
    assert other.label.value == "0.51 s"
    assert decode_wav(other.audio.value)[1] == 16000


def test_player_grid_has_one_labelled_player_per_clip(rng):
    batch = (0.1 * rng.standard_normal((7, 800))).astype(np.float32)
    labels = [f"sample {i}" for i in range(7)]
    grid = widgets.player_grid(batch, 8000, labels=labels, columns=3)
    assert isinstance(grid, ipywidgets.GridBox)
    assert len(grid.children) == 7 and list(grid.children) == grid.players
    assert [p.label.value for p in grid.players] == [f"sample {i} (0.10 s)" for i in range(7)]
    assert grid.layout.grid_template_columns.startswith("repeat(3,")
    decoded = decode_wav(grid.players[4].audio.value)[0]
    np.testing.assert_allclose(decoded, np.clip(batch[4], -1, 1), atol=PCM_TOLERANCE)
    # Default labels, fewer clips than columns.
    small = widgets.player_grid(batch[:2], 8000)
    assert [p.label.value for p in small.players] == ["clip 0 (0.10 s)", "clip 1 (0.10 s)"]
    assert small.layout.grid_template_columns.startswith("repeat(2,")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: widgets.player_grid([], 8000), "empty"),
        (
            lambda: widgets.player_grid(np.zeros((3, 100)), 8000, labels=["a", "b"]),
            "2 titles for 3",
        ),
        (lambda: widgets.player_grid(np.zeros((3, 100)), 8000, labels="abc"), "list of 3"),
        (lambda: widgets.player_grid(np.zeros((3, 100)), 8000, columns=0), "columns"),
        (lambda: widgets.audio_player(np.zeros((2, 100)), 8000), r"clips\[i\]"),
        (lambda: widgets.audio_player(np.array([0.0, np.nan]), 8000), "NaN"),
        (lambda: widgets.audio_player(np.zeros(0), 8000), "non-empty"),
        (lambda: widgets.audio_player(np.zeros(10), 0), "sample_rate"),
        (lambda: widgets.spectrogram_figure([], []), "empty"),
        (lambda: widgets.spectrogram_figure([np.zeros(800)] * 2, ["only one"]), "1 titles for 2"),
        (lambda: widgets.compare_spectrograms(np.zeros(800), 8000), r"wrap it as \[clip\]"),
    ],
)
def test_bad_input_raises_value_error_with_a_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def test_plots_imports_neither_ipywidgets_nor_keras():
    """The CLI draws its PNGs with audiogan_kit.plots: importing it stays light."""
    code = (
        "import sys, audiogan_kit.plots; "
        "print('ipywidgets' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.split() == ["False", "False"]


def test_plot_waveform_and_spectrogram_axes(clips):
    fig, (top, bottom) = plt.subplots(2, 1)
    line = widgets.plot_waveform(top, clips[2], 8000, title="wave")
    image = widgets.plot_spectrogram(bottom, clips[2], CONFIG, title="spec", vmin=-40, vmax=30)
    assert top.get_xlabel() == "Time (s)" and top.get_ylabel() == "Amplitude"
    assert top.get_xlim() == pytest.approx((0.0, 0.5)) and top.get_title() == "wave"
    assert len(line.get_xdata()) == 4000
    assert bottom.get_xlabel() == "Time (s)" and bottom.get_ylabel() == "Frequency (Hz)"
    assert image.get_clim() == (-40, 30)
    left, right, low, high = image.get_extent()
    assert right == pytest.approx(30.5 * 0.016) and high == pytest.approx(4000 - 15.625)
    # The 3 kHz tone is brightest in the row at 3 kHz (bin 96).
    assert np.argmax(image.get_array()[:, 5:].mean(axis=1)) == 96
    png = widgets.figure_to_png(fig)
    assert png.startswith(PNG_MAGIC)


def test_spectrogram_figure_shares_one_db_scale(clips):
    fig = widgets.spectrogram_figure(clips, ["loud", "quiet", "short"], CONFIG)
    try:
        images = [image for ax in fig.axes for image in ax.images]
        assert len(images) == 3
        clims = {image.get_clim() for image in images}
        assert len(clims) == 1
        vmin, vmax = clims.pop()
        # The loudest clip (0.9 full scale) sets the top: about 20 log10(0.9 * 256 / 4) dB.
        assert vmax == pytest.approx(20 * np.log10(0.9 * 64), abs=0.5)
        assert vmax - vmin == pytest.approx(widgets.DB_RANGE)
        spectrogram_axes = [ax for ax in fig.axes if ax.images]
        assert [ax.get_title() for ax in spectrogram_axes] == ["loud", "quiet", "short"]
        for ax in spectrogram_axes:
            assert "s" in ax.get_xlabel() and "(s)" in ax.get_xlabel()
        assert "Hz" in spectrogram_axes[0].get_ylabel()
        colorbar_axes = [ax for ax in fig.axes if not ax.images]
        assert len(colorbar_axes) == 1 and "dB" in colorbar_axes[0].get_ylabel()
        assert fig._suptitle is not None and fig._suptitle.get_text()
        # The quiet clip really is drawn darker on that shared scale.
        assert images[1].get_array().max() < images[0].get_array().max() - 20
    finally:
        plt.close(fig)
    # Wrapped onto rows: 5 clips, 2 per row -> 3 rows, 5 panels, one colour bar.
    fig = widgets.spectrogram_figure(clips + clips[:2], columns=2)
    try:
        panels = [ax for ax in fig.axes if ax.images]
        assert len(panels) == 5 and len(fig.axes) == 6
        assert len({ax.get_position().y0 for ax in panels}) == 3
        assert len({image.get_clim() for ax in panels for image in ax.images}) == 1
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="columns"):
        widgets.spectrogram_figure(clips, columns=0)


def test_compare_spectrograms_widget(clips):
    widget = widgets.compare_spectrograms(clips[:2], 8000, ["a", "b"])
    assert isinstance(widget, ipywidgets.VBox)
    assert bytes(widget.image.value).startswith(PNG_MAGIC) and widget.image.format == "png"
    assert [p.label.value for p in widget.players] == ["a (1.02 s)", "b (1.02 s)"]
    # Each player sits under the picture, in one row.
    assert widget.children[0] is widget.image
    assert list(widget.children[1].children) == widget.players
    assert widget.limits == widgets.shared_db_limits(clips[:2], CONFIG)
    # A config works in place of the rate; a rate replaces config.sample_rate.
    by_config = widgets.compare_spectrograms(clips[:2], CONFIG, ["a", "b"])
    assert bytes(by_config.image.value) == bytes(widget.image.value)
    other_rate = widgets.compare_spectrograms(clips[:2], 16000, ["a", "b"])
    assert decode_wav(other_rate.players[0].audio.value)[1] == 16000
    # The frequency axis now reads up to 8 kHz: a different picture.
    assert bytes(other_rate.image.value) != bytes(widget.image.value)


# ---------------------------------------------------------------------------------------------
# Dataset browser
# ---------------------------------------------------------------------------------------------


def _check_shows_the_chosen_clip(browser, dataset: AudioDataset) -> None:
    index = browser.index
    assert dataset.class_names[dataset.labels[index]] == browser.digit.label
    assert dataset.speakers[index] == browser.speaker.value
    assert dataset.takes[index] == browser.take.value
    assert browser.take.min <= browser.take.value <= browser.take.max
    audio, rate = decode_wav(browser.audio.value)
    assert rate == 8000
    np.testing.assert_allclose(audio, dataset.audio[index], atol=PCM_TOLERANCE)
    length_s = dataset.lengths[index] / 8000
    assert f"{length_s:.2f} s" in browser.title.value
    assert f"take {dataset.takes[index]}" in browser.title.value
    assert bytes(browser.image.value).startswith(PNG_MAGIC)


def test_dataset_browser_follows_its_controls(small_fsdd):
    browser = widgets.dataset_browser(small_fsdd)
    assert [label for label, _ in browser.digit.options] == ["1", "7"]
    assert list(browser.speaker.options) == ["jackson", "theo"]
    assert (browser.take.min, browser.take.max) == (0, 3)
    _check_shows_the_chosen_clip(browser, small_fsdd)
    assert "Digit 1, speaker jackson, take 0" in browser.title.value

    seen_audio = {bytes(browser.audio.value)}
    seen_png = {bytes(browser.image.value)}
    steps = [
        ("take", 3),
        ("speaker", "theo"),
        ("digit", 7),  # theo's take 3 exists for digit 7
        ("take", 2),  # 7_theo_2 is missing: snaps to a neighbour
        ("speaker", "jackson"),
        ("take", 0),
    ]
    for control, value in steps:
        getattr(browser, control).value = value
        _check_shows_the_chosen_clip(browser, small_fsdd)
        audio, png = bytes(browser.audio.value), bytes(browser.image.value)
        assert audio not in seen_audio, f"audio unchanged after {control}={value}"
        assert png not in seen_png, f"picture unchanged after {control}={value}"
        seen_audio.add(audio)
        seen_png.add(png)
        if (control, value) == ("take", 2):
            assert browser.take.value in (1, 3)
    assert browser.index == 8  # digit 7, jackson, take 0 is the ninth clip


def test_dataset_browser_with_unknown_takes(small_fsdd):
    unknown = small_fsdd.subset(np.arange(4))  # digit 1, jackson, takes 0-3
    unknown = AudioDataset(**{**unknown.__dict__, "takes": np.full(4, -1, dtype=np.int64)})
    browser = widgets.dataset_browser(unknown)
    assert browser.take.description == "Clip"
    assert (browser.take.min, browser.take.max) == (0, 3)
    browser.take.value = 2
    assert browser.index == 2
    np.testing.assert_allclose(
        decode_wav(browser.audio.value)[0], unknown.audio[2], atol=PCM_TOLERANCE
    )
    assert "take unknown" in browser.title.value
    with pytest.raises(ValueError, match="at least one clip"):
        widgets.dataset_browser(unknown.subset(np.zeros(0, dtype=np.int64)))


def test_figures_drawn_for_a_png_only_never_enter_pyplot(clips):
    """A dashboard draws from a training thread: the inline backend must not see (and show or
    close) its figures, so they are bare Figures that pyplot does not know of."""
    rows = [{"step": s, "d_loss": 1.0 / s, "g_loss": 2.0} for s in (1, 2, 3)]
    figure = widgets.loss_figure(rows, pyplot=False)
    spectrograms = widgets.spectrogram_figure(clips, pyplot=False)
    assert plt.get_fignums() == []
    assert widgets.figure_to_png(figure).startswith(PNG_MAGIC)
    assert widgets.figure_to_png(spectrograms).startswith(PNG_MAGIC)
    # The default stays a pyplot figure (for plt.show() in a notebook).
    shown = widgets.loss_figure(rows)
    assert plt.get_fignums() == [shown.number]
    plt.close(shown)


# ---------------------------------------------------------------------------------------------
# Listen as it learns: the sample-set browser
# ---------------------------------------------------------------------------------------------


class LoudnessJudge:
    """A stand-in judge: a clip is "heard as its digit" when its peak is over 0.5 x the digit's
    share (a number the test computes by hand); counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def accuracy(self, audio, labels) -> float:
        self.calls += 1
        peaks = np.abs(np.asarray(audio)).max(axis=1)
        return float(np.mean(peaks > 0.05 * (np.asarray(labels) + 1)))


def test_sample_set_browser_follows_its_slider_and_judges_each_set_once(
    tmp_path, rng, monkeypatch
):
    from audiogan_kit import training
    from conftest import tiny_train_config

    config = tiny_train_config("dense", num_steps=6, sample_every=2, num_eval_samples=3)
    folder = training.RunFolder(tmp_path, config)
    labels = np.array([0, 1, 2])
    for step in (2, 4, 6):  # louder with every step: peaks of about 0.03, 0.06, 0.09 x step
        audio = np.clip(rng.standard_normal((3, 4096)) * 0.01 * step, -1, 1).astype(np.float32)
        folder.save_samples(step, audio, audio, labels)
    saved = training.sample_set_paths(tmp_path)
    assert list(saved) == [2, 4, 6]
    expected = {}
    for step, path in saved.items():
        audio, labels = training.load_sample_set(path)
        assert audio.shape == (3, 4096) and list(labels) == [0, 1, 2]
        peaks = np.abs(audio).max(axis=1)
        expected[step] = float(np.mean(peaks > 0.05 * (labels + 1)))
    assert len(set(expected.values())) > 1  # the sets score differently

    suptitles = []
    original = widgets.sample_sets.plots.spectrogram_strip_figure

    def spy(*args, **kwargs):
        suptitles.append(kwargs["title"])
        return original(*args, **kwargs)

    monkeypatch.setattr(widgets.sample_sets.plots, "spectrogram_strip_figure", spy)
    judge = LoudnessJudge()
    browser = widgets.SampleSetBrowser(tmp_path, judge=judge, progress=False)
    assert browser.steps == [2, 4, 6] and browser.slider.value == 6 == browser.shown_step
    assert browser.accuracy == pytest.approx(expected) and judge.calls == 3
    assert suptitles[-1].startswith("Samples at step 6 (")

    def shown():
        grid = browser.players_box.children[0]
        return [p.audio.value for p in grid.players], browser.image.value, browser.plot.value

    last = shown()
    browser.slider.value = 2  # what a drag in JupyterLab does
    first = shown()
    assert browser.shown_step == 2 and suptitles[-1].startswith("Samples at step 2 (")
    assert "<b>step 2</b>" in browser.title.value
    assert [p.label.value.split(" (")[0] for p in browser.players_box.children[0].players] == [
        "digit 0", "digit 1", "digit 2"
    ]
    audio_2, _ = training.load_sample_set(saved[2])
    np.testing.assert_allclose(decode_wav(first[0][1])[0], audio_2[1], atol=PCM_TOLERANCE)
    assert first[0] != last[0]  # other sounds
    assert first[1] != last[1] and first[2] != last[2]  # other picture, the marker moved
    browser.slider.value = 6
    assert shown() == last  # the same step draws the same things
    browser.refresh()  # no new sets: nothing judged again
    assert judge.calls == 3 and browser.steps == [2, 4, 6]

    saved[4].unlink()  # a sample set removed meanwhile: the error is shown, not lost
    browser._sets.clear()
    browser.slider.value = 4
    assert "could not show step 4" in browser.message.value and browser.shown_step == 6


def test_sample_set_browser_without_a_judge_plots_the_losses_and_refuses_empty_runs(
    tmp_path, rng
):
    from audiogan_kit import training
    from conftest import tiny_train_config

    with pytest.raises(ValueError, match="not a training run"):
        widgets.SampleSetBrowser(tmp_path)
    config = tiny_train_config("dense", num_steps=2)
    training.RunFolder(tmp_path, config)
    with pytest.raises(ValueError, match="no saved sample sets"):
        widgets.SampleSetBrowser(tmp_path)
    folder = training.RunFolder(tmp_path, config)
    audio = np.stack([tone(400.0, 0.512, 8000, 0.5), tone(800.0, 0.512, 8000, 0.1)])
    folder.save_samples(1, audio, audio, np.array([3, 4]))
    folder.append_history({"step": 1, "d_loss": 1.2, "g_loss": 0.7, "steps_per_s": 1.0})
    browser = widgets.SampleSetBrowser(tmp_path)
    assert browser.steps == [1] and browser.accuracy == {}
    assert bytes(browser.plot.value).startswith(PNG_MAGIC)
    assert bytes(browser.image.value).startswith(PNG_MAGIC)
    folder.save_samples(3, audio[::-1], audio[::-1], np.array([4, 3]))
    browser.refresh()  # a run still training saved another set
    assert browser.steps == [1, 3] and browser.slider.value == 1
    browser.slider.value = 3
    assert [p.label.value.split(" (")[0] for p in browser.players_box.children[0].players] == [
        "digit 4", "digit 3"
    ]


def test_spectrogram_strip_figure_puts_the_clips_end_to_end(clips):
    from audiogan_kit import plots

    fig = plots.spectrogram_strip_figure(
        clips, ["a", "b", "c"], CONFIG, title="T", limits=(-40.0, 40.0), pyplot=False
    )
    ax, colorbar = fig.axes
    frames = [widgets.spectrogram_db(clip, CONFIG, top_db=None).shape[0] for clip in clips]
    frame_s = CONFIG.hop_length / CONFIG.sample_rate
    assert [image.get_clim() for image in ax.get_images()] == [(-40.0, 40.0)] * 3
    starts = [image.get_extent()[0] for image in ax.get_images()]
    assert starts == pytest.approx(-0.5 * frame_s + frame_s * np.cumsum([0, *frames[:-1]]))
    assert ax.get_xlim()[1] == pytest.approx((sum(frames) - 0.5) * frame_s)
    assert [text.get_text() for text in ax.texts] == ["a", "b", "c"]
    assert ax.get_ylabel() == "Frequency (Hz)" and "Time (s)" in ax.get_xlabel()
    assert colorbar.get_ylabel() == "Magnitude (dB)" and fig._suptitle.get_text() == "T"
