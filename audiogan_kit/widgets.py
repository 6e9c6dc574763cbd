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


# ---------------------------------------------------------------------------------------------
# 4. Enhancement: before / after / clean (notebook 06)
# ---------------------------------------------------------------------------------------------
