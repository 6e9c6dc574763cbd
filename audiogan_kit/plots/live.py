"""Figures a training dashboard redraws while its run trains, cheap enough to draw in its loop.

Introduced in notebooks/04_training.ipynb (the dashboard of :mod:`audiogan_kit.widgets`).

- :class:`LiveLossFigure`: one loss figure kept open; each redraw moves its lines to the new
  history rows (``Line2D.set_data``) and renders it, instead of building a figure anew;
- :func:`sample_pairs_figure`: a sample set beside real clips, one panel per digit (the
  generated clip, then a real one of the same digit, on one axes), a few panels per row.

Both lay their axes out once, with fixed margins, and render without ``bbox_inches="tight"``:
matplotlib's layout engines and tight bounding boxes measure every tick label by drawing it,
which cost a dashboard of 20 spectrogram panels about 3 s per sample set on a 2-core CPU
(``benchmarks/dashboard_overhead.py``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from ..arrays import as_clip
from ..config import DEFAULT_CONFIG, AudioConfig
from ..features import bin_frequencies, spectrogram_db
from .audio import COLORMAP, DB_RANGE
from .inputs import clip_list, clip_titles
from .scores import LOSS_KEYS

__all__ = ["LiveLossFigure", "render_png", "sample_pairs_figure"]


def _bare_figure(figsize: tuple[float, float]):
    """A ``Figure`` with an Agg canvas that pyplot does not know of (safe in any thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    return figure


def render_png(figure, dpi: int = 90) -> bytes:
    """PNG bytes of ``figure`` as laid out (no tight bounding box); the figure stays open.

    Compressed at zlib level 1: a quarter of the default level's encoding time for a sample
    set's picture, for a file about a third larger.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


class LiveLossFigure:
    """The loss curves of a run (as :func:`~audiogan_kit.plots.loss_figure` draws them), kept
    open and updated in place.

    :meth:`update` sets each line of :data:`LOSS_KEYS` to the rows that have it (``penalty``
    stays hidden while it is zero throughout) and rescales the axes; :meth:`png` renders it.

    Args:
        title: the axes' title.
        figsize: inches (6.4 x 2.8, as :func:`~audiogan_kit.plots.loss_figure`).
        dpi: of the PNG.
    """

    def __init__(
        self, title: str = "Losses", figsize: tuple[float, float] = (6.4, 2.8), dpi: int = 90
    ) -> None:
        self.dpi = int(dpi)
        self.figure = _bare_figure(figsize)
        self.ax = self.figure.subplots()
        self.ax.set_title(title)
        self.ax.set_xlabel("generator step")
        self.ax.set_ylabel("loss (nats or critic units)")
        # room for tick labels of up to 6 characters and both axis labels
        self.figure.subplots_adjust(left=0.13, right=0.97, bottom=0.17, top=0.89)
        self.lines: dict[str, Any] = {}

    def update(self, history: Sequence[dict[str, float]]) -> None:
        """Show ``history`` (the run's rows so far: ``step`` and the loss keys)."""
        added = False
        for key in LOSS_KEYS:
            rows = [row for row in history if key in row]
            values = [row[key] for row in rows]
            shown = bool(rows) and not (key == "penalty" and not any(values))
            if key not in self.lines:
                if not shown:
                    continue
                (self.lines[key],) = self.ax.plot([], [], label=key)
                added = True
            line = self.lines[key]
            line.set_visible(shown)
            line.set_data([row["step"] for row in rows], values)
        self.ax.relim(visible_only=True)
        self.ax.autoscale_view()
        if added:
            self.ax.legend(loc="upper right")

    def png(self) -> bytes:
        """The figure now, as PNG bytes."""
        return render_png(self.figure, self.dpi)


def sample_pairs_figure(
    clips: Any,
    titles: Sequence[str] | None = None,
    real: Any = None,
    config: AudioConfig = DEFAULT_CONFIG,
    title: str = "Samples",
    columns: int = 5,
):
    """One panel per clip: its dB spectrogram, followed by a real clip's when ``real`` is given.

    A panel shows the clip, then (after a white line) the real clip of the same digit on the
    same axes, each half named at its top ("made", "real"), so the two are compared at one
    height and one dB scale: the loudest of all clips, down :data:`DB_RANGE` dB.

    Args:
        clips: float [n, samples] or a list of n 1-D clips in [-1, 1] at
            ``config.sample_rate`` Hz (e.g. a sample set: digits 0 to 9).
        titles: one per panel (default ``"clip i"``).
        real: ``None`` or n real clips, paired in order with ``clips``.
        config: STFT settings and sample rate.
        title: the figure's title.
        columns: panels per row (10 clips: 2 rows of 5).

    Returns:
        A ``Figure`` (not pyplot's; render it with :func:`render_png`): per panel x time in s
        within each clip, y frequency in Hz, one colour bar in dB.
    """
    from matplotlib.ticker import MaxNLocator

    clips = clip_list(clips)
    titles = clip_titles(titles, len(clips))
    pairs = [[clip] for clip in clips]
    if real is not None:
        real = clip_list(real)
        if len(real) != len(clips):
            raise ValueError(
                f"got {len(clips)} clips but {len(real)} real clips to pair them with."
            )
        pairs = [[clip, other] for clip, other in zip(clips, real, strict=True)]
    columns = max(1, min(int(columns), len(pairs)))
    rows = -(-len(pairs) // columns)
    spectrograms = [
        [spectrogram_db(as_clip(c, finite=True), config, top_db=None) for c in pair]
        for pair in pairs
    ]
    loudest = max(float(db.max()) for pair in spectrograms for db in pair)
    vmin, vmax = loudest - DB_RANGE, loudest
    frame_s = config.hop_length / config.sample_rate
    bin_hz = config.sample_rate / config.n_fft
    freqs = bin_frequencies(config)
    low, high = freqs[0] - 0.5 * bin_hz, freqs[-1] + 0.5 * bin_hz
    # inches: 0.85 per clip in a panel (5 panels of 2 clips: about 10 in, 950 pixels at 90 dpi,
    # so that a notebook's output area shows it near full size and its labels stay legible),
    # margins for the axis labels, the titles and the colour bar
    width = (0.85 * len(pairs[0]) + 0.15) * columns + 1.3
    height = 1.9 * rows + 0.8
    left, right, bottom, top = 0.8 / width, 1 - 0.5 / width, 0.45 / height, 1 - 0.55 / height
    figure = _bare_figure((width, height))
    grid = figure.add_gridspec(
        rows, columns, left=left, right=right - 0.2 / width, bottom=bottom, top=top,
        wspace=0.1, hspace=0.55,
    )
    image = None
    for index, (pair, name) in enumerate(zip(spectrograms, titles, strict=True)):
        ax = figure.add_subplot(grid[index // columns, index % columns])
        start, ticks, labels = -0.5 * frame_s, [], []
        for half, db in enumerate(pair):
            length_s = db.shape[0] * frame_s
            image = ax.imshow(
                db.T, origin="lower", aspect="auto", extent=(start, start + length_s, low, high),
                cmap=COLORMAP, vmin=vmin, vmax=vmax, interpolation="nearest",
            )
            if len(pair) > 1:
                ax.text(start + 0.03 * length_s, high * 0.97, ("made", "real")[half],
                        color="white", fontsize=7, va="top",
                        bbox={"facecolor": "black", "alpha": 0.5, "pad": 1.0, "lw": 0})
            for t in (0.0, 0.5):
                if t < length_s - 0.25:
                    ticks.append(start + 0.5 * frame_s + t)
                    labels.append(f"{t:g}")
            if half:
                ax.axvline(start, color="white", lw=1.5)
            start += length_s
        ax.set_xlim(-0.5 * frame_s, start)
        ax.set_ylim(low, high)
        ax.set_xticks(ticks, labels, fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.yaxis.set_major_locator(MaxNLocator(4))  # fewer tick labels to lay out and draw
        ax.set_title(name, fontsize=9)
        if index % columns:
            ax.set_yticklabels([])
        else:
            ax.set_ylabel("Frequency (Hz)", fontsize=8)
        if index // columns == rows - 1 or index + columns >= len(pairs):
            ax.set_xlabel("Time (s)", fontsize=8)
    colorbar_ax = figure.add_axes((right - 0.1 / width, bottom, 0.08 / width, top - bottom))
    colorbar = figure.colorbar(image, cax=colorbar_ax)
    colorbar.set_label("Magnitude (dB)", fontsize=8)
    colorbar.ax.tick_params(labelsize=7)
    figure.suptitle(title, fontsize=10)
    return figure
