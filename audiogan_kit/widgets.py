"""Players, spectrogram comparisons and a dataset browser for the notebooks.

Introduced in notebooks/01_data.ipynb.

Every clip a learner should hear gets an ``ipywidgets.Audio`` player (16-bit PCM wav from
:func:`audiogan_kit.data.wav_bytes`, never autoplaying). Figures are drawn with matplotlib and
rendered to PNG bytes inside an ``ipywidgets.Image``, so a widget's picture is a value that
changes when its controls change (and that a browser test can see change). Each figure has a
title, time axes in seconds, frequency axes in Hz, amplitude axes, and one dB colour scale
with a colour bar shared by every spectrogram it compares. Figures are closed as soon as they
are rendered.

Clips are float ``[samples]`` in [-1, 1] at ``sample_rate`` Hz; several clips are a 2-D array
``[clips, samples]`` or a list of 1-D arrays (lengths may differ).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from typing import Any

import ipywidgets
import numpy as np

from .config import DEFAULT_CONFIG, AudioConfig
from .data import wav_bytes
from .features import bin_frequencies, spectrogram_db

#: Range of every dB colour scale: the loudest value shown minus this many dB is the floor.
DB_RANGE = 80.0
#: Colour map for spectrograms (perceptually uniform, dark = quiet).
COLORMAP = "magma"


# ----------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------


def _clip(audio: Any, what: str = "audio") -> np.ndarray:
    """One clip as float32 [samples]; ValueError if it is not a non-empty finite 1-D signal."""
    clip = np.asarray(audio, dtype=np.float32)
    if clip.ndim == 2 and clip.shape[-1] == 1:
        clip = clip[:, 0]
    if clip.ndim != 1 or clip.shape[0] == 0:
        raise ValueError(
            f"{what} must be one non-empty clip float [samples] (or [samples, 1]), got shape "
            f"{clip.shape}; pass clips[i] for one clip of a batch."
        )
    if not np.all(np.isfinite(clip)):
        raise ValueError(f"{what} contains NaN or infinite samples; check the model output.")
    return clip


def _clips(clips: Any, what: str = "clips") -> list[np.ndarray]:
    """A batch [clips, samples] or a sequence of 1-D clips as a non-empty list of clips."""
    if isinstance(clips, np.ndarray) or hasattr(clips, "shape"):
        array = np.asarray(clips, dtype=np.float32)
        if array.ndim == 3 and array.shape[-1] == 1:
            array = array[..., 0]
        if array.ndim == 1:
            raise ValueError(
                f"{what} must be several clips [clips, samples], got one clip of shape "
                f"{array.shape}; wrap it as [clip]."
            )
        clips = list(array)
    clips = list(clips)
    if not clips:
        raise ValueError(f"{what} is empty: pass at least one clip.")
    return [_clip(clip, f"{what}[{i}]") for i, clip in enumerate(clips)]


def _titles(titles: Sequence[str] | None, count: int, default: str = "clip") -> list[str]:
    if titles is None:
        return [f"{default} {i}" for i in range(count)]
    if isinstance(titles, str):
        raise ValueError(f"titles must be a list of {count} strings, got the string {titles!r}.")
    titles = [str(title) for title in titles]
    if len(titles) != count:
        raise ValueError(
            f"got {len(titles)} titles for {count} clips; pass one title per clip (or none)."
        )
    return titles


def _sample_rate(sample_rate: Any) -> int:
    if isinstance(sample_rate, AudioConfig):
        return sample_rate.sample_rate
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive whole number of Hz, got {sample_rate!r}.")
    return int(sample_rate)


# ----------------------------------------------------------------------------------------
# Drawing
# ----------------------------------------------------------------------------------------


def plot_waveform(ax, audio: Any, sample_rate: int, title: str | None = None):
    """Draw one clip against time on ``ax``; returns the ``Line2D``.

    x: time in s (0 to ``len(audio) / sample_rate``); y: amplitude in [-1, 1].
    """
    clip = _clip(audio)
    sample_rate = _sample_rate(sample_rate)
    times = np.arange(clip.shape[0]) / sample_rate
    (line,) = ax.plot(times, clip, linewidth=0.6, color="tab:blue")
    ax.set_xlim(0.0, clip.shape[0] / sample_rate)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Amplitude")
    if title is not None:
        ax.set_title(title)
    return line


def plot_spectrogram(
    ax,
    audio: Any,
    config: AudioConfig = DEFAULT_CONFIG,
    title: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
):
    """Draw the dB magnitude spectrogram of one clip on ``ax``; returns the ``AxesImage``.

    x: time in s (frame centres ``t * hop_length / sample_rate``); y: frequency in Hz
    (0 to Nyquist); colour: magnitude in dB (:func:`audiogan_kit.features.spectrogram_db`),
    limited to ``[vmin, vmax]`` when given (pass the same pair to every compared plot).
    """
    db = spectrogram_db(_clip(audio), config, top_db=None)
    frame_s = config.hop_length / config.sample_rate
    bin_hz = config.sample_rate / config.n_fft
    freqs = bin_frequencies(config)
    extent = (
        -0.5 * frame_s,
        (db.shape[0] - 0.5) * frame_s,
        freqs[0] - 0.5 * bin_hz,
        freqs[-1] + 0.5 * bin_hz,
    )
    image = ax.imshow(
        db.T,
        origin="lower",
        aspect="auto",
        extent=extent,
        cmap=COLORMAP,
        vmin=vmin,
        vmax=vmax,
        interpolation="nearest",
    )
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Frequency (Hz)")
    if title is not None:
        ax.set_title(title)
    return image


def shared_db_limits(clips: Any, config: AudioConfig = DEFAULT_CONFIG) -> tuple[float, float]:
    """One dB colour scale for several clips: ``(loudest - DB_RANGE, loudest)`` in dB."""
    loudest = max(float(spectrogram_db(clip, config, top_db=None).max()) for clip in _clips(clips))
    return loudest - DB_RANGE, loudest


def figure_to_png(fig, dpi: int = 90) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def spectrogram_figure(
    clips: Any,
    titles: Sequence[str] | None = None,
    config: AudioConfig = DEFAULT_CONFIG,
    suptitle: str = "Spectrograms (one dB scale)",
    columns: int | None = None,
):
    """Two or more clips' spectrograms side by side with one shared dB colour scale.

    Args:
        clips: float [clips, samples] or a list of 1-D clips in [-1, 1] at
            ``config.sample_rate`` Hz.
        titles: one title per clip (default ``"clip i"``).
        config: STFT settings and sample rate.
        suptitle: the figure's title.
        columns: panels per row (default: all in one row); more clips wrap onto new rows.

    Returns:
        A pyplot ``Figure`` (one axes per clip, 3.2 x 3.2 inches each, plus one colour bar in
        dB); close it with ``plt.close(fig)`` or render it with :func:`figure_to_png`.
    """
    import matplotlib.pyplot as plt

    clips = _clips(clips)
    titles = _titles(titles, len(clips))
    if columns is not None and columns <= 0:
        raise ValueError(f"columns must be a positive number, got {columns}.")
    columns = len(clips) if columns is None else min(columns, len(clips))
    rows = -(-len(clips) // columns)
    vmin, vmax = shared_db_limits(clips, config)
    fig, grid = plt.subplots(
        rows,
        columns,
        figsize=(3.2 * columns + 1.0, 3.2 * rows),
        squeeze=False,
        layout="constrained",
    )
    axes = list(grid.flat)
    for ax in axes[len(clips) :]:
        ax.remove()
    axes = axes[: len(clips)]
    images = [
        plot_spectrogram(ax, clip, config, title=title, vmin=vmin, vmax=vmax)
        for ax, clip, title in zip(axes, clips, titles, strict=True)
    ]
    for position, ax in enumerate(axes):
        if position % columns:
            ax.set_ylabel("")
    colorbar = fig.colorbar(images[-1], ax=axes)
    colorbar.set_label("Magnitude (dB)")
    fig.suptitle(suptitle)
    return fig


def clip_figure(audio: Any, config: AudioConfig = DEFAULT_CONFIG, title: str = "Clip"):
    """Waveform (top) and dB spectrogram (bottom) of one clip; returns a pyplot ``Figure``.

    The colour scale is fixed (see :func:`fixed_db_limits`) so that pictures of different
    clips compare.
    """
    import matplotlib.pyplot as plt

    clip = _clip(audio)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(6.4, 5.0), layout="constrained", height_ratios=(1, 1.6)
    )
    plot_waveform(top, clip, config.sample_rate, title="Waveform")
    vmin, vmax = fixed_db_limits(config)
    image = plot_spectrogram(bottom, clip, config, title="Spectrogram", vmin=vmin, vmax=vmax)
    bottom.set_xlim(top.get_xlim())
    colorbar = fig.colorbar(image, ax=bottom)
    colorbar.set_label("Magnitude (dB)")
    fig.suptitle(title)
    return fig


def fixed_db_limits(config: AudioConfig = DEFAULT_CONFIG) -> tuple[float, float]:
    """A clip-independent dB scale: a full-scale sine's peak, ``20 log10(n_fft / 4)``, down
    ``DB_RANGE`` dB (36 dB to -44 dB at n_fft 256, Hann window)."""
    top = 20.0 * np.log10(config.n_fft / 4.0)
    return top - DB_RANGE, top


# ----------------------------------------------------------------------------------------
# Players
# ----------------------------------------------------------------------------------------


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
    clip = _clip(audio)
    sample_rate = _sample_rate(sample_rate)
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
    clips = _clips(clips)
    labels = _titles(labels, len(clips))
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
        A VBox with ``.image`` (PNG of :func:`spectrogram_figure`), ``.players`` (one per
        clip, in an HBox under the figure) and ``.limits`` (the shared ``(vmin, vmax)`` dB).
    """
    config = DEFAULT_CONFIG if config is None else config
    if isinstance(sample_rate_or_config, AudioConfig):
        config = sample_rate_or_config
    elif sample_rate_or_config is not None:
        config = dataclasses.replace(config, sample_rate=_sample_rate(sample_rate_or_config))
    clips = _clips(clips)
    titles = _titles(titles, len(clips))
    png = figure_to_png(spectrogram_figure(clips, titles, config))
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
    widget.limits = shared_db_limits(clips, config)
    return widget


# ----------------------------------------------------------------------------------------
# Dataset browser
# ----------------------------------------------------------------------------------------


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
        self.image.value = figure_to_png(clip_figure(clip, self.config, title=text))

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


# ========================================================================================
# Part 2: training (introduced in notebooks/04_training.ipynb)
# ========================================================================================
#
# The dashboard is a training callback (audiogan_kit.training.TrainCallback) and a widget.
# A notebook cell that runs a long loop blocks the kernel, so button clicks would wait until
# the run ends: ``TrainingDashboard.start`` therefore trains in a background thread and the
# kernel stays free to deliver the Stop click; ``wait()`` blocks until the run ends (headless
# runs, papermill).


def loss_figure(history: Sequence[dict[str, float]], title: str = "Losses"):
    """Loss curves of a run's history rows: d_loss, g_loss (and penalty when nonzero) vs step."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    steps = [row["step"] for row in history]
    for key in ("d_loss", "g_loss", "penalty"):
        values = [row.get(key, 0.0) for row in history]
        if key == "penalty" and not any(values):
            continue
        ax.plot(steps, values, label=key)
    ax.set_title(title)
    ax.set_xlabel("generator step")
    ax.set_ylabel("loss (nats or critic units)")
    if history:
        ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


class TrainingDashboard(ipywidgets.VBox):
    """Live view of a training run: loss curves, samples next to real clips, steps/s, Stop.

    Use it as a callback (``train(..., callbacks=[dashboard])``), or let it run the training
    in a background thread with :meth:`start` (then the Stop button works while training)
    and :meth:`wait` for the end.

    Args:
        real_audio: float [n, samples] real clips to show beside the samples; with
            ``real_labels`` the clip of the same digit is picked for each sample.
        real_labels: int [n] labels of ``real_audio`` (optional).
        sample_rate: of the clips, in Hz.

    Attributes (for code and tests): ``status`` (Label: step, steps/s), ``loss_image``
    (Image), ``samples_box`` (VBox of the latest comparison), ``stop_button``, ``trainer``,
    ``error`` (the exception that ended a background run, or ``None``).
    """

    def __init__(self, real_audio: Any = None, real_labels: Any = None, sample_rate: int = 8000) -> None:  # noqa: E501
        self.real_audio = None if real_audio is None else np.asarray(real_audio, np.float32)
        self.real_labels = None if real_labels is None else np.asarray(real_labels)
        self.sample_rate = int(sample_rate)
        self.status = ipywidgets.Label(value="not started")
        self.loss_image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="640px"))
        self.samples_box = ipywidgets.VBox([])
        self.stop_button = ipywidgets.Button(description="Stop", button_style="danger", icon="stop")
        self.stop_button.on_click(lambda _: self.stop())
        self.trainer = None
        self.error: BaseException | None = None
        self._thread = None
        self._history: list[dict[str, float]] = []
        super().__init__([ipywidgets.HBox([self.stop_button, self.status]), self.loss_image, self.samples_box])  # noqa: E501

    # TrainCallback protocol (duck-typed, so that widgets does not import training)
    def on_train_begin(self, trainer) -> None:
        self.trainer = trainer
        self._history = list(trainer.history)
        self.status.value = f"step {trainer.step} / {trainer.config.num_steps}: starting"
        if self._history:
            self._draw_losses()

    def on_step_end(self, trainer, step: int, logs: dict[str, float]) -> None:
        pass

    def on_log(self, trainer, row: dict[str, float]) -> None:
        self._history.append(row)
        self.status.value = (
            f"step {row['step']} / {trainer.config.num_steps}: {row['steps_per_s']:.1f} steps/s, "
            f"d_loss {row['d_loss']:.3f}, g_loss {row['g_loss']:.3f}"
        )
        self._draw_losses()

    def on_samples(self, trainer, step: int, samples: np.ndarray, audio: np.ndarray) -> None:
        labels = getattr(trainer, "eval_labels", None)
        conditional = trainer.config.model.conditional
        clips, titles = [], []
        for i, clip in enumerate(audio):
            clips.append(clip)
            titles.append(f"step {step}: digit {labels[i]}" if conditional else f"step {step}: #{i}")
        real = self._real_for(labels if conditional else None, len(audio))
        if real is not None:
            clips = [c for pair in zip(clips, real, strict=True) for c in pair]
            titles = [t for pair in zip(titles, [f"real {t.split(': ')[1]}" for t in titles], strict=True) for t in pair]  # noqa: E501
        self.samples_box.children = [compare_spectrograms(clips, self.sample_rate, titles)]

    def on_checkpoint(self, trainer, step: int, path) -> None:
        pass

    def on_train_end(self, trainer) -> None:
        stopped = " (stopped)" if trainer._stop else ""
        self.status.value = f"finished at step {trainer.step}{stopped}; run folder {trainer.run_dir}"  # noqa: E501
        self.stop_button.disabled = True

    # helpers
    def _real_for(self, labels, count: int):
        if self.real_audio is None or len(self.real_audio) == 0:
            return None
        if labels is None or self.real_labels is None:
            return list(self.real_audio[:count]) if len(self.real_audio) >= count else None
        picked = []
        for label in labels:
            matches = np.flatnonzero(self.real_labels == label)
            if matches.size == 0:
                return None
            picked.append(self.real_audio[matches[0]])
        return picked

    def _draw_losses(self) -> None:
        self.loss_image.value = figure_to_png(loss_figure(self._history, "Losses while training"))

    def stop(self) -> None:
        """End the run cleanly after the current step (a checkpoint is written)."""
        if self.trainer is not None:
            self.trainer.stop()
        self.status.value = self.status.value + " (stopping...)"

    def start(self, config, dataset, run_dir, callbacks: Sequence[Any] = ()) -> TrainingDashboard:
        """Train ``config`` on ``dataset`` into ``run_dir`` in a background thread."""
        import threading

        from .training import train

        def target():
            try:
                train(config, dataset, run_dir, callbacks=[self, *callbacks], log=lambda _: None)
            except BaseException as error:  # shown in the status line and kept for wait()
                self.error = error
                self.status.value = f"stopped by an error: {error}"

        self.error = None
        self._thread = threading.Thread(target=target, daemon=True)
        self._thread.start()
        return self

    def wait(self) -> TrainingDashboard:
        """Block until a :meth:`start`-ed run ends; re-raise its error, if any."""
        if self._thread is not None:
            self._thread.join()
        if self.error is not None:
            raise self.error
        return self


class RunComparison(ipywidgets.VBox):
    """Sliders and dropdowns that start short runs, and a table comparing the runs.

    Controls: learning rate (both networks), batch size, ``n_critic``, loss, latent size,
    model size ``d``, steps. "Start run" trains ``base`` with those values (in the background,
    with a :class:`TrainingDashboard`) into ``runs_dir/run-<k>``; each finished run adds a
    row (its settings, final losses, steps/s, wall time) to ``table`` and to ``results``.

    Args:
        base: the :class:`~audiogan_kit.training.TrainConfig` the controls modify.
        dataset: the training clips (an ``AudioDataset``).
        runs_dir: folder for the runs.
    """

    def __init__(self, base, dataset, runs_dir) -> None:
        from pathlib import Path

        self.base = base
        self.dataset = dataset
        self.runs_dir = Path(runs_dir)
        self.results: list[dict[str, Any]] = []
        style = {"description_width": "110px"}
        self.controls = {
            "learning_rate": ipywidgets.FloatLogSlider(value=base.g_learning_rate, base=10, min=-5, max=-2, step=0.25, description="learning rate", style=style),  # noqa: E501
            "batch_size": ipywidgets.Dropdown(options=sorted({8, 16, 32, 64, base.batch_size}), value=base.batch_size, description="batch size", style=style),  # noqa: E501
            "n_critic": ipywidgets.IntSlider(value=base.n_critic, min=1, max=5, description="n_critic", style=style),  # noqa: E501
            "loss": ipywidgets.Dropdown(options=["minimax", "nonsaturating", "lsgan", "hinge", "wgan-gp"], value=base.loss, description="loss", style=style),  # noqa: E501
            "latent_dim": ipywidgets.Dropdown(options=sorted({16, 32, 64, 100, base.model.latent_dim}), value=base.model.latent_dim, description="latent size", style=style),  # noqa: E501
            "model_dim": ipywidgets.Dropdown(options=sorted({2, 4, 8, 16, 32, base.model.model_dim}), value=base.model.model_dim, description="model size d", style=style),  # noqa: E501
            "num_steps": ipywidgets.IntSlider(value=min(base.num_steps, 300), min=10, max=3000, step=10, description="steps", style=style),  # noqa: E501
        }
        self.start_button = ipywidgets.Button(description="Start run", button_style="success")
        self.start_button.on_click(lambda _: self.start())
        self.table = ipywidgets.HTML(value=self._table_html())
        self.dashboard_box = ipywidgets.VBox([])
        self.dashboard: TrainingDashboard | None = None
        super().__init__([*self.controls.values(), self.start_button, self.table, self.dashboard_box])  # noqa: E501

    def config(self):
        """The TrainConfig the controls describe now."""
        values = {name: control.value for name, control in self.controls.items()}
        model = dataclasses.replace(self.base.model, latent_dim=values["latent_dim"], model_dim=values["model_dim"])  # noqa: E501
        return dataclasses.replace(
            self.base,
            model=model,
            g_learning_rate=values["learning_rate"],
            d_learning_rate=values["learning_rate"],
            batch_size=values["batch_size"],
            n_critic=values["n_critic"],
            loss=values["loss"],
            num_steps=values["num_steps"],
            checkpoint_every=values["num_steps"],
            sample_every=0,
        )

    def start(self) -> TrainingDashboard:
        """Start a run with the current values; its row is added when it ends."""
        import time

        config = self.config()
        run_dir = self.runs_dir / f"run-{len(self.results) + 1}"
        start = time.perf_counter()
        comparison = self

        class _Recorder:
            def __getattr__(self, name):  # every other hook: nothing to do
                return lambda *args, **kwargs: None

            def on_train_end(self, trainer) -> None:
                last = trainer.history[-1] if trainer.history else {}
                comparison._add_row(config, run_dir, last, time.perf_counter() - start, trainer.step)  # noqa: E501

        self.dashboard = TrainingDashboard(getattr(self.dataset, "audio", None), getattr(self.dataset, "labels", None), config.audio.sample_rate)  # noqa: E501
        self.dashboard_box.children = [self.dashboard]
        self.start_button.disabled = True
        return self.dashboard.start(config, self.dataset, run_dir, callbacks=[_Recorder()])

    def _add_row(self, config, run_dir, last: dict[str, float], wall_s: float, step: int) -> None:
        self.results.append(
            {
                "run": run_dir.name,
                "loss": config.loss,
                "learning_rate": config.g_learning_rate,
                "batch_size": config.batch_size,
                "n_critic": config.n_critic,
                "latent_dim": config.model.latent_dim,
                "model_dim": config.model.model_dim,
                "steps": step,
                "d_loss": last.get("d_loss", float("nan")),
                "g_loss": last.get("g_loss", float("nan")),
                "steps_per_s": last.get("steps_per_s", float("nan")),
                "wall_s": wall_s,
            }
        )
        self.table.value = self._table_html()
        self.start_button.disabled = False

    def _table_html(self) -> str:
        if not self.results:
            return "<i>No runs yet: set the values and press Start run.</i>"
        keys = list(self.results[0])
        head = "".join(f"<th>{k}</th>" for k in keys)
        rows = "".join(
            "<tr>" + "".join(f"<td>{v:.4g}</td>" if isinstance(v, float) else f"<td>{v}</td>" for v in row.values()) + "</tr>"  # noqa: E501
            for row in self.results
        )
        return f"<table><tr>{head}</tr>{rows}</table>"


# ---------------------------------------------------------------------------------------------
# 3. Evaluation: real vs generated, latent interpolation, the judge's view (notebook 05)
# ---------------------------------------------------------------------------------------------
#
# These widgets take clips the notebook has already made and, for the judge's view, a judge
# (duck-typed: anything with ``predict_proba(audio) -> float [clips, classes]``, such as
# :class:`audiogan_kit.metrics.Judge`), so that this module imports neither metrics nor
# training at import time. The interpolation widget drives a generator: a trained run
# (``training.load_run``), a running ``Trainer``, or a function from noise to audio.


def _digit_labels(labels: Any, count: int, what: str) -> np.ndarray:
    """``labels`` as int64 [count]; ValueError naming ``what`` otherwise."""
    values = np.asarray(labels)
    integer = values.size == 0 or np.issubdtype(values.dtype, np.integer)
    if values.shape != (count,) or not integer:
        raise ValueError(
            f"{what} must be int [clips] with one digit per clip ({count} clips), got shape "
            f"{values.shape} of {values.dtype}."
        )
    return values.astype(np.int64)


def _batch(audio: Any, what: str) -> np.ndarray:
    """Clips of equal length as float32 [clips, samples] (``[clips, samples, 1]`` accepted)."""
    array = np.asarray(audio, dtype=np.float32)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"{what} must be float [clips, samples] (or [clips, samples, 1]) with at least one "
            f"clip, got shape {array.shape}; for one clip pass clip[None]."
        )
    return array


def confusion_figure(
    confusion: Any,
    class_names: Sequence[str] | None = None,
    title: str = "What the judge hears",
):
    """The confusion matrix of a conditional generator (or a classifier) as a figure.

    Args:
        confusion: int [classes, classes] counts, row = digit asked for (or true digit),
            column = digit the judge heard (``metrics.conditional_accuracy(...).confusion``).
        class_names: one name per class (default ``"0"``, ``"1"``, ...).
        title: the figure's title.

    Returns:
        A pyplot ``Figure``: colour = fraction of each row (0 to 1, so rows of any size
        compare), the count written in every non-empty cell, per-row accuracy on the right.
    """
    import matplotlib.pyplot as plt

    counts = np.asarray(confusion)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise ValueError(
            f"confusion must be a square [classes, classes] count matrix, got shape {counts.shape}."
        )
    classes = counts.shape[0]
    names = [str(k) for k in range(classes)] if class_names is None else list(class_names)
    if len(names) != classes:
        raise ValueError(
            f"got {len(names)} class_names for a {classes} x {classes} confusion matrix; pass "
            "one name per class."
        )
    totals = counts.sum(axis=1, keepdims=True)
    fractions = counts / np.maximum(totals, 1)
    fig, ax = plt.subplots(figsize=(5.6, 4.8), layout="constrained")
    image = ax.imshow(fractions, cmap="Blues", vmin=0.0, vmax=1.0)
    for row in range(classes):
        for column in range(classes):
            if counts[row, column]:
                dark = fractions[row, column] > 0.6
                ax.text(column, row, str(int(counts[row, column])), ha="center", va="center",
                        fontsize=8, color="white" if dark else "black")
    ax.set_xticks(range(classes), names)
    ax.set_yticks(range(classes), names)
    ax.set_xlabel("digit the judge heard")
    ax.set_ylabel("digit asked for")
    secondary = ax.secondary_yaxis("right")
    secondary.set_yticks(
        range(classes),
        [f"{fractions[k, k]:.0%}" if totals[k, 0] else "-" for k in range(classes)],
    )
    secondary.set_ylabel("accuracy per digit")
    colorbar = fig.colorbar(image, ax=ax, pad=0.12)
    colorbar.set_label("fraction of the row")
    overall = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title(f"{title} (accuracy {overall:.1%} of {int(counts.sum())} clips)")
    return fig


class RealVsGenerated(ipywidgets.VBox):
    """Real and generated clips of one digit side by side, on one dB scale; a digit selector.

    Args:
        real_audio: float [n, samples] real clips in [-1, 1] at ``config.sample_rate`` Hz.
        real_labels: int [n], their digits.
        generated_audio: float [m, samples] generated clips (same rate and length).
        generated_labels: int [m], the digit each was asked for (for an unconditional
            generator: the digit the judge heard, ``judge.predict(audio)``).
        config: sample rate and STFT settings of the pictures.
        per_digit: clips shown on each side (the first ``per_digit`` of the chosen digit; as
            many as both sides have, if fewer).
        class_names: display names of the labels (default ``"0"``..).

    Parts (for code and tests): ``.digit`` (Dropdown over the digits present on both sides),
    ``.image`` (PNG: real clips in the top row, generated ones below, one dB colour bar),
    ``.real_players`` and ``.generated_players`` (lists of players, in picture order),
    ``.limits`` (the shared ``(vmin, vmax)`` in dB of the clips shown) and ``.shown``
    (``(real rows, generated rows)``: the indices into the inputs, int64 arrays).
    """

    def __init__(
        self,
        real_audio: Any,
        real_labels: Any,
        generated_audio: Any,
        generated_labels: Any,
        config: AudioConfig = DEFAULT_CONFIG,
        per_digit: int = 3,
        class_names: Sequence[str] | None = None,
    ) -> None:
        self.real_audio = _batch(real_audio, "real_audio")
        self.generated_audio = _batch(generated_audio, "generated_audio")
        self.real_labels = _digit_labels(real_labels, len(self.real_audio), "real_labels")
        self.generated_labels = _digit_labels(
            generated_labels, len(self.generated_audio), "generated_labels"
        )
        if per_digit <= 0:
            raise ValueError(f"per_digit must be a positive number of clips, got {per_digit}.")
        self.config = config
        self.per_digit = int(per_digit)
        common = sorted(set(self.real_labels.tolist()) & set(self.generated_labels.tolist()))
        if not common:
            raise ValueError(
                "no digit has both real and generated clips: real digits "
                f"{sorted(set(self.real_labels.tolist()))}, generated digits "
                f"{sorted(set(self.generated_labels.tolist()))}."
            )
        self.class_names = (
            [str(name) for name in class_names] if class_names is not None else None
        )
        self.digit = ipywidgets.Dropdown(
            options=[(self._name(d), d) for d in common], value=common[0], description="Digit"
        )
        self.title = ipywidgets.HTML()
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="100%"))
        self.players_box = ipywidgets.VBox([])
        self.real_players: list[ipywidgets.VBox] = []
        self.generated_players: list[ipywidgets.VBox] = []
        self.limits = (0.0, 0.0)
        self.shown = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        super().__init__([self.digit, self.title, self.image, self.players_box])
        self._show()
        self.digit.observe(lambda _: self._show(), names="value")

    def _name(self, digit: int) -> str:
        names = self.class_names
        return names[digit] if names is not None and 0 <= digit < len(names) else str(digit)

    def _show(self) -> None:
        digit = self.digit.value
        real_rows = np.flatnonzero(self.real_labels == digit)
        made_rows = np.flatnonzero(self.generated_labels == digit)
        count = min(self.per_digit, real_rows.size, made_rows.size)
        real_rows, made_rows = real_rows[:count], made_rows[:count]
        self.shown = (real_rows, made_rows)
        clips = [*self.real_audio[real_rows], *self.generated_audio[made_rows]]
        name = self._name(digit)
        titles = [f"real {name} #{i}" for i in range(count)]
        titles += [f"generated {name} #{i}" for i in range(count)]
        rate = self.config.sample_rate
        self.limits = shared_db_limits(clips, self.config)
        self.image.value = figure_to_png(
            spectrogram_figure(
                clips, titles, self.config,
                suptitle=f"Digit {name}: real (top) vs generated (bottom), one dB scale",
                columns=count,
            )
        )
        self.real_players = [
            audio_player(clip, rate, title)
            for clip, title in zip(clips[:count], titles[:count], strict=True)
        ]
        self.generated_players = [
            audio_player(clip, rate, title)
            for clip, title in zip(clips[count:], titles[count:], strict=True)
        ]
        self.players_box.children = [
            ipywidgets.HBox(self.real_players), ipywidgets.HBox(self.generated_players)
        ]
        self.title.value = (
            f"<b>Digit {name}</b>: {count} real and {count} generated clips, colour scale "
            f"{self.limits[0]:.0f} to {self.limits[1]:.0f} dB"
        )


def interpolate_latents(start: Any, end: Any, steps: int, method: str = "slerp") -> np.ndarray:
    """Points on the path between two noise vectors: float32 [steps, latent_dim].

    ``method="slerp"`` (spherical, the usual choice for Gaussian noise: the points keep about
    the norm of the ends, where a straight line passes through the low-norm middle that the
    generator rarely saw, Shoemake 1985 / White 2016):
    ``sin((1 - t) w) / sin(w) start + sin(t w) / sin(w) end`` with ``w`` the angle between
    the ends; falls back to the straight line when the ends are (anti)parallel.
    ``method="linear"``: ``(1 - t) start + t end``. ``t`` runs from 0 to 1 in ``steps``
    equal steps, so row 0 is ``start`` and the last row is ``end``.
    """
    a = np.asarray(start, dtype=np.float64)
    b = np.asarray(end, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(
            f"start and end must be noise vectors [latent_dim] of the same size, got shapes "
            f"{a.shape} and {b.shape}."
        )
    if int(steps) < 2:
        raise ValueError(f"steps must be at least 2 (both ends), got {steps}.")
    if method not in ("slerp", "linear"):
        raise ValueError(f"method must be 'slerp' or 'linear', got {method!r}.")
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    cosine = a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = np.arccos(np.clip(cosine, -1.0, 1.0))
    if method == "linear" or np.sin(omega) < 1e-6:
        path = (1.0 - t) * a + t * b
    else:
        path = (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return path.astype(np.float32)


def _synthesizer(source: Any) -> tuple[Any, int | None, bool | None, AudioConfig | None]:
    """(noise, labels) -> audio for a run, a trainer or a function; plus what the run knows.

    Returns ``(synthesize, latent_dim, conditional, audio_config)``; the last three are
    ``None`` for a plain function.
    """
    if all(hasattr(source, name) for name in ("gan", "config", "stats")):
        from .training import examples_to_audio

        def synthesize(noise: np.ndarray, labels: np.ndarray) -> np.ndarray:
            made = source.gan.generate(noise, labels)
            return examples_to_audio(made, source.config, source.stats)

        model = source.config.model
        return synthesize, model.latent_dim, model.conditional, source.config.audio
    if callable(source):
        return source, None, None, None
    raise ValueError(
        "generator must be a trained run (training.load_run(run_dir)), a Trainer, or a "
        "function (noise float32 [n, latent_dim], labels int32 [n]) -> audio [n, samples]; "
        f"got {type(source).__name__}."
    )


class LatentInterpolation(ipywidgets.VBox):
    """Walk from one noise vector to another: hear and see every point of the path.

    Args:
        generator: a trained run (``training.load_run``), a ``Trainer``, or a function
            ``(noise float32 [n, latent_dim], labels int32 [n]) -> float32 [n, samples]``.
        digit: the digit asked for (conditional generators; ignored otherwise).
        steps: points on the path, both ends included (>= 2).
        seed: seeds the two noise vectors (standard normal); "New ends" adds 1.
        method: ``"slerp"`` or ``"linear"`` (see :func:`interpolate_latents`).
        latent_dim: the noise size, needed only for a plain function.
        config: sample rate and STFT settings (default: the run's, else ``AudioConfig()``).
        columns: panels per row of the path picture (default: all in one row).

    Parts: ``.position`` (IntSlider over the path), ``.digit`` (Dropdown, conditional runs
    only, else ``None``), ``.new_ends`` (Button), ``.image`` (PNG: the spectrogram of every
    point of the path on one dB scale, the current one framed), ``.player`` (the current
    clip), ``.start_player`` / ``.end_player`` (the ends), ``.noise`` (float32
    [steps, latent_dim]) and ``.path_audio`` (float32 [steps, samples]) of the current path,
    ``.limits`` (the path's shared dB scale).
    """

    def __init__(
        self,
        generator: Any,
        digit: int = 0,
        steps: int = 7,
        seed: int = 0,
        method: str = "slerp",
        latent_dim: int | None = None,
        config: AudioConfig | None = None,
        columns: int | None = None,
    ) -> None:
        synthesize, run_latent, conditional, run_audio = _synthesizer(generator)
        self._synthesize = synthesize
        self.latent_dim = int(latent_dim if latent_dim is not None else run_latent or 0)
        if self.latent_dim <= 0:
            raise ValueError(
                "latent_dim must be given (a positive noise size) when generator is a plain "
                "function."
            )
        self.config = config if config is not None else (run_audio or DEFAULT_CONFIG)
        self.method = method
        self.seed = int(seed)
        self.columns = columns
        interpolate_latents(np.zeros(2), np.ones(2), steps, method)  # checks steps and method
        self.position = ipywidgets.IntSlider(
            value=0, min=0, max=int(steps) - 1, description="Path step", continuous_update=False
        )
        self.digit = None
        if conditional:
            classes = generator.config.model.num_classes
            if not 0 <= digit < classes:
                raise ValueError(f"digit must be in 0..{classes - 1}, got {digit}.")
            self.digit = ipywidgets.Dropdown(
                options=list(range(classes)), value=int(digit), description="Digit"
            )
        self._labels_value = int(digit)
        self.new_ends = ipywidgets.Button(description="New ends", icon="refresh")
        self.title = ipywidgets.HTML()
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="100%"))
        self.player = audio_player(np.zeros(1, np.float32), self.config.sample_rate, "")
        self.start_player = audio_player(np.zeros(1, np.float32), self.config.sample_rate, "")
        self.end_player = audio_player(np.zeros(1, np.float32), self.config.sample_rate, "")
        self._pngs: dict[int, bytes] = {}
        controls = [self.position, *([self.digit] if self.digit else []), self.new_ends]
        players = ipywidgets.HBox([self.start_player, self.player, self.end_player])
        super().__init__([ipywidgets.HBox(controls), self.title, self.image, players])
        self._make_path()
        self._show()
        self.position.observe(lambda _: self._show(), names="value")
        if self.digit is not None:
            self.digit.observe(lambda _: self._refresh(), names="value")
        self.new_ends.on_click(lambda _: self._new_ends())

    @property
    def t(self) -> float:
        """Where the current clip lies on the path, 0 (start) to 1 (end)."""
        return self.position.value / self.position.max

    def _make_path(self) -> None:
        rng = np.random.default_rng(self.seed)
        ends = rng.standard_normal((2, self.latent_dim))
        steps = self.position.max + 1
        self.noise = interpolate_latents(ends[0], ends[1], steps, self.method)
        digit = self.digit.value if self.digit is not None else self._labels_value
        labels = np.full(steps, digit, dtype=np.int32)
        audio = _batch(self._synthesize(self.noise, labels), "the generator's output")
        if audio.shape[0] != steps:
            raise ValueError(
                f"the generator returned {audio.shape[0]} clips for {steps} noise vectors."
            )
        self.path_audio = audio
        self.limits = shared_db_limits(audio, self.config)
        self._pngs = {}
        rate = self.config.sample_rate
        self.start_player.audio.value = wav_bytes(audio[0], rate)
        self.start_player.label.value = "start (t = 0)"
        self.end_player.audio.value = wav_bytes(audio[-1], rate)
        self.end_player.label.value = "end (t = 1)"

    def _figure_png(self, index: int) -> bytes:
        if index not in self._pngs:
            steps = self.position.max + 1
            titles = [f"t = {k / (steps - 1):.2f}" for k in range(steps)]
            titles[index] = f"> t = {index / (steps - 1):.2f} <"
            fig = spectrogram_figure(
                self.path_audio, titles, self.config,
                suptitle=f"Latent path ({self.method}, seed {self.seed}): spectrograms, one dB "
                "scale; the framed one is playing",
                columns=self.columns,
            )
            current = fig.axes[index]
            for spine in current.spines.values():
                spine.set_edgecolor("tab:cyan")
                spine.set_linewidth(4)
            current.title.set_fontweight("bold")
            self._pngs[index] = figure_to_png(fig)
        return self._pngs[index]

    def _show(self) -> None:
        index = self.position.value
        self.player.audio.value = wav_bytes(self.path_audio[index], self.config.sample_rate)
        self.player.label.value = f"now: t = {self.t:.2f}"
        self.image.value = self._figure_png(index)
        digit = f", digit {self.digit.value}" if self.digit is not None else ""
        self.title.value = (
            f"<b>Step {index} of {self.position.max}</b> (t = {self.t:.2f}{digit}); colour "
            f"scale {self.limits[0]:.0f} to {self.limits[1]:.0f} dB"
        )

    def _refresh(self) -> None:
        self._make_path()
        self._show()

    def _new_ends(self) -> None:
        self.seed += 1
        self._refresh()


def probability_figure(
    probabilities: Any,
    titles: Sequence[str] | None = None,
    intended: Any = None,
    columns: int = 5,
    suptitle: str = "What the judge hears: p(digit | clip)",
    class_names: Sequence[str] | None = None,
):
    """One bar chart of the judge's probabilities per clip.

    Args:
        probabilities: float [clips, classes] rows summing to 1 (``Judge.predict_proba``).
        titles: one per clip (default ``"clip i"``).
        intended: int [clips], the digit asked for: its bar is drawn in orange, the others
            in blue (optional).
        columns: panels per row.

    Returns:
        A pyplot ``Figure`` (x: digit, y: probability 0 to 1).
    """
    import matplotlib.pyplot as plt

    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] < 2:
        raise ValueError(
            f"probabilities must be float [clips, classes] with at least one clip, got shape "
            f"{p.shape}."
        )
    count, classes = p.shape
    titles = _titles(titles, count)
    wanted = None if intended is None else _digit_labels(intended, count, "intended")
    names = [str(k) for k in range(classes)] if class_names is None else list(class_names)
    if columns <= 0:
        raise ValueError(f"columns must be a positive number, got {columns}.")
    columns = min(columns, count)
    rows = -(-count // columns)
    fig, grid = plt.subplots(
        rows, columns, figsize=(2.6 * columns, 2.2 * rows), squeeze=False, layout="constrained"
    )
    axes = list(grid.flat)
    for ax in axes[count:]:
        ax.remove()
    for i, ax in enumerate(axes[:count]):
        colours = ["tab:blue"] * classes
        if wanted is not None and 0 <= wanted[i] < classes:
            colours[wanted[i]] = "tab:orange"
        ax.bar(range(classes), p[i], color=colours)
        ax.set_ylim(0.0, 1.0)
        ax.set_xticks(range(classes), names, fontsize=7)
        ax.set_title(titles[i], fontsize=9)
        ax.set_xlabel("digit")
        if i % columns == 0:
            ax.set_ylabel("probability")
    fig.suptitle(suptitle + ("" if wanted is None else " (orange: the digit asked for)"))
    return fig


#: Orders of :class:`JudgeView`: the clips as given, the judge's favourites first, or the
#: clips it finds least like the digit asked for first.
JUDGE_VIEW_ORDERS = ("given", "best", "worst")


class JudgeView(ipywidgets.VBox):
    """Listen to the judge: each clip, the digit the judge hears in it and how sure it is.

    Args:
        judge: anything with ``predict_proba(audio) -> float [clips, classes]`` (a
            :class:`audiogan_kit.metrics.Judge`); ``None`` when ``probabilities`` is given.
        audio: float [clips, samples] in [-1, 1] at ``config.sample_rate`` Hz.
        intended: int [clips], the digit each clip was asked for (optional).
        probabilities: float [clips, classes], the judge's output if already computed.
        order: ``"given"``; ``"best"``: highest probability of the digit asked for (without
            ``intended``: of the digit heard) first; ``"worst"``: lowest first.
        max_clips: how many clips are shown (the first ones in that order).
        columns: panels per row.
        config: sample rate and STFT settings.

    Parts: ``.order`` (ToggleButtons over :data:`JUDGE_VIEW_ORDERS`), ``.probabilities``
    (float [clips, classes], all clips), ``.shown`` (int64 rows of ``audio`` on screen, in
    order), ``.predicted`` / ``.confidence`` (the judged digit and its probability for the
    clips shown), ``.captions`` (one text per clip shown: "asked for 3, judge hears 3
    (p = 97%)"), ``.cards`` (one VBox per clip shown: caption and player, with ``.caption``
    and ``.player``), ``.image`` (PNG: spectrograms of the clips shown, one dB scale, the
    captions as titles) and ``.bars_image`` (PNG: :func:`probability_figure`).
    """

    def __init__(
        self,
        judge: Any,
        audio: Any,
        intended: Any = None,
        probabilities: Any = None,
        order: str = "given",
        max_clips: int = 10,
        columns: int = 5,
        config: AudioConfig = DEFAULT_CONFIG,
    ) -> None:
        self.audio = _batch(audio, "audio")
        count = self.audio.shape[0]
        self.intended = None if intended is None else _digit_labels(intended, count, "intended")
        if probabilities is None:
            if judge is None or not hasattr(judge, "predict_proba"):
                raise ValueError(
                    "pass a judge with predict_proba (metrics.load_or_train_judge()) or the "
                    "probabilities it gave."
                )
            probabilities = judge.predict_proba(self.audio)
        p = np.asarray(probabilities, dtype=np.float64)
        if p.ndim != 2 or p.shape[0] != count or p.shape[1] < 2:
            raise ValueError(
                f"probabilities must be float [clips, classes] = [{count}, classes], got shape "
                f"{p.shape}."
            )
        if order not in JUDGE_VIEW_ORDERS:
            raise ValueError(f"order must be one of {JUDGE_VIEW_ORDERS}, got {order!r}.")
        if max_clips <= 0 or columns <= 0:
            raise ValueError(f"max_clips and columns must be positive, got {max_clips}, {columns}.")
        self.probabilities = p
        self.config = config
        self.max_clips = int(max_clips)
        self.columns = int(columns)
        self.order = ipywidgets.ToggleButtons(
            options=list(JUDGE_VIEW_ORDERS), value=order, description="Order"
        )
        self.summary = ipywidgets.HTML()
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="100%"))
        self.bars_image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(width="100%"))
        self.cards_box = ipywidgets.GridBox(
            [],
            layout=ipywidgets.Layout(
                grid_template_columns=f"repeat({self.columns}, minmax(0, 1fr))",
                grid_gap="4px 12px",
            ),
        )
        super().__init__([self.order, self.summary, self.image, self.cards_box, self.bars_image])
        self._show()
        self.order.observe(lambda _: self._show(), names="value")

    def _ranking(self) -> np.ndarray:
        p = self.probabilities
        rows = np.arange(p.shape[0])
        if self.order.value == "given":
            return rows
        if self.intended is not None:
            inside = (self.intended >= 0) & (self.intended < p.shape[1])
            score = np.where(inside, p[rows, np.clip(self.intended, 0, p.shape[1] - 1)], 0.0)
        else:
            score = p.max(axis=1)
        ranked = np.argsort(-score if self.order.value == "best" else score, kind="stable")
        return ranked

    def _show(self) -> None:
        shown = self._ranking()[: self.max_clips]
        p = self.probabilities[shown]
        self.shown = shown.astype(np.int64)
        self.predicted = np.argmax(p, axis=1).astype(np.int64)
        self.confidence = p[np.arange(len(shown)), self.predicted]
        captions, titles = [], []
        for i, row in enumerate(shown):
            heard = f"judge hears {self.predicted[i]} (p = {self.confidence[i]:.0%})"
            if self.intended is None:
                captions.append(f"#{row}: {heard}")
                titles.append(f"#{row}: heard {self.predicted[i]}\np = {self.confidence[i]:.0%}")
            else:
                asked = int(self.intended[row])
                mark = "right" if asked == self.predicted[i] else "WRONG"
                captions.append(f"#{row} asked for {asked}: {heard}, {mark}")
                titles.append(
                    f"#{row}: asked {asked}, heard {self.predicted[i]}\n"
                    f"p = {self.confidence[i]:.0%} ({mark})"
                )
        self.captions = captions
        rate = self.config.sample_rate
        cards = []
        for clip, caption in zip(self.audio[shown], captions, strict=True):
            card = audio_player(clip, rate, caption)
            card.caption = card.label
            card.player = card.audio
            cards.append(card)
        self.cards = cards
        self.cards_box.children = cards
        self.image.value = figure_to_png(
            spectrogram_figure(
                self.audio[shown], titles, self.config,
                suptitle=f"The judge's view ({self.order.value} first), one dB scale",
                columns=self.columns,
            )
        )
        self.bars_image.value = figure_to_png(
            probability_figure(
                p, [f"#{row}" for row in shown],
                None if self.intended is None else self.intended[shown],
                columns=self.columns,
            )
        )
        text = f"{len(shown)} of {len(self.audio)} clips, {self.order.value} first"
        if self.intended is not None:
            accuracy = float(np.mean(np.argmax(self.probabilities, 1) == self.intended))
            text += f"; the judge hears the digit asked for in {accuracy:.0%} of all clips"
        self.summary.value = text


# ---------------------------------------------------------------------------------------------
# 4. Enhancement: before / after / clean (notebook 06)
# ---------------------------------------------------------------------------------------------


def compare_enhanced(
    noisy: Any,
    enhancers: dict[str, Any],
    sample_rate: int = 8000,
    clean: Any | None = None,
    config: AudioConfig | None = None,
) -> ipywidgets.VBox:
    """Before / after (each enhancer) / clean: spectrograms on one dB scale, a player under each.

    Args:
        noisy: float [samples] in [-1, 1] at ``sample_rate`` Hz.
        enhancers: {name: fn(noisy float [clips, samples]) -> [clips, samples]}, e.g.
            ``{"Wiener": lambda x: enhance.wiener_filter(x, 8000),
            "SEGAN": enhance.generator_enhancer(generator)}``.
        clean: the clean reference float [samples], shown last when given.
        config: STFT settings (default ``AudioConfig()`` at ``sample_rate``).

    Returns:
        The :func:`compare_spectrograms` VBox (``.image``, ``.players``, ``.limits``) with
        ``.outputs`` = {"noisy", each enhancer name, "clean"?: float32 [samples]}.
    """
    noisy = _clip(noisy, "noisy")
    outputs = {"noisy": noisy}
    for name, fn in enhancers.items():
        outputs[name] = _clip(np.asarray(fn(noisy[None, :]), np.float32)[0], f"{name}'s output")
    if clean is not None:
        outputs["clean"] = _clip(clean, "clean")
    config = DEFAULT_CONFIG if config is None else config
    titles = [
        "noisy (before)" if name == "noisy" else "clean (target)" if name == "clean" else name
        for name in outputs
    ]
    widget = compare_spectrograms(list(outputs.values()), sample_rate, titles, config)
    widget.outputs = outputs
    return widget


class EnhancementExplorer(ipywidgets.VBox):
    """Pick a held-out noisy clip by SNR and noise type; hear and see it before and after.

    Parts: ``.snr`` (Dropdown of the test set's SNRs in dB), ``.noise_type`` (Dropdown),
    ``.clip`` (IntSlider over the pairs of that SNR and noise type), ``.scores`` (HTML table:
    PESQ and SI-SDR of the noisy input and of each enhancer against the clean clip), and
    ``.view``, the current :func:`compare_enhanced` VBox (``.view.image``: PNG of noisy /
    each enhancer / clean on one dB scale; ``.view.players``). ``.index`` is the chosen row
    of ``test``. Enhanced clips are cached, so moving back to a clip is instant.

    Args:
        test: a :class:`~audiogan_kit.data.NoisyDataset` (held-out pairs).
        enhancers: as for :func:`compare_enhanced`.
    """

    def __init__(self, test: Any, enhancers: dict[str, Any]) -> None:
        if len(test) == 0:
            raise ValueError("EnhancementExplorer needs a NoisyDataset with at least one pair.")
        self.test = test
        self.enhancers = dict(enhancers)
        self.config: AudioConfig = test.config
        self._cache: dict[int, Any] = {}
        snrs = sorted({float(s) for s in test.snr_db})
        noises = sorted({str(n) for n in test.noise_type})
        self.snr = ipywidgets.Dropdown(
            options=[(f"{s:g} dB", s) for s in snrs], value=snrs[0], description="SNR"
        )
        self.noise_type = ipywidgets.Dropdown(options=noises, value=noises[0], description="Noise")
        self.clip = ipywidgets.IntSlider(value=0, min=0, max=0, description="Clip")
        self.scores = ipywidgets.HTML()
        self.view_box = ipywidgets.VBox([])
        self.view: ipywidgets.VBox | None = None
        self.index = -1
        for control in (self.snr, self.noise_type):
            control.observe(self._on_selection, names="value")
        self.clip.observe(lambda change: self._show(), names="value")
        super().__init__(
            [ipywidgets.HBox([self.snr, self.noise_type, self.clip]), self.scores, self.view_box]
        )
        self._on_selection(None)

    def _rows(self) -> np.ndarray:
        test = self.test
        return np.flatnonzero(
            np.isclose(test.snr_db, self.snr.value) & (test.noise_type == self.noise_type.value)
        )

    def _on_selection(self, change: dict | None) -> None:
        count = len(self._rows())
        self.clip.max = max(count - 1, 0)
        self.clip.disabled = count <= 1
        if self.clip.value > self.clip.max:
            self.clip.value = 0  # triggers _show
        else:
            self._show()

    def _show(self) -> None:
        from .metrics import pesq_nb, si_sdr

        rows = self._rows()
        if rows.size == 0:
            self.index = -1
            self.scores.value = "<i>No test pair has this SNR and noise type.</i>"
            self.view_box.children = []
            return
        self.index = int(rows[min(self.clip.value, rows.size - 1)])
        if self.index not in self._cache:
            self._cache[self.index] = compare_enhanced(
                self.test.noisy[self.index], self.enhancers, self.config.sample_rate,
                clean=self.test.clean[self.index], config=self.config,
            )
        self.view = self._cache[self.index]
        self.view_box.children = [self.view]
        clean = self.test.clean[self.index]
        cells = []
        for name, audio in self.view.outputs.items():
            if name == "clean":
                continue
            try:
                pesq = f"{pesq_nb(clean, audio, self.config.sample_rate):.2f}"
            except ValueError:
                pesq = "n/a"
            cells.append(f"<tr><td>{name}</td><td>{pesq}</td><td>{si_sdr(clean, audio):.1f}</td></tr>")  # noqa: E501
        speaker = self.test.speakers[self.index]
        digit = self.test.labels[self.index]
        self.scores.value = (
            f"<b>Digit {digit}, speaker {speaker}, {self.snr.value:g} dB "
            f"{self.noise_type.value} noise</b> (pair {self.index})"
            "<table><tr><th>method</th><th>PESQ (MOS)</th><th>SI-SDR (dB)</th></tr>"
            + "".join(cells) + "</table>"
        )


def enhancement_explorer(test: Any, enhancers: dict[str, Any]) -> EnhancementExplorer:
    """An :class:`EnhancementExplorer` over held-out pairs: SNR and noise-type selectors,
    noisy / enhanced / clean players and spectrograms, per-clip PESQ and SI-SDR."""
    return EnhancementExplorer(test, enhancers)


class EnhancementDashboard(TrainingDashboard):
    """:class:`TrainingDashboard` for an enhancer run (``enhance.train_enhancer``), as a callback.

    Same loss curves (``d_loss``; ``g_loss`` = adversarial + L1 term), status and Stop
    button; the sample view shows the first fixed evaluation clip noisy / enhanced / clean on
    one dB scale, with players, every ``sample_every`` steps.
    """

    def on_samples(self, trainer, step: int, samples: np.ndarray, audio: np.ndarray) -> None:
        clips = [trainer.eval_noisy[0], audio[0], trainer.eval_clean[0]]
        titles = ["noisy", f"enhanced at step {step}", "clean"]
        self.samples_box.children = [compare_spectrograms(clips, self.sample_rate, titles)]


def score_table(rows: Sequence[dict[str, Any]], digits: int = 2) -> ipywidgets.HTML:
    """An HTML table of score rows (e.g. :func:`audiogan_kit.enhance.scores_by`): one column
    per key of the first row, floats rounded to ``digits`` decimals, missing values as n/a."""
    rows = list(rows)
    if not rows:
        return ipywidgets.HTML(value="<i>No scores.</i>")
    keys = list(rows[0])

    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and not np.isfinite(value)):
            return "<td>n/a</td>"
        return f"<td>{value:.{digits}f}</td>" if isinstance(value, float) else f"<td>{value}</td>"

    head = "".join(f"<th>{key}</th>" for key in keys)
    body = "".join("<tr>" + "".join(cell(row.get(k)) for k in keys) + "</tr>" for row in rows)
    return ipywidgets.HTML(value=f"<table><tr>{head}</tr>{body}</table>")


METRIC_LABELS = {
    "pesq": "PESQ (MOS-LQO, 1 to 4.5)",
    "stoi": "STOI (0 to 1)",
    "si_sdr": "SI-SDR (dB)",
    "segmental_snr": "segmental SNR (dB)",
}


def scores_by_snr_figure(rows: Sequence[dict[str, Any]], metrics: Sequence[str] = ("pesq", "stoi", "si_sdr")):  # noqa: E501
    """One panel per metric: its mean against the input SNR (dB), one line per method.

    ``rows``: :func:`audiogan_kit.enhance.scores_by` with ``by="snr_db"``. Returns a Figure.
    """
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(row["method"] for row in rows))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.4), squeeze=False, layout="constrained")  # noqa: E501
    for ax, metric in zip(axes[0], metrics, strict=True):
        for method in methods:
            mine = [row for row in rows if row["method"] == method and row.get(metric) is not None]
            ax.plot([r["snr_db"] for r in mine], [r[metric] for r in mine], marker="o", label=method)  # noqa: E501
        ax.set_title(metric.upper().replace("_", "-") if metric != "segmental_snr" else "segSNR")
        ax.set_xlabel("input SNR (dB)")
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    axes[0][0].legend(fontsize="small")
    fig.suptitle("Held-out test pairs: scores by input SNR")
    return fig
