"""Players, spectrogram comparisons and the dataset browser (notebooks/01_data.ipynb).

Every clip a learner should hear gets an ``ipywidgets.Audio`` player (16-bit PCM wav from
:func:`audiogan_kit.data.wav_bytes`, never autoplaying). Pictures are figures of
:mod:`audiogan_kit.plots` rendered to PNG bytes inside an ``ipywidgets.Image``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import ipywidgets
import numpy as np

from .. import plots
from ..arrays import as_clip
from ..config import DEFAULT_CONFIG, AudioConfig
from ..data import wav_bytes

__all__ = [
    "DatasetBrowser",
    "audio_player",
    "compare_spectrograms",
    "dataset_browser",
    "paired_samples_view",
    "player_grid",
]


# --- players -------------------------------------------------------------------------------


def audio_player(audio: Any, sample_rate: int, label: str | None = None) -> ipywidgets.VBox:
    """A labelled player for one clip: ``VBox([Label, Audio])``.

    Args:
        audio: float [samples] in [-1, 1] (clipped when written as 16-bit PCM wav).
        sample_rate: in Hz (an ``AudioConfig`` is accepted too).
        label: text above the player; default: the duration in s.

    Returns:
        The VBox, with attributes ``.audio`` (the ``ipywidgets.Audio``, wav bytes in
        ``.value``, no autoplay) and ``.label`` (the ``ipywidgets.Label``).
    """
    clip = as_clip(audio, finite=True)
    sample_rate = plots.sample_rate_hz(sample_rate)
    duration = clip.shape[0] / sample_rate
    text = f"{duration:.2f} s" if label is None else f"{label} ({duration:.2f} s)"
    label_widget = ipywidgets.Label(value=text)
    audio_widget = ipywidgets.Audio(
        value=wav_bytes(clip, sample_rate), format="wav", autoplay=False, loop=False
    )
    player = ipywidgets.VBox([label_widget, audio_widget])
    player.audio = audio_widget
    player.label = label_widget
    return player


def player_grid(
    clips: Any, sample_rate: int, labels: Sequence[str] | None = None, columns: int = 5
) -> ipywidgets.GridBox:
    """A grid of labelled players, ``columns`` per row; ``.players`` lists them in order.

    ``clips``: float [clips, samples] or a list of 1-D clips; ``labels``: one per clip
    (default ``"clip i"``).
    """
    clips = plots.clip_list(clips)
    labels = plots.clip_titles(labels, len(clips))
    if columns <= 0:
        raise ValueError(f"columns must be a positive number, got {columns}.")
    players = [
        audio_player(clip, sample_rate, label) for clip, label in zip(clips, labels, strict=True)
    ]
    grid = ipywidgets.GridBox(
        players,
        layout=ipywidgets.Layout(
            grid_template_columns=f"repeat({min(columns, len(players))}, minmax(0, 1fr))",
            grid_gap="4px 12px",
        ),
    )
    grid.players = players
    return grid


def compare_spectrograms(
    clips: Any,
    sample_rate_or_config: int | AudioConfig | None = None,
    titles: Sequence[str] | None = None,
    config: AudioConfig | None = None,
) -> ipywidgets.VBox:
    """Clips side by side: one figure with one dB colour scale, each player under its picture.

    Args:
        clips: float [clips, samples] or a list of 1-D clips in [-1, 1].
        sample_rate_or_config: the clips' rate in Hz or an ``AudioConfig``; a rate replaces
            ``config.sample_rate``.
        titles: one per clip (default ``"clip i"``).
        config: STFT settings (default ``AudioConfig()``).

    Returns:
        A VBox with ``.image`` (PNG of :func:`~audiogan_kit.plots.spectrogram_figure`),
        ``.players`` (one per clip, in an HBox under the figure) and ``.limits`` (the shared
        ``(vmin, vmax)`` dB).
    """
    config = DEFAULT_CONFIG if config is None else config
    if isinstance(sample_rate_or_config, AudioConfig):
        config = sample_rate_or_config
    elif sample_rate_or_config is not None:
        rate = plots.sample_rate_hz(sample_rate_or_config)
        config = dataclasses.replace(config, sample_rate=rate)
    clips = plots.clip_list(clips)
    titles = plots.clip_titles(titles, len(clips))
    png = plots.figure_to_png(plots.spectrogram_figure(clips, titles, config, pyplot=False))
    image = ipywidgets.Image(value=png, format="png", layout=ipywidgets.Layout(width="100%"))
    players = [
        audio_player(clip, config.sample_rate, title)
        for clip, title in zip(clips, titles, strict=True)
    ]
    for player in players:
        player.layout = ipywidgets.Layout(flex="1 1 0", min_width="0")
    row = ipywidgets.HBox(players, layout=ipywidgets.Layout(width="100%"))
    widget = ipywidgets.VBox([image, row])
    widget.image = image
    widget.players = players
    widget.limits = plots.shared_db_limits(clips, config)
    return widget


def paired_samples_view(
    clips: Any,
    titles: Sequence[str],
    real: Any = None,
    real_titles: Sequence[str] | None = None,
    sample_rate: int = 8000,
    title: str = "Samples",
    columns: int = 5,
    config: AudioConfig | None = None,
) -> ipywidgets.VBox:
    """A sample set beside real clips: one picture of ``columns`` panels a row, and players.

    The picture is :func:`~audiogan_kit.plots.sample_pairs_figure` (each panel: a clip, then
    the real clip paired with it, on one dB scale); under it a grid of the same shape holds
    each panel's players (the clip's, then the real clip's).

    Args:
        clips: float [n, samples] or n 1-D clips in [-1, 1].
        titles: n player labels (e.g. ``"step 500: digit 3"``); a panel is titled with the
            part after ``": "``.
        real: ``None`` or n real clips, paired in order with ``clips``.
        real_titles: n player labels of the real clips (default ``"real <panel title>"``).
        sample_rate: in Hz (replaces ``config.sample_rate``).
        title: the picture's title.
        columns: panels per row.
        config: STFT settings (default ``AudioConfig()``).

    Returns:
        A VBox with ``.image`` (the PNG), ``.players`` (every player: clip 0, real 0, clip 1,
        ...) and ``.grid`` (a GridBox: one VBox of players per panel).
    """
    config = dataclasses.replace(
        DEFAULT_CONFIG if config is None else config, sample_rate=plots.sample_rate_hz(sample_rate)
    )
    clips = plots.clip_list(clips)
    titles = plots.clip_titles(titles, len(clips))
    names = [name.split(": ", 1)[-1] for name in titles]
    figure = plots.sample_pairs_figure(clips, names, real, config, title, columns)
    # at most its own size (about 950 pixels for 5 panels a row): never blown up, so its labels
    # keep their size; shrunk to fit a narrower output area
    image = ipywidgets.Image(
        value=plots.render_png(figure), format="png", layout=ipywidgets.Layout(max_width="100%")
    )
    real = None if real is None else plots.clip_list(real)
    if real is not None and real_titles is None:
        real_titles = [f"real {name}" for name in names]
    cells, players = [], []
    for index, (clip, label) in enumerate(zip(clips, titles, strict=True)):
        cell = [audio_player(clip, config.sample_rate, label)]
        if real is not None:
            cell.append(audio_player(real[index], config.sample_rate, real_titles[index]))
        players.extend(cell)
        cells.append(ipywidgets.VBox(cell, layout=ipywidgets.Layout(min_width="0")))
    grid = ipywidgets.GridBox(
        cells,
        layout=ipywidgets.Layout(
            grid_template_columns=f"repeat({min(columns, len(cells))}, minmax(0, 1fr))",
            grid_gap="4px 12px",
        ),
    )
    widget = ipywidgets.VBox([image, grid])
    widget.image, widget.players, widget.grid = image, players, grid
    return widget


# --- dataset browser -----------------------------------------------------------------------


class DatasetBrowser(ipywidgets.VBox):
    """Pick a clip of an ``AudioDataset`` by digit, speaker and take; hear and see it.

    Parts: ``.digit`` (Dropdown over the dataset's class names present), ``.speaker``
    (Dropdown over the speakers who said that digit), ``.take`` (IntSlider over that
    speaker's takes of the digit; when takes are unknown or repeated it counts the clips
    instead, labelled "Clip"), ``.title`` (HTML: digit, speaker, take, length in s),
    ``.player`` / ``.audio`` (the player and its ``ipywidgets.Audio``) and ``.image`` (PNG:
    waveform above the dB spectrogram). ``.index`` is the chosen row of the dataset.
    """

    def __init__(self, dataset: Any) -> None:
        if len(dataset.labels) == 0:
            raise ValueError("dataset_browser needs a dataset with at least one clip.")
        self.dataset = dataset
        self.config: AudioConfig = dataset.config
        labels = np.asarray(dataset.labels)
        digits = sorted({int(label) for label in labels})
        self.digit = ipywidgets.Dropdown(
            options=[(str(dataset.class_names[d]), d) for d in digits],
            value=digits[0],
            description="Digit",
        )
        self.speaker = ipywidgets.Dropdown(options=[], description="Speaker")
        self.take = ipywidgets.IntSlider(
            value=0, min=0, max=0, description="Take", continuous_update=False
        )
        self.title = ipywidgets.HTML()
        self.player = audio_player(np.zeros(1, np.float32), self.config.sample_rate, "")
        self.audio = self.player.audio
        self.image = ipywidgets.Image(format="png")
        self.index = -1
        self._rows: np.ndarray = np.zeros(0, dtype=np.int64)
        self._values: np.ndarray = np.zeros(0, dtype=np.int64)
        self._busy = False
        controls = ipywidgets.HBox([self.digit, self.speaker, self.take])
        super().__init__([controls, self.title, self.player, self.image])
        self._set_speakers()
        self._set_takes()
        self._show()
        self.digit.observe(self._on_digit, names="value")
        self.speaker.observe(self._on_speaker, names="value")
        self.take.observe(self._on_take, names="value")

    # -- choosing ---------------------------------------------------------------------

    def _set_speakers(self) -> None:
        rows = np.flatnonzero(np.asarray(self.dataset.labels) == self.digit.value)
        speakers = sorted({str(s) for s in np.asarray(self.dataset.speakers)[rows]})
        current = self.speaker.value
        self.speaker.options = speakers
        self.speaker.value = current if current in speakers else speakers[0]

    def _set_takes(self) -> None:
        data = self.dataset
        mask = (np.asarray(data.labels) == self.digit.value) & (
            np.asarray(data.speakers).astype(str) == self.speaker.value
        )
        rows = np.flatnonzero(mask)
        takes = np.asarray(data.takes)[rows]
        known = bool(np.all(takes >= 0)) and len(np.unique(takes)) == len(takes)
        if known:
            order = np.argsort(takes, kind="stable")
            values = takes[order].astype(np.int64)
            self.take.description = "Take"
        else:
            order = np.arange(len(rows))
            values = np.arange(len(rows), dtype=np.int64)
            self.take.description = "Clip"
        self._rows = rows[order]
        self._values = values
        low, high = int(values[0]), int(values[-1])
        wanted = self.take.value
        # Widen first, then narrow, so min <= max holds at every step.
        self.take.max = max(high, self.take.max)
        self.take.min = low
        self.take.max = high
        self.take.value = int(self._nearest(wanted))

    def _nearest(self, value: int) -> int:
        return int(self._values[np.argmin(np.abs(self._values - value))])

    # -- showing ----------------------------------------------------------------------

    def _show(self) -> None:
        position = int(np.flatnonzero(self._values == self._nearest(self.take.value))[0])
        index = int(self._rows[position])
        self.index = index
        data = self.dataset
        rate = self.config.sample_rate
        clip = np.asarray(data.audio[index], dtype=np.float32)
        length_s = float(np.asarray(data.lengths)[index]) / rate
        digit_name = data.class_names[int(np.asarray(data.labels)[index])]
        take = int(np.asarray(data.takes)[index])
        take_text = str(take) if take >= 0 else "unknown"
        text = (
            f"Digit {digit_name}, speaker {self.speaker.value}, take {take_text}: "
            f"length {length_s:.2f} s"
        )
        self.title.value = f"<b>{text}</b>"
        self.audio.value = wav_bytes(clip, rate)
        self.player.label.value = f"Play the padded clip ({clip.shape[0] / rate:.3f} s)"
        self.image.value = plots.figure_to_png(plots.clip_figure(clip, self.config, title=text))

    # -- reacting ---------------------------------------------------------------------

    def _guarded(self, *steps) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            for step in steps:
                step()
        finally:
            self._busy = False

    def _on_digit(self, change: dict) -> None:
        self._guarded(self._set_speakers, self._set_takes, self._show)

    def _on_speaker(self, change: dict) -> None:
        self._guarded(self._set_takes, self._show)

    def _on_take(self, change: dict) -> None:
        def snap() -> None:
            nearest = self._nearest(self.take.value)
            if nearest != self.take.value:
                self.take.value = nearest

        self._guarded(snap, self._show)


def dataset_browser(dataset: Any) -> DatasetBrowser:
    """A :class:`DatasetBrowser` over ``dataset`` (an ``AudioDataset``): digit and speaker
    dropdowns, a take slider, a player, and waveform + spectrogram pictures of the clip."""
    return DatasetBrowser(dataset)
