"""Figures of clips: waveforms, dB spectrograms on one colour scale, PNG rendering.

Clips are float ``[samples]`` in [-1, 1] at ``sample_rate`` Hz (several clips: see
:func:`~audiogan_kit.plots.inputs.clip_list`). Time axes are in seconds, frequency axes in
Hz, colour in dB with one scale and one colour bar shared by every spectrogram a figure
compares.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..arrays import as_clip
from ..config import DEFAULT_CONFIG, AudioConfig
from ..features import bin_frequencies, spectrogram_db
from .inputs import clip_list, clip_titles, sample_rate_hz

__all__ = [
    "COLORMAP",
    "DB_RANGE",
    "clip_figure",
    "figure_to_png",
    "fixed_db_limits",
    "latent_path_figure",
    "new_figure",
    "plot_spectrogram",
    "plot_waveform",
    "shared_db_limits",
    "spectrogram_figure",
    "spectrogram_strip_figure",
]

#: Range of every dB colour scale: the loudest value shown minus this many dB is the floor.
DB_RANGE = 80.0
#: Colour map for spectrograms (perceptually uniform, dark = quiet).
COLORMAP = "magma"


# --- one clip on one axes ------------------------------------------------------------------


def plot_waveform(ax, audio: Any, sample_rate: int, title: str | None = None):
    """Draw one clip against time on ``ax``; returns the ``Line2D``.

    x: time in s (0 to ``len(audio) / sample_rate``); y: amplitude in [-1, 1].
    """
    clip = as_clip(audio, finite=True)
    sample_rate = sample_rate_hz(sample_rate)
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
    db = spectrogram_db(as_clip(audio, finite=True), config, top_db=None)
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


# --- colour scales -------------------------------------------------------------------------


def shared_db_limits(clips: Any, config: AudioConfig = DEFAULT_CONFIG) -> tuple[float, float]:
    """One dB colour scale for several clips: ``(loudest - DB_RANGE, loudest)`` in dB."""
    loudest = max(
        float(spectrogram_db(clip, config, top_db=None).max()) for clip in clip_list(clips)
    )
    return loudest - DB_RANGE, loudest


def fixed_db_limits(config: AudioConfig = DEFAULT_CONFIG) -> tuple[float, float]:
    """A clip-independent dB scale: a full-scale sine's peak, ``20 log10(n_fft / 4)``, down
    ``DB_RANGE`` dB (36 dB to -44 dB at n_fft 256, Hann window)."""
    top = 20.0 * np.log10(config.n_fft / 4.0)
    return top - DB_RANGE, top


# --- whole figures -------------------------------------------------------------------------


def new_figure(pyplot: bool = True, **kwargs):
    """An empty matplotlib figure (``kwargs``: ``figsize``, ``layout``, ...).

    ``pyplot=False`` makes a bare ``Figure`` that pyplot does not know of: one drawn from a
    background thread (a training dashboard) to be rendered by :func:`figure_to_png`, which
    the inline backend would otherwise show and close at the end of whichever cell runs then.
    """
    if not pyplot:
        from matplotlib.figure import Figure

        return Figure(**kwargs)
    import matplotlib.pyplot as plt

    return plt.figure(**kwargs)


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
    pyplot: bool = True,
):
    """Two or more clips' spectrograms side by side with one shared dB colour scale.

    Args:
        clips: float [clips, samples] or a list of 1-D clips in [-1, 1] at
            ``config.sample_rate`` Hz.
        titles: one title per clip (default ``"clip i"``).
        config: STFT settings and sample rate.
        suptitle: the figure's title.
        columns: panels per row (default: all in one row); more clips wrap onto new rows.
        pyplot: as for :func:`new_figure` (``False``: a figure only for :func:`figure_to_png`).

    Returns:
        A pyplot ``Figure`` (one axes per clip, 3.2 x 3.2 inches each, plus one colour bar in
        dB); close it with ``plt.close(fig)`` or render it with :func:`figure_to_png`.
    """
    clips = clip_list(clips)
    titles = clip_titles(titles, len(clips))
    if columns is not None and columns <= 0:
        raise ValueError(f"columns must be a positive number, got {columns}.")
    columns = len(clips) if columns is None else min(columns, len(clips))
    rows = -(-len(clips) // columns)
    vmin, vmax = shared_db_limits(clips, config)
    fig = new_figure(pyplot, figsize=(3.2 * columns + 1.0, 3.2 * rows), layout="constrained")
    grid = fig.subplots(rows, columns, squeeze=False)
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


def spectrogram_strip_figure(
    clips: Any,
    titles: Sequence[str] | None = None,
    config: AudioConfig = DEFAULT_CONFIG,
    title: str = "Spectrograms end to end (one dB scale)",
    limits: tuple[float, float] | None = None,
    pyplot: bool = True,
):
    """Several clips' spectrograms end to end on one axes, each named above its part.

    One axes for the whole set draws several times faster than :func:`spectrogram_figure`'s
    panel per clip, which matters where a slider redraws it (a set of 10 one-second clips:
    a 10 s strip).

    Args:
        clips: float [clips, samples] or a list of 1-D clips in [-1, 1] at
            ``config.sample_rate`` Hz.
        titles: one name per clip (default ``"clip i"``), written above its part.
        config: STFT settings and sample rate.
        title: the figure's title.
        limits: ``(vmin, vmax)`` in dB; default :func:`shared_db_limits` of these clips.
        pyplot: as for :func:`new_figure`.

    Returns:
        A ``Figure``: x time in s (the clips one after another, white lines between them),
        y frequency in Hz, colour magnitude in dB with its colour bar.
    """
    clips = clip_list(clips)
    titles = clip_titles(titles, len(clips))
    spectrograms = [spectrogram_db(as_clip(c, finite=True), config, top_db=None) for c in clips]
    if limits is None:
        loudest = max(float(db.max()) for db in spectrograms)
        limits = (loudest - DB_RANGE, loudest)
    frame_s = config.hop_length / config.sample_rate
    bin_hz = config.sample_rate / config.n_fft
    freqs = bin_frequencies(config)
    low, high = freqs[0] - 0.5 * bin_hz, freqs[-1] + 0.5 * bin_hz
    fig = new_figure(pyplot, figsize=(min(1.5 * len(clips) + 2.0, 18.0), 3.4))
    ax = fig.subplots()
    start = -0.5 * frame_s
    for db, name in zip(spectrograms, titles, strict=True):
        end = start + db.shape[0] * frame_s
        image = ax.imshow(
            db.T, origin="lower", aspect="auto", extent=(start, end, low, high), cmap=COLORMAP,
            vmin=limits[0], vmax=limits[1], interpolation="nearest",
        )
        ax.text((start + end) / 2, high, name, ha="center", va="bottom", fontsize=9)
        if start > 0:
            ax.axvline(start, color="white", lw=1)
        start = end
    ax.set_xlim(-0.5 * frame_s, start)
    ax.set_ylim(low, high)
    ax.set_xlabel("Time (s), the clips one after another")
    ax.set_ylabel("Frequency (Hz)")
    colorbar = fig.colorbar(image, ax=ax, pad=0.01)
    colorbar.set_label("Magnitude (dB)")
    fig.suptitle(title)
    return fig


def clip_figure(audio: Any, config: AudioConfig = DEFAULT_CONFIG, title: str = "Clip"):
    """Waveform (top) and dB spectrogram (bottom) of one clip; returns a pyplot ``Figure``.

    The colour scale is fixed (see :func:`fixed_db_limits`) so that pictures of different
    clips compare.
    """
    import matplotlib.pyplot as plt

    clip = as_clip(audio, finite=True)
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


def latent_path_figure(
    path_audio: Any,
    current: int,
    config: AudioConfig = DEFAULT_CONFIG,
    method: str = "slerp",
    seed: int = 0,
    columns: int | None = None,
):
    """The spectrogram of every point of a latent path on one dB scale, one panel framed.

    Args:
        path_audio: float [steps, samples], the generator's clip at each point (step ``k``
            lies at ``t = k / (steps - 1)``).
        current: the step of the clip playing: its panel gets a thick cyan frame, a bold
            title ``"> t = ... <"``.
        config: STFT settings and sample rate.
        method, seed: how the path was made, for the figure's title.
        columns: panels per row (default: all in one row).

    Returns:
        A pyplot ``Figure`` as :func:`spectrogram_figure` draws it.
    """
    steps = len(path_audio)
    titles = [f"t = {k / (steps - 1):.2f}" for k in range(steps)]
    titles[current] = f"> t = {current / (steps - 1):.2f} <"
    fig = spectrogram_figure(
        path_audio,
        titles,
        config,
        suptitle=f"Latent path ({method}, seed {seed}): spectrograms, one dB scale; the framed "
        "one is playing",
        columns=columns,
    )
    panel = fig.axes[current]
    for spine in panel.spines.values():
        spine.set_edgecolor("tab:cyan")
        spine.set_linewidth(4)
    panel.title.set_fontweight("bold")
    return fig
