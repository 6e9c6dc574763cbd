"""Figures of numbers: training losses, a judge's confusion matrix and probabilities, and
enhancement scores against the input SNR."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .audio import new_figure
from .inputs import clip_titles, digit_labels

__all__ = [
    "LOSS_KEYS",
    "METRIC_LABELS",
    "confusion_figure",
    "loss_figure",
    "probability_figure",
    "scores_by_snr_figure",
]

#: The history keys :func:`loss_figure` draws, in order (``penalty`` only where nonzero).
LOSS_KEYS = ("d_loss", "g_loss", "penalty")

#: Axis label of each enhancement metric (units and range).
METRIC_LABELS = {
    "pesq": "PESQ (MOS-LQO, 1 to 4.5)",
    "stoi": "STOI (0 to 1)",
    "si_sdr": "SI-SDR (dB)",
    "segmental_snr": "segmental SNR (dB)",
}


def loss_figure(
    history: Sequence[dict[str, float]], title: str = "Losses", pyplot: bool = True
):
    """Loss curves of a run's history rows against the generator step.

    One line per key of :data:`LOSS_KEYS` that the rows have, drawn at the steps of the rows
    that have it; ``penalty`` is left out when it is zero throughout. Returns a
    ``Figure`` (6.4 x 2.8 inches), a bare one with ``pyplot=False`` (see
    :func:`~audiogan_kit.plots.new_figure`).
    """
    fig = new_figure(pyplot, figsize=(6.4, 2.8))
    ax = fig.subplots()
    for key in LOSS_KEYS:
        rows = [row for row in history if key in row]
        values = [row[key] for row in rows]
        if not rows or (key == "penalty" and not any(values)):
            continue
        ax.plot([row["step"] for row in rows], values, label=key)
    ax.set_title(title)
    ax.set_xlabel("generator step")
    ax.set_ylabel("loss (nats or critic units)")
    if ax.get_lines():
        ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


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
            "confusion must be a square [classes, classes] count matrix, got shape "
            f"{counts.shape}."
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
                ax.text(
                    column,
                    row,
                    str(int(counts[row, column])),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
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
        suptitle: the figure's title.
        class_names: the x tick labels, one per class (default ``"0"``, ``"1"``, ...).

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
    titles = clip_titles(titles, count)
    wanted = None if intended is None else digit_labels(intended, count, "intended")
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


def scores_by_snr_figure(
    rows: Sequence[dict[str, Any]], metrics: Sequence[str] = ("pesq", "stoi", "si_sdr")
):
    """One panel per metric: its mean against the input SNR (dB), one line per method.

    ``rows``: :func:`audiogan_kit.enhance.scores_by` with ``by="snr_db"`` (keys ``method``,
    ``snr_db`` and the metrics; a metric that is ``None`` is left out). Returns a pyplot
    ``Figure`` (4.2 x 3.4 inches per panel), y labels from :data:`METRIC_LABELS`.
    """
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(row["method"] for row in rows))
    fig, axes = plt.subplots(
        1, len(metrics), figsize=(4.2 * len(metrics), 3.4), squeeze=False, layout="constrained"
    )
    for ax, metric in zip(axes[0], metrics, strict=True):
        for method in methods:
            mine = [row for row in rows if row["method"] == method and row.get(metric) is not None]
            snrs = [row["snr_db"] for row in mine]
            ax.plot(snrs, [row[metric] for row in mine], marker="o", label=method)
        ax.set_title(metric.upper().replace("_", "-") if metric != "segmental_snr" else "segSNR")
        ax.set_xlabel("input SNR (dB)")
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    axes[0][0].legend(fontsize="small")
    fig.suptitle("Held-out test pairs: scores by input SNR")
    return fig
